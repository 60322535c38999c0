"""Who is at the browser, and whether their POST is their own: identity from the
Authenticator first (a trusted SSO proxy's header, or a bearer credential), then from the
signed session cookie; CSRF tokens bound to the session (or, with no session cookie, to a
random browser id), and POSTs from another origin refused."""

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from approvals.forms import safe_next
from approvals.identity import Identity, NotAuthenticated
from approvals.sessions import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    CookieRules,
    Sessions,
    new_id,
    origin_allowed,
    origin_of,
    valid_browser_id,
)
from contracts.errors import one_line

if TYPE_CHECKING:  # app.py includes the inbox's router: importing it here would be a cycle
    from approvals.service import Service

# A browser id outlives no session: a day is plenty to fill in the login form.
BROWSER_ID_SECONDS = 24 * 3600


def service(request: Request) -> "Service":
    found: Service = request.app.state.service
    return found


@dataclass
class Visitor:
    identity: Identity | None
    # What this visitor's CSRF tokens are bound to: the session id, or a browser id
    # before login and behind an SSO proxy (no session cookie there).
    sid: str
    new_browser_id: bool
    sessions: Sessions
    cookies: CookieRules

    @property
    def csrf(self) -> str:
        return self.sessions.csrf_token(self.sid)

    def keep_browser_id(self, response: Response) -> Response:
        if self.new_browser_id:
            self.cookies.set(response, BROWSER_COOKIE, self.sid, BROWSER_ID_SECONDS)
        return response


async def visitor(request: Request) -> Visitor:
    svc = service(request)
    sessions = Sessions(svc.session_secret, svc.config.session_hours)
    cookies = CookieRules(
        secure=svc.config.public_url.startswith("https://"),
        max_age_seconds=sessions.lifetime_seconds,
    )
    identity: Identity | None
    try:
        identity = await svc.authenticator.identify(request)
    except NotAuthenticated:
        identity = None
    session = sessions.decode(request.cookies.get(SESSION_COOKIE))
    if identity is None and session is not None:
        identity = session.identity()
    sid = session.sid if session else valid_browser_id(request.cookies.get(BROWSER_COOKIE))
    return Visitor(identity, sid or new_id(), sid is None, sessions, cookies)


def post_problem(request: Request, who: Visitor, form: dict[str, str]) -> str | None:
    """Why this POST is refused as cross-site (CSRF), or None."""
    own = origin_of(service(request).config.public_url)
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, {own}):
        return one_line(
            f"refused: this form was posted from {origin[:100]!r}, not from {own} "
            "(the service's public_url)"
        )
    if not who.sessions.csrf_ok(who.sid, form.get("csrf")):
        return "refused: the form's CSRF token is missing or not this session's; reload the page"
    return None


def to_login(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(safe_next(here), safe='')}", status_code=303)
