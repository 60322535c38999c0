"""Rendering the web inbox's pages: templates, the headers every page carries, and the
small formatting filters the templates use.

Everything a run or a model wrote (goals, arguments, event details, tool names) is
untrusted text: the environment autoescapes every template and no template marks run text
`|safe`. The Content-Security-Policy allows only this service's own script and stylesheet,
so even a markup bug could not run injected script.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    # An approve button must never be framed by another site (clickjacking).
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Pages show who may decide what, and a CSRF token: never cached.
    "Cache-Control": "no-store",
}


def duration(seconds: float) -> str:
    """A short human duration: 42s, 3m 05s, 2h 10m, 4d 3h."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def expiry(expires_at: datetime | None) -> str:
    if expires_at is None:
        return "never"
    left = (expires_at - datetime.now(UTC)).total_seconds()
    return f"in {duration(left)}" if left > 0 else f"{duration(-left)} ago"


def timestamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.filters["expiry"] = expiry
    env.filters["timestamp"] = timestamp
    return env


ENVIRONMENT = _environment()


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = ENVIRONMENT.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
