"""Browser sessions of the web inbox: a signed cookie, CSRF tokens, and the origin check.

The cookie is `<base64url JSON>.<base64url HMAC-SHA256>`, keyed by the service's session
secret: it carries who logged in (user, groups, how) and until when, so the service keeps
no session store and several replicas sharing the secret accept each other's cookies.
Nothing in it is secret, only unforgeable. CSRF tokens are an HMAC of the session id, so a
token is good for one session only; before login (and behind an SSO proxy, where there is
no session cookie) a random browser id in its own cookie takes the session id's place.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import Field, ValidationError
from starlette.responses import Response

from approvals.identity import Identity
from contracts.identity import ActorId
from contracts.strict import Name, StrictBody

SESSION_COOKIE = "overseer_session"
BROWSER_COOKIE = "overseer_browser"
# Browsers keep cookies up to 4096 bytes; a session that would not fit is refused at login.
COOKIE_MAX_BYTES = 3800
_SID_PATTERN = r"^[A-Za-z0-9_-]{22,64}$"


class SessionData(StrictBody):
    sid: str = Field(pattern=_SID_PATTERN)
    user: ActorId
    groups: list[Name] = Field(default_factory=list, max_length=100)
    # How the person proved who they are at login: token, oidc...
    via: Name
    expires_at: int = Field(ge=0)

    def identity(self) -> Identity:
        return Identity(self.user, tuple(self.groups), via="session")


class SessionTooLarge(Exception):
    """The identity does not fit in a cookie (too many groups)."""


@dataclass(frozen=True)
class CookieRules:
    """How the service's cookies are set: Secure whenever the service is served over https."""

    secure: bool
    max_age_seconds: int

    def set(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        # HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
        response.set_cookie(
            name,
            value,
            max_age=self.max_age_seconds if max_age is None else max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=self.secure,
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=self.secure)


class Sessions:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes, hours: float) -> None:
        # One key per use, so a session signature can never pass for a CSRF token.
        self._session_key = _derive(secret, "session")
        self._csrf_key = _derive(secret, "csrf")
        self.lifetime_seconds = int(hours * 3600)

    def start(self, identity: Identity, now: float | None = None) -> tuple[SessionData, str]:
        """A new session (a fresh id, so no id chosen before login survives it) and its
        cookie value."""
        data = SessionData(
            sid=new_id(),
            user=identity.user,
            groups=list(identity.groups),
            via=identity.via,
            expires_at=int(now if now is not None else time.time()) + self.lifetime_seconds,
        )
        value = self.encode(data)
        if len(value) > COOKIE_MAX_BYTES:
            raise SessionTooLarge(
                f"{identity.user}'s identity ({len(identity.groups)} groups) does not fit in a "
                "session cookie"
            )
        return data, value

    def encode(self, data: SessionData) -> str:
        payload = _b64(json.dumps(data.model_dump(), separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def decode(self, value: str | None, now: float | None = None) -> SessionData | None:
        """The session a cookie holds, or None if it is absent, forged, malformed or
        expired."""
        if not value or len(value) > COOKIE_MAX_BYTES:
            return None
        payload, _, mac = value.partition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        try:
            data = SessionData.model_validate_json(_unb64(payload))
        except (ValueError, ValidationError):
            return None
        if data.expires_at <= (now if now is not None else time.time()):
            return None
        return data

    def csrf_token(self, sid: str) -> str:
        return _b64(hmac.new(self._csrf_key, sid.encode(), hashlib.sha256).digest())

    def csrf_ok(self, sid: str | None, token: str | None) -> bool:
        if not sid or not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token(sid).encode())

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._session_key, payload.encode(), hashlib.sha256).digest())


def new_id() -> str:
    return secrets.token_urlsafe(24)


def valid_browser_id(value: str | None) -> str | None:
    """The browser id cookie if it looks like one this service made, else None."""
    if value and 22 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value):
        return value
    return None


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as a browser's Origin header writes it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str | None, own: set[str]) -> bool:
    """A browser names the page a POST comes from; only the service's own pages may post.
    Without an Origin header (older browsers, curl) the CSRF token alone decides."""
    return origin is None or origin.lower() in own


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"overseer-inbox-{purpose}".encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
