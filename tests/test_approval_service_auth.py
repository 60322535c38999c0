"""Who the approval service thinks you are: OIDC tokens against a JWKS served from
127.0.0.1 (with key rotation), API tokens, a trusted SSO proxy's header; every refusal a
401 with one line and a Bearer challenge. Over a real socket (uvicorn on 127.0.0.1)."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from temporalio.testing import WorkflowEnvironment

from approvals.app import create_app
from approvals.config import OidcConfig, ServiceConfig
from approvals.identity import NotAuthenticated
from approvals.jwks import JwksKeys
from approvals.tokens import add_token
from starters.client.signing import SigningKey
from tests.approval_service_helpers import AUDIENCE, ISSUER, JwksServer, Signer, serving

A = Signer("key-a")
B = Signer("key-b")


def service_config(tmp: Path, **fields: Any) -> ServiceConfig:
    key = tmp / "service-key.json"
    if not key.exists():
        SigningKey.generate("approvals-test", None).save(key)
    return ServiceConfig.model_validate({"signing_key": str(key), **fields})


@pytest.fixture(scope="module")
def jwks() -> Any:
    with JwksServer().running() as server:
        server.keys = [A.jwk()]
        yield server


@pytest_asyncio.fixture(scope="module")
async def service(
    env: WorkflowEnvironment, jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str]]:
    """The service with all three ways in; yields its URL and olga's API token."""
    tmp = tmp_path_factory.mktemp("auth")
    token = add_token(tmp / "tokens.yaml", "olga", ["ops"])
    config = service_config(
        tmp,
        tokens_file=str(tmp / "tokens.yaml"),
        oidc={
            "jwks_url": jwks.url,
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "user_claim": "preferred_username",
            "jwks_refetch_seconds": 0,
            "leeway_seconds": 5,
        },
        proxy={
            "user_header": "X-Forwarded-User",
            "groups_header": "X-Forwarded-Groups",
            "trusted_addresses": ["127.0.0.1"],
        },
    )
    async with serving(create_app(config, client=env.client)) as url:
        yield url, token


async def me(url: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        return await http.get("/api/me", headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def refused(url: str, headers: dict[str, str]) -> str:
    response = await me(url, headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"]
    error: str = body["error"]
    return error


async def test_oidc_tokens_hold_across_a_key_rotation(
    service: tuple[str, str], jwks: JwksServer
) -> None:
    url, _ = service
    jwks.keys = [A.jwk()]
    answer = await me(url, bearer(A.token("olga", groups=["ops", "payments", "has blank"])))
    assert answer.status_code == 200, answer.text
    # A group that is no name cannot match a policy's group: left out, not refused.
    assert answer.json() == {"user": "olga", "groups": ["ops", "payments"], "via": "oidc"}

    fetches = jwks.fetches
    jwks.keys = [B.jwk()]  # the provider rotates: A is gone, B is new
    answer = await me(url, bearer(B.token("rita")))
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"] == "rita"
    assert jwks.fetches == fetches + 1  # refetched once, for the unknown key id
    message = await refused(url, bearer(A.token("olga")))
    assert "key id 'key-a'" in message


async def test_bad_oidc_tokens_are_refused(service: tuple[str, str], jwks: JwksServer) -> None:
    url, _ = service
    jwks.keys = [A.jwk(), B.jwk()]
    now = int(time.time())
    public_pem = A.private.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": ISSUER, "aud": AUDIENCE, "preferred_username": "olga", "iat": now}
    cases = {
        A.token(exp=now - 120): "the token has expired",
        A.token(nbf=now + 600): "not valid yet",
        A.token(iat=now + 600): "not valid yet",
        A.token(iss="https://evil.test"): f"was not issued by {ISSUER}",
        A.token(aud="another-service"): f"audience is not {AUDIENCE}",
        A.token(exp=None): 'missing the "exp" claim',
        A.token(preferred_username=None): "no preferred_username claim",
        A.token(preferred_username="olga\x1b[2J"): "holds control or invisible characters",
        "not-a-jwt": "the token is not a JWT",
        jwt.encode({**claims, "exp": now + 60}, "", algorithm="none", headers={"kid": A.kid}): (
            "algorithm 'none' is not allowed"
        ),
        # The public key used as an HMAC secret: the classic confusion attack.
        hmac_signed({**claims, "exp": now + 60}, public_pem, A.kid): (
            "algorithm 'HS256' is not allowed"
        ),
        # Signed by B, claiming to be A's.
        jwt.encode(
            {**claims, "exp": now + 60}, B.private, algorithm="RS256", headers={"kid": A.kid}
        ): "Signature verification failed",
        Signer("key-c").token(): "key id 'key-c'",
    }
    for token, expected in cases.items():
        assert expected in await refused(url, bearer(token)), expected


async def test_api_tokens_and_missing_credentials(service: tuple[str, str]) -> None:
    url, token = service
    answer = await me(url, bearer(token))
    assert answer.json() == {"user": "olga", "groups": ["ops"], "via": "token"}
    assert "not known" in await refused(url, bearer(token[:-2] + "xx"))
    assert "no credentials" in await refused(url, {})
    assert "not `Bearer <token>`" in await refused(url, {"authorization": f"Basic {token}"})
    # An identity in the body (or a query) is never read.
    answer = await me(url, {"x-overseer-user": "olga"})
    assert answer.status_code == 401


async def test_a_proxy_header_counts_from_the_trusted_address_only(
    env: WorkflowEnvironment, service: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = service
    headers = {"X-Forwarded-User": "audrey", "X-Forwarded-Groups": "ops, payments"}
    answer = await me(url, headers)
    assert answer.json() == {"user": "audrey", "groups": ["ops", "payments"], "via": "proxy"}

    # The same header where the configured proxy is another host: refused, not believed.
    proxy = {"user_header": "X-Forwarded-User", "trusted_addresses": ["10.9.8.7"]}
    elsewhere = create_app(service_config(tmp_path, proxy=proxy), client=env.client)
    async with serving(elsewhere) as other:
        message = await refused(other, headers)
    assert message == (
        "X-Forwarded-User is honoured only from the trusted proxy; this request came from 127.0.0.1"
    )


async def test_a_jwks_file_is_reread_for_a_new_key(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [A.jwk()]}))
    config = OidcConfig(jwks_file=str(path), issuer=ISSUER, audience=AUDIENCE)
    now = [1000.0]
    keys = JwksKeys(config, Path, clock=lambda: now[0])
    assert (await keys.key("key-a")).key_id == "key-a"
    path.write_text(json.dumps({"keys": [B.jwk()]}))
    with pytest.raises(NotAuthenticated, match="key-b"):
        await keys.key("key-b")  # within jwks_refetch_seconds of the last read: not reread
    now[0] += config.jwks_refetch_seconds
    assert (await keys.key("key-b")).key_id == "key-b"
    with pytest.raises(NotAuthenticated, match="key-a"):
        await keys.key("key-a")


def test_hmac_and_none_algorithms_cannot_be_configured() -> None:
    for algorithm in ("HS256", "none"):
        with pytest.raises(ValueError, match=f"algorithm {algorithm} is not allowed"):
            OidcConfig(
                jwks_url="https://idp.test/jwks",
                issuer=ISSUER,
                audience=AUDIENCE,
                algorithms=[algorithm],
            )


def hmac_signed(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token keyed with `secret`, made by hand: pyjwt rightly refuses to key HMAC
    with a public key, which is the attack this token tries."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = ".".join(_b64(json.dumps(part).encode()) for part in (header, claims))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
