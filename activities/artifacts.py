"""The artifact store: content-addressed payloads too large for workflow history.

The default keeps them in a directory (OVERSEER_ARTIFACTS, default .overseer/artifacts),
which every worker of a deployment must share; the ArtifactStore protocol lets an
S3-compatible store take its place.
"""

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Protocol

from temporalio.exceptions import ApplicationError

from contracts.artifacts import ArtifactRef

ARTIFACT_MISSING = "ArtifactMissing"


class ArtifactStore(Protocol):
    async def put(self, data: bytes, media_type: str) -> ArtifactRef: ...

    async def get(self, sha256: str) -> bytes: ...


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
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
        path = self._path(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise ApplicationError(
                f"artifact sha256:{sha256} is not in the store at {self.root}",
                type=ARTIFACT_MISSING,
                non_retryable=True,
            ) from None


def default_store() -> DirectoryStore:
    return DirectoryStore(Path(os.environ.get("OVERSEER_ARTIFACTS") or ".overseer/artifacts"))
