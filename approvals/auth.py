"""Authentication: who sends a request, from credentials, never from the request body.

Owned by the API slice: OIDC/JWT bearer tokens against a JWKS, API tokens from a file (stored
hashed), and a user header from a trusted proxy address.
"""

from fastapi import Request

from approvals.config import ServiceConfig
from approvals.identity import Identity, NotAuthenticated


class Authenticator:
    def __init__(self, config: ServiceConfig) -> None:
        self._config = config

    async def identify(self, request: Request) -> Identity:
        """The person behind a request: a bearer credential, or a trusted proxy's header."""
        raise NotAuthenticated("no authentication is configured yet")

    async def from_token(self, token: str) -> Identity:
        """The person a bearer credential (a JWT or an API token) names, as typed into the
        inbox's login page."""
        raise NotAuthenticated("no authentication is configured yet")
