"""The identity provider's public keys (a JWKS), from a file or a URL, cached.

A key id the cached set does not hold makes one refetch (so a rotated key is trusted
without a restart), at most every `jwks_refetch_seconds`: anyone can send a token with an
unknown key id, and each must not cost a request to the identity provider.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from jwt import PyJWK, PyJWKSet, PyJWTError

from approvals.config import OidcConfig
from approvals.identity import NotAuthenticated
from contracts.errors import one_line

# A JWKS is a few keys: a few KiB. More is not a key set.
JWKS_MAX_BYTES = 256 * 1024
FETCH_TIMEOUT = httpx.Timeout(5.0)

log = logging.getLogger(__name__)


class KeysUnavailable(Exception):
    """The key set cannot be read and none is cached: the service, not the caller, is at
    fault (503)."""


class JwksKeys:
    def __init__(
        self,
        config: OidcConfig,
        resolve: Callable[[str], Path],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._file = resolve(config.jwks_file) if config.jwks_file else None
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> PyJWK:
        """The key that signed a token with this `kid` header (None: the set's only key)."""
        if self._loaded_at is None or self._age() >= self._config.jwks_cache_seconds:
            await self._reload(self._loaded_at)
        found = self._find(kid)
        if found is None and self._age() >= self._config.jwks_refetch_seconds:
            await self._reload(self._loaded_at)  # perhaps the provider rotated its keys
            found = self._find(kid)
        if found is None:
            which = f"key id {kid!r}" if kid is not None else "no key id"
            raise NotAuthenticated(
                one_line(f"the token names {which}, not a key of the identity provider's JWKS")
            )
        return found

    def _find(self, kid: str | None) -> PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _age(self) -> float:
        return self._clock() - (self._loaded_at or 0.0)

    async def _reload(self, seen: float | None) -> None:
        async with self._lock:
            if self._loaded_at != seen:
                return  # another request reloaded it while this one waited
            try:
                data = await self._read()
                self._keys = _usable_keys(data)
            except KeysUnavailable as error:
                if not self._keys:
                    raise
                # The identity provider is down: the keys it last gave still hold.
                log.warning("keeping the cached JWKS: %s", error)
            self._loaded_at = self._clock()

    async def _read(self) -> bytes:
        if self._file is not None:
            return _read_file(self._file)
        assert self._config.jwks_url is not None  # the config has exactly one source
        return await _fetch(self._config.jwks_url)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(JWKS_MAX_BYTES + 1)
    except OSError as error:
        raise KeysUnavailable(f"cannot read the JWKS file {path}: {error.strerror}") from None
    if len(data) > JWKS_MAX_BYTES:
        raise KeysUnavailable(f"the JWKS file {path} is larger than {JWKS_MAX_BYTES} bytes")
    return data


async def _fetch(url: str) -> bytes:
    try:
        async with (
            httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=False) as http,
            http.stream("GET", url, headers={"accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise KeysUnavailable(f"the JWKS at {url} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > JWKS_MAX_BYTES:
                    raise KeysUnavailable(f"the JWKS at {url} is larger than {JWKS_MAX_BYTES} B")
            return bytes(body)
    except httpx.HTTPError as error:
        raise KeysUnavailable(
            one_line(f"cannot fetch the JWKS at {url}: {type(error).__name__}: {error}")
        ) from None


def _usable_keys(data: bytes) -> dict[str, PyJWK]:
    try:
        parsed = json.loads(data)
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        # Symmetric ("oct") keys are never trusted: a JWKS is public.
        entries = [
            key
            for key in parsed.get("keys", [])
            if isinstance(key, dict) and key.get("kty") != "oct"
        ]
        keys = PyJWKSet(entries).keys
    except (ValueError, PyJWTError) as error:
        raise KeysUnavailable(one_line(f"the JWKS is not usable: {error}")) from None
    return {key.key_id or "": key for key in keys}
