"""Who is asking: established by authentication, never read from a request body."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...] = field(default=())
    # How the person was authenticated: oidc, token, proxy, session or slack.
    via: str = "token"


class NotAuthenticated(Exception):
    """No credentials, or credentials that do not hold; the message says which (one line)."""
