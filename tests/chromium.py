"""Debian's chromium for the browser tests, driven by playwright (never a browser download):
where it is and the flags this machine's closed network needs (no background calls home),
as scripts/ui_screenshots.py uses them."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
