"""The Temporal Web UI's Schedules page shows an Overseer schedule readably: checked in
headless Chromium (Debian's, driven by playwright; no browser download) against the embedded
dev server with its UI, with screenshots kept in test-artifacts/web-ui-schedules/."""

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Page, async_playwright
from temporalio.client import Client

from contracts.data_converter import overseer_data_converter
from starters.client.schedules import create_schedule
from starters.files.schedule_file import definition
from starters.server import ServerAddress, dev_server_command
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.test_readme_approvals import _free_port

REPO = Path(__file__).resolve().parent.parent
AGENT = """\
name: weekly-reporter
workspace: ws
tools: [list_files]
model: {provider: scripted, script: [{say: "Done: {goal}"}]}
policy: {version: reports-3}
"""


def artifacts() -> Path:
    base = Path(os.environ.get("OVERSEER_TEST_ARTIFACTS", REPO / "test-artifacts"))
    folder = base / "web-ui-schedules"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@asynccontextmanager
async def dev_server_with_ui(folder: Path) -> AsyncIterator[tuple[Client, str]]:
    address = ServerAddress("127.0.0.1", _free_port())
    ui_port = _free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - starting, not waiting on, the server
        dev_server_command(address, ui_port, folder / "ui.db"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(60):
            while True:  # each try is a connection attempt; the timeout bounds the wait
                try:
                    client = await Client.connect(
                        address.target, data_converter=overseer_data_converter
                    )
                    break
                except RuntimeError:
                    assert server.poll() is None, "the dev server stopped"
        yield client, f"http://127.0.0.1:{ui_port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _text_shown(page: Page, text: str) -> None:
    await page.get_by_text(text, exact=False).first.wait_for(timeout=30_000)


async def test_the_schedules_page_shows_the_schedule(tmp_path: Path) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    (tmp_path / "ws").mkdir()
    agent = tmp_path / "weekly.yaml"
    agent.write_text(AGENT)
    made = definition(
        name="weekly-report",
        agent=str(agent),
        goal="Summarize the week's notes",
        cron="0 7 * * 1",
        timezone="Europe/Berlin",
        pause_after_failures=3,
    )
    out = artifacts()
    async with dev_server_with_ui(tmp_path) as (client, ui):
        await create_schedule(client, made, "rita", "overseer")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(f"{ui}/namespaces/default/schedules")
            await _text_shown(page, "weekly-report")
            await page.screenshot(path=str(out / "schedules.png"), full_page=True)
            listing = await page.inner_text("body")
            await page.goto(f"{ui}/namespaces/default/schedules/weekly-report")
            await _text_shown(page, "AgentRunWorkflow")
            await page.screenshot(path=str(out / "schedule.png"), full_page=True)
            detail = await page.inner_text("body")
            await browser.close()
    print(f"web UI schedule screenshots: {out}/schedules.png, schedule.png")
    assert "weekly-report" in listing and "AgentRunWorkflow" in detail
    # The schedule's page reads as what it runs: agent, goal, policy, time zone.
    for shown in ("weekly-reporter", "Summarize the week's notes", "reports-3", "Europe/Berlin"):
        assert shown in detail, f"the schedule's page does not show {shown!r}"
