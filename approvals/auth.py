"""Authentication: who sends a request, from credentials, never from the request body.

In order: a bearer credential (an API token `ovr_...` from the tokens file, else an OIDC JWT
verified against the identity provider's JWKS), else the user header of a trusted SSO proxy,
honoured only from the proxy's configured addresses.
"""

from collections.abc import Sequence
from typing import Any

import jwt
from fastapi import Request

from approvals.config import OidcConfig, ProxyConfig, ServiceConfig
from approvals.identity import Identity, NotAuthenticated
from approvals.jwks import JwksKeys
from approvals.tokens import TOKEN_PREFIX, TokenBook
from contracts.errors import one_line
from contracts.identity import actor_id_problem
from contracts.limits import NAME_MAX_CHARS

# Identity providers' tokens are a few KiB; a larger one is refused before it is parsed.
JWT_MAX_CHARS = 16 * 1024
# Groups read from a token or a proxy header; more is not a person's group list.
GROUPS_MAX = 1000


class Authenticator:
    def __init__(self, config: ServiceConfig) -> None:
        self._config = config
        self._tokens = TokenBook(config.path(config.tokens_file)) if config.tokens_file else None
        self._oidc = Oidc(config.oidc, JwksKeys(config.oidc, config.path)) if config.oidc else None

    async def identify(self, request: Request) -> Identity:
        """The person behind a request: a bearer credential, or a trusted proxy's header."""
        authorization = request.headers.get("authorization")
        if authorization:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                raise NotAuthenticated("the Authorization header is not `Bearer <token>`")
            return await self.from_token(credential.strip())
        if self._config.proxy is not None:
            return from_proxy(self._config.proxy, request)
        raise NotAuthenticated("no credentials: send Authorization: Bearer <token>")

    async def from_token(self, token: str) -> Identity:
        """The person a bearer credential (a JWT or an API token) names, as typed into the
        inbox's login page."""
        if token.startswith(TOKEN_PREFIX):
            if self._tokens is None:
                raise NotAuthenticated("API tokens are not enabled on this service")
            return self._tokens.identify(token)
        if self._oidc is None:
            raise NotAuthenticated("the credential is not a known API token")
        return await self._oidc.identify(token)


class Oidc:
    """Bearer JWTs of an identity provider: signature, issuer, audience and times checked."""

    def __init__(self, config: OidcConfig, keys: JwksKeys) -> None:
        self._config = config
        self._keys = keys

    async def identify(self, token: str) -> Identity:
        if len(token) > JWT_MAX_CHARS:
            raise NotAuthenticated(f"the token is longer than {JWT_MAX_CHARS} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise NotAuthenticated(one_line(f"the token is not a JWT: {error}")) from None
        algorithm = header.get("alg")
        if algorithm not in self._config.algorithms:
            allowed = ", ".join(self._config.algorithms)
            raise NotAuthenticated(
                one_line(f"the token's algorithm {algorithm!r} is not allowed (allowed: {allowed})")
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise NotAuthenticated("the token's key id (kid) is not a string")
        key = await self._keys.key(kid)
        claims = self._verified_claims(token, key)
        return Identity(self._user(claims), self._groups(claims), via="oidc")

    def _verified_claims(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._config.algorithms,
                audience=self._config.audience,
                issuer=self._config.issuer,
                leeway=self._config.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise NotAuthenticated(
                "the token is not valid yet (nbf or iat in the future)"
            ) from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated(
                f"the token is not for this service (audience is not {self._config.audience})"
            ) from None
        except jwt.InvalidIssuerError:
            raise NotAuthenticated(
                one_line(f"the token was not issued by {self._config.issuer}")
            ) from None
        except jwt.PyJWTError as error:
            raise NotAuthenticated(one_line(f"the token is not valid: {error}")) from None
        return claims

    def _user(self, claims: dict[str, Any]) -> str:
        name = self._config.user_claim
        user = claims.get(name)
        if not isinstance(user, str):
            raise NotAuthenticated(f"the token has no {name} claim (a string): it names no user")
        if problem := actor_id_problem(user):
            raise NotAuthenticated(one_line(f"the token's {name} claim {problem}"))
        return user

    def _groups(self, claims: dict[str, Any]) -> tuple[str, ...]:
        name = self._config.groups_claim
        groups = claims.get(name, [])
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list) or len(groups) > GROUPS_MAX:
            raise NotAuthenticated(
                f"the token's {name} claim is not a list of at most {GROUPS_MAX} groups"
            )
        return usable_groups(groups)


def from_proxy(proxy: ProxyConfig, request: Request) -> Identity:
    """The user a trusted SSO proxy names in its header; from any other peer, nobody."""
    user = request.headers.get(proxy.user_header)
    if user is None:
        raise NotAuthenticated(
            f"no credentials: send Authorization: Bearer <token> (or come through the SSO "
            f"proxy, which sets {proxy.user_header})"
        )
    peer = request.client.host if request.client else "an unknown address"
    if peer not in proxy.trusted_addresses:
        # Anyone can send the header; only the proxy's word counts.
        raise NotAuthenticated(
            f"{proxy.user_header} is honoured only from the trusted proxy; "
            f"this request came from {peer}"
        )
    if problem := actor_id_problem(user):
        raise NotAuthenticated(one_line(f"the proxy's {proxy.user_header} {problem}"))
    groups: Sequence[object] = []
    if proxy.groups_header is not None:
        text = request.headers.get(proxy.groups_header, "")
        groups = [group.strip() for group in text.split(",") if group.strip()][: GROUPS_MAX + 1]
        if len(groups) > GROUPS_MAX:
            raise NotAuthenticated(f"the proxy's {proxy.groups_header} names over {GROUPS_MAX}")
    return Identity(user, usable_groups(groups), via="proxy")


def usable_groups(groups: Sequence[object]) -> tuple[str, ...]:
    """The groups that can name a policy's group (a name: no blanks); others never match
    one, so they are left out rather than refusing the person."""
    return tuple(
        sorted(
            {
                group
                for group in groups
                if isinstance(group, str)
                and 0 < len(group) <= NAME_MAX_CHARS
                and group.isprintable()
                and " " not in group
            }
        )
    )
