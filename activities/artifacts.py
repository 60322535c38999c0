"""The artifact store: content-addressed payloads too large for workflow history.

OVERSEER_ARTIFACTS selects it: `s3://bucket/prefix` for an S3-compatible object store that
workers on many machines share (activities/artifact_stores/s3.py), else a directory
(default ~/.local/share/overseer/artifacts) for the workers of one machine. Either way an
object's key is its SHA-256, and every read checks the bytes against it.
"""

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from temporalio.exceptions import ApplicationError

from contracts.artifacts import NOT_A_REFERENCE, ArtifactRef, is_sha256_hex
from contracts.errors import one_line

# A write this small goes to the page cache in tens of microseconds: done on the event loop,
# where handing it to a thread cost the worker more CPU than the write itself.
INLINE_WRITE_MAX = 64 * 1024
ARTIFACT_MISSING = "ArtifactMissing"
# What the store holds under a hash is not what hashes to it (changed on disk): reading it
# again gives the same bytes, so no retry.
ARTIFACT_CORRUPT = "ArtifactCorrupt"
# A key that is not 64 lowercase hex characters: never turned into a path.
ARTIFACT_REF_INVALID = "ArtifactRefInvalid"
# The store did not answer as it should (network, throttling, credentials): retryable, so a
# run waits for the store to come back instead of failing.
ARTIFACT_STORE_UNAVAILABLE = "ArtifactStoreUnavailable"


@dataclass(frozen=True)
class StoredArtifact:
    """One object in a store, as retention (`overseer artifacts gc`) sees it."""

    sha256: str
    size: int
    written: datetime  # last written or re-put: what the age cutoff compares


class ArtifactStore(Protocol):
    async def put(self, data: bytes, media_type: str) -> ArtifactRef: ...

    async def get(self, sha256: str) -> bytes: ...


class CollectableStore(ArtifactStore, Protocol):
    """A store retention can list and delete from."""

    def entries(self) -> AsyncIterator[StoredArtifact]: ...

    async def delete(self, sha256s: list[str]) -> None: ...


def checked_key(sha256: str) -> str:
    """`sha256` if it is a store key; a non-retryable ArtifactRefInvalid otherwise (for
    callers that pass a raw string instead of an ArtifactRef)."""
    if not is_sha256_hex(sha256):
        raise ApplicationError(
            one_line(f"{NOT_A_REFERENCE}, got {sha256!r}"),
            type=ARTIFACT_REF_INVALID,
            non_retryable=True,
        )
    return sha256


def missing(sha256: str, where: str) -> ApplicationError:
    return ApplicationError(
        f"artifact sha256:{sha256} is not in the store at {where}",
        type=ARTIFACT_MISSING,
        non_retryable=True,
    )


def verified(sha256: str, data: bytes, where: str) -> bytes:
    """`data` if it hashes to `sha256`; a non-retryable ArtifactCorrupt otherwise."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ApplicationError(
            f"artifact sha256:{sha256} is corrupt in the store at {where}: "
            f"its content hashes to sha256:{digest}",
            type=ARTIFACT_CORRUPT,
            non_retryable=True,
        )
    return data


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        # Every model call puts and gets by this path: os.path costs half of pathlib there.
        self._root = str(root)

    def __str__(self) -> str:
        return self._root

    def _path(self, sha256: str) -> str:
        return os.path.join(self._root, sha256[:2], checked_key(sha256))

    async def put(self, data: bytes, media_type: str) -> ArtifactRef:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)

        def write() -> None:
            if os.path.exists(path):  # content-addressed: the same bytes are already there
                # Written again now: retention counts an object's age from its last put,
                # so one that a new run just referenced is not collected as old.
                # Best effort: a read-only store still serves the object.
                with contextlib.suppress(OSError):
                    os.utime(path)
                return
            os.makedirs(os.path.dirname(path), exist_ok=True)
            partial = f"{path}.{os.getpid()}.partial"
            with open(partial, "wb") as file:
                file.write(data)
            os.replace(partial, path)

        if len(data) <= INLINE_WRITE_MAX:
            write()
        else:
            await asyncio.to_thread(write)
        return ArtifactRef(sha256=digest, size=len(data), media_type=media_type)

    async def get(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash."""
        path = self._path(sha256)

        def read() -> bytes:  # read and hashed on one trip to a thread
            try:
                with open(path, "rb") as file:
                    data = file.read()
            except FileNotFoundError:
                raise missing(sha256, self._root) from None
            return verified(sha256, data, self._root)

        return await asyncio.to_thread(read)

    async def entries(self) -> AsyncIterator[StoredArtifact]:
        """Every object of the store; anything not named like one (a partial write, a
        stranger's file) is left out, so retention never deletes it."""
        shards = await asyncio.to_thread(_children, self.root)
        for shard in shards:
            for path in await asyncio.to_thread(_children, shard):
                name = path.name
                if not (is_sha256_hex(name) and name[:2] == shard.name):
                    continue
                try:
                    stat = await asyncio.to_thread(path.stat)
                except FileNotFoundError:
                    continue  # deleted meanwhile
                written = datetime.fromtimestamp(stat.st_mtime, UTC)
                yield StoredArtifact(sha256=name, size=stat.st_size, written=written)

    async def delete(self, sha256s: list[str]) -> None:
        def remove() -> None:
            for sha256 in sha256s:
                Path(self._path(sha256)).unlink(missing_ok=True)

        await asyncio.to_thread(remove)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() or p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []


def default_root() -> Path:
    """OVERSEER_ARTIFACTS (a directory), else the user's data directory: the same store for
    every worker and every `overseer` command on this machine, whatever directory they run
    in."""
    configured = os.environ.get("OVERSEER_ARTIFACTS")
    if configured and not configured.startswith(S3_SCHEME):
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "overseer" / "artifacts"


S3_SCHEME = "s3://"


def default_store() -> CollectableStore:
    """The store this process is configured with (OVERSEER_ARTIFACTS): workers and the CLI
    read the same environment, so they find the same objects. A bad `s3://` setting raises
    OverseerError with one line."""
    configured = os.environ.get("OVERSEER_ARTIFACTS", "")
    if configured.startswith(S3_SCHEME):
        endpoint = os.environ.get("OVERSEER_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
        return _s3_store(configured, endpoint or None)
    return DirectoryStore(default_root())


@lru_cache(maxsize=4)
def _s3_store(url: str, endpoint: str | None) -> CollectableStore:
    # One client (and connection pool) per process and setting: building a boto3 client
    # costs milliseconds, and default_store() is called on every tool call. Imported here
    # so processes using a directory never load boto3.
    from activities.artifact_stores.s3 import S3Store, parse_location

    return S3Store(parse_location(url, endpoint))
