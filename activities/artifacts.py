"""The artifact store: content-addressed payloads too large for workflow history.

The default keeps them in a directory (OVERSEER_ARTIFACTS, default
~/.local/share/overseer/artifacts),
which every worker of a deployment must share; the ArtifactStore protocol lets an
S3-compatible store take its place.
"""

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Protocol

from temporalio.exceptions import ApplicationError

from contracts.artifacts import NOT_A_REFERENCE, ArtifactRef, is_sha256_hex
from contracts.errors import one_line

ARTIFACT_MISSING = "ArtifactMissing"
# What the store holds under a hash is not what hashes to it (changed on disk): reading it
# again gives the same bytes, so no retry.
ARTIFACT_CORRUPT = "ArtifactCorrupt"
# A key that is not 64 lowercase hex characters: never turned into a path.
ARTIFACT_REF_INVALID = "ArtifactRefInvalid"


class ArtifactStore(Protocol):
    async def put(self, data: bytes, media_type: str) -> ArtifactRef: ...

    async def get(self, sha256: str) -> bytes: ...


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        # Also checked here, for callers that pass a raw string instead of an ArtifactRef.
        if not is_sha256_hex(sha256):
            raise ApplicationError(
                one_line(f"{NOT_A_REFERENCE}, got {sha256!r}"),
                type=ARTIFACT_REF_INVALID,
                non_retryable=True,
            )
        return self.root / sha256[:2] / sha256

    async def put(self, data: bytes, media_type: str) -> ArtifactRef:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)

        def write() -> None:
            if path.exists():  # content-addressed: the same bytes are already there
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(data)
            partial.replace(path)

        await asyncio.to_thread(write)
        return ArtifactRef(sha256=digest, size=len(data), media_type=media_type)

    async def get(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash."""
        path = self._path(sha256)

        def read() -> tuple[bytes, str]:
            data = path.read_bytes()
            return data, hashlib.sha256(data).hexdigest()

        try:
            data, digest = await asyncio.to_thread(read)
        except FileNotFoundError:
            raise ApplicationError(
                f"artifact sha256:{sha256} is not in the store at {self.root}",
                type=ARTIFACT_MISSING,
                non_retryable=True,
            ) from None
        if digest != sha256:
            raise ApplicationError(
                f"artifact sha256:{sha256} is corrupt in the store at {self.root}: "
                f"its content hashes to sha256:{digest}",
                type=ARTIFACT_CORRUPT,
                non_retryable=True,
            )
        return data


def default_root() -> Path:
    """OVERSEER_ARTIFACTS, else the user's data directory: the same store for every worker
    and every `overseer` command on this machine, whatever directory they run in."""
    configured = os.environ.get("OVERSEER_ARTIFACTS")
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "overseer" / "artifacts"


def default_store() -> DirectoryStore:
    return DirectoryStore(default_root())
