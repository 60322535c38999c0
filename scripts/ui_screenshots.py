"""Check the Web UI for real: run the demo to its approval and screenshot the run in
headless Chromium. Not part of `make test` (it needs Debian's chromium package and
Playwright, used with that Chromium: no browser download):

    apt-get install chromium
    .venv/bin/pip install -e '.[ui]'
    .venv/bin/python scripts/ui_screenshots.py      # writes docs/web-ui-*.png
"""

import asyncio
import getpass
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.async_api import Page, async_playwright

from contracts.approvals import Decision
from contracts.states import RunState
from starters.cli.demo import DEMO_AGENT, DEMO_GOAL
from starters.cli.follow import follow
from starters.client.connection import connect, temporal_address
from starters.client.runs import RunClient, start_run
from starters.server import ServerAddress, embedded_server
from workers.namespace_setup import ensure_search_attributes
from workers.telemetry import setup_tracing
from workers.worker import build_worker

UI_PORT = 8233
RUNS_QUERY = 'WorkflowType="AgentRunWorkflow"'
DOCS = Path(__file__).resolve().parent.parent / "docs"
# The flags this machine's closed network needs (no background calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDER_MS = 6000  # the Web UI is a single-page app that keeps polling: give it time


async def shoot(page: Page, url: str, out: Path, tab: str | None = None) -> None:
    await page.goto(url)
    await page.wait_for_timeout(RENDER_MS)
    if tab is not None:
        await page.get_by_role("tab", name=tab).click()
        await page.wait_for_timeout(RENDER_MS // 2)
    await page.screenshot(path=str(out), full_page=True)
    print(f"saved {out}")


async def screenshots(run_id: str, namespace: str, chromium: str) -> None:
    base = f"http://localhost:{UI_PORT}/namespaces/{namespace}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1500, "height": 1100})
        await shoot(page, f"{base}/workflows?query={quote(RUNS_QUERY)}", DOCS / "web-ui-runs.png")
        await shoot(page, f"{base}/workflows/{run_id}", DOCS / "web-ui-run.png")
        await shoot(
            page, f"{base}/workflows/{run_id}", DOCS / "web-ui-details.png", "User Metadata"
        )
        await browser.close()


async def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    DOCS.mkdir(exist_ok=True)
    setup_tracing()
    async with embedded_server(ServerAddress.parse(temporal_address()), UI_PORT):
        client = await connect()
        await ensure_search_attributes(client)
        async with build_worker(client, "overseer"):
            run_id, _ = await start_run(
                client, DEMO_AGENT, DEMO_GOAL, getpass.getuser(), "overseer"
            )
            run = RunClient(client, run_id)
            snapshot, _ = await follow(run, stop_at_approval=True, emit=lambda _: None)
            assert snapshot.state is RunState.WAITING_FOR_APPROVAL, snapshot.state
            await screenshots(run_id, client.namespace, chromium)
            request = snapshot.pending_approvals[0]
            await run.decide(
                "approve",
                Decision(
                    action_id=request.action_id,
                    args_sha256=request.args_sha256,
                    approver="screenshot-script",
                ),
            )
            await follow(run, stop_at_approval=False, emit=lambda _: None)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
