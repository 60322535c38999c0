"""Authentication: who sends a request, from credentials, never from the request body.

API tokens from a file (stored hashed) are here; OIDC/JWT bearer tokens against a JWKS and
a user header from a trusted proxy address are added by the API slice.
"""

from fastapi import Request

from approvals.config import ServiceConfig
from approvals.identity import Identity, NotAuthenticated
from approvals.tokens import TOKEN_PREFIX, TokenBook


class Authenticator:
    def __init__(self, config: ServiceConfig) -> None:
        self._config = config
        self._tokens = TokenBook(config.path(config.tokens_file)) if config.tokens_file else None

    async def identify(self, request: Request) -> Identity:
        """The person behind a request: a bearer credential, or a trusted proxy's header."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise NotAuthenticated("no credentials: send Authorization: Bearer <token>")
        return await self.from_token(credential.strip())

    async def from_token(self, token: str) -> Identity:
        """The person a bearer credential (a JWT or an API token) names, as typed into the
        inbox's login page."""
        if token.startswith(TOKEN_PREFIX) and self._tokens is not None:
            return self._tokens.identify(token)
        raise NotAuthenticated("the credential is not a known API token")
