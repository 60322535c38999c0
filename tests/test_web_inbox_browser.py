"""A person approves from the web inbox in a real browser (Debian's headless chromium driven
by playwright; no browser is ever downloaded): login, the action appears live, Approve, and
the run executes the tool with the decision signed by the service's key."""

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, async_playwright
from temporalio.client import Client
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.helpers import WRITE_ARGS, events, make_spec, start
from tests.web_inbox_support import serving, unique_agent

REPO = Path(__file__).resolve().parent.parent
# Generous: the row must appear by polling (every 2 s) once the run reaches its approval.
APPEAR_MS = 30_000
RUN_END_SECONDS = 30.0


def artifact_dir() -> Path:
    root = os.environ.get("OVERSEER_TEST_ARTIFACTS") or str(REPO / "test-artifacts")
    out = Path(root) / "web-inbox"
    out.mkdir(parents=True, exist_ok=True)
    return out


async def shoot(page: Page, out: Path, name: str) -> None:
    await page.screenshot(path=str(out / name), full_page=True)


async def test_a_person_logs_in_sees_the_action_arrive_and_approves_it_in_a_browser(
    client: Client, worker: Worker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    out = artifact_dir()
    agent = unique_agent()
    async with serving(client, tmp_path) as inbox, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            inbox_url = f"{inbox.base_url}/?agent={agent}"
            await page.goto(inbox_url)
            assert urlsplit(page.url).path == "/login"
            await page.fill("#token", inbox.tokens["alice"])
            await page.click("#login-form button[type=submit]")
            await page.wait_for_url(inbox_url)
            await page.wait_for_selector("tr.empty")
            # Set on this page: a reload would lose it, so it proves the row came live.
            await page.evaluate("window.overseerNoReload = true")

            spec = make_spec(tmp_path, agent=agent, policy=inbox.policy())
            handle = await start(client, spec, worker.task_queue)
            row = page.locator(f'tr.pending[data-action^="{handle.id}/"]')
            await row.wait_for(timeout=APPEAR_MS)
            assert await page.evaluate("window.overseerNoReload") is True
            assert "yes" in await row.inner_text()
            await shoot(page, out, "inbox.png")

            await row.get_by_role("link", name="2.1").click()
            await page.wait_for_selector("#approve")
            assert WRITE_ARGS["content"] in await page.inner_text("#args")
            await shoot(page, out, "action.png")

            await page.click("#approve")
            outcome = page.locator("#outcome")
            await outcome.wait_for()
            assert "approved" in await outcome.inner_text()
            assert inbox.key.key_id in await page.inner_text("main")
            await shoot(page, out, "outcome.png")
        finally:
            await browser.close()

    result: RunResult = await asyncio.wait_for(handle.result(), RUN_END_SECONDS)
    assert result.state is RunState.COMPLETED
    logged = await events(handle)
    [approved] = [e for e in logged if e.kind is EventKind.APPROVED]
    assert approved.actor == "user:alice"
    assert f"key:{inbox.key.key_id}" in approved.evidence
    assert f"signed by key {inbox.key.key_id}" in approved.detail
    assert any(e.kind is EventKind.TOOL_RESULT and "write_file" in e.detail for e in logged)
    assert (tmp_path / WRITE_ARGS["path"]).read_text() == WRITE_ARGS["content"]
    with capsys.disabled():
        print(f"\nweb inbox screenshots: {out}/inbox.png, action.png, outcome.png")
