"""Check the Web UI for real: run the demo to its approval and screenshot the run in
headless Chromium. Not part of `make test` (it needs Debian's chromium package and
Playwright, used with that Chromium: no browser download):

    apt-get install chromium
    .venv/bin/python scripts/ui_screenshots.py                 # writes screenshots/*.png
    .venv/bin/python scripts/ui_screenshots.py --update-docs   # the README's docs/*.png

It fails (exit 1) when the run's default page (the Timeline) does not name the action
waiting for approval and its tool: the page a person lands on must say what waits.
"""

import argparse
import asyncio
import getpass
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.async_api import Page, async_playwright

from contracts.approvals import ApprovalRequest, Decision
from contracts.states import RunState
from starters.cli.demo import DEMO_AGENT, DEMO_GOAL
from starters.cli.follow import follow
from starters.client.connection import connect, temporal_address
from starters.client.runs import RunClient, start_run
from starters.server import ServerAddress, embedded_server
from workers.namespace_setup import ensure_search_attributes
from workers.telemetry import setup_tracing
from workers.worker import build_worker

REPO = Path(__file__).resolve().parent.parent
RUNS_QUERY = 'WorkflowType="AgentRunWorkflow"'
# The flags this machine's closed network needs (no background calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDER_MS = 6000  # the Web UI is a single-page app that keeps polling: give it time


class PageMisses(Exception):
    """The default page of a waiting run does not say what waits."""


async def shoot(page: Page, url: str, out: Path, tab: str | None = None) -> str:
    """Screenshot the page (on `tab`, else the page's default tab); returns its text."""
    await page.goto(url)
    await page.wait_for_timeout(RENDER_MS)
    if tab is not None:
        await page.get_by_role("tab", name=tab).click()
        await page.wait_for_timeout(RENDER_MS // 2)
    await page.screenshot(path=str(out), full_page=True)
    print(f"saved {out}")
    text: str = await page.inner_text("body")  # typed here: playwright is an optional extra
    return text


def check_default_page(text: str, request: ApprovalRequest) -> None:
    """The waiting run's default page must name the action (its full id: the short one,
    e.g. 3.1, could match anything) and the tool."""
    missing = [word for word in (request.action_id, request.tool) if word not in text]
    if missing:
        shown = " ".join(text.split())[:400]
        raise PageMisses(f"the run's default page does not show {missing}; it reads: {shown}")


async def screenshots(
    run_id: str, request: ApprovalRequest, base: str, out: Path, chromium: str
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1500, "height": 1100})
        await shoot(page, f"{base}/workflows?query={quote(RUNS_QUERY)}", out / "web-ui-runs.png")
        run_page = await shoot(page, f"{base}/workflows/{run_id}", out / "web-ui-run.png")
        await shoot(page, f"{base}/workflows/{run_id}", out / "web-ui-details.png", "User Metadata")
        await browser.close()
    check_default_page(run_page, request)
    print(f"the default page shows action {request.short_id} ({request.tool})")


async def shoot_demo_run(ui_port: int, out: Path, chromium: str) -> None:
    setup_tracing()
    async with embedded_server(ServerAddress.parse(temporal_address()), ui_port):
        client = await connect()
        await ensure_search_attributes(client)
        async with build_worker(client, "overseer"):
            run_id, _ = await start_run(
                client, DEMO_AGENT, DEMO_GOAL, getpass.getuser(), "overseer"
            )
            run = RunClient(client, run_id)
            snapshot, _ = await follow(run, stop_at_approval=True, emit=lambda _: None)
            assert snapshot.state is RunState.WAITING_FOR_APPROVAL, snapshot.state
            request = snapshot.pending_approvals[0]
            base = f"http://localhost:{ui_port}/namespaces/{client.namespace}"
            try:
                await screenshots(run_id, request, base, out, chromium)
            finally:  # the run ends either way, so no demo run is left waiting
                decision = Decision(
                    action_id=request.action_id,
                    args_sha256=request.args_sha256,
                    approver="screenshot-script",
                )
                await run.decide("approve", decision)
                await follow(run, stop_at_approval=False, emit=lambda _: None)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=REPO / "screenshots", help="directory for the PNGs"
    )
    parser.add_argument(
        "--update-docs", action="store_true", help="write the README's docs/*.png instead"
    )
    parser.add_argument("--ui-port", type=int, default=8233, help="the Web UI's port")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    out: Path = REPO / "docs" if args.update_docs else args.out
    out.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(shoot_demo_run(args.ui_port, out, chromium))
    except PageMisses as misses:
        print(f"FAILED: {misses}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
