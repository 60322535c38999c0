"""The artifacts a worker put or read lately, kept in its memory in front of the store.

A model call reads the conversation the run's previous model call wrote: when the same
worker made that call, the bytes are still here, and reading them back from the store was
a thread hop and a file read on a directory, and a GET (about 2 ms of worker CPU, and its
latency) on S3. Objects are content-addressed, so a kept object is never stale; it was
hashed when it was put, or verified when it was read. Writes still go to the store
(another worker, or the CLI, may read them next): only reads are saved.
"""

from collections import OrderedDict

from activities.artifacts import ArtifactStore
from contracts.artifacts import ArtifactRef

# Bounds on the worker's memory: the most it keeps in all, and the largest object it keeps
# (a long run's conversation beyond it is read from the store each time).
KEPT_BYTES = 32 * 1024 * 1024
LARGEST_KEPT = 2 * 1024 * 1024


class RecentArtifacts:
    """An ArtifactStore that remembers, least recently used first out, what went through it."""

    def __init__(
        self, store: ArtifactStore, kept_bytes: int = KEPT_BYTES, largest: int = LARGEST_KEPT
    ) -> None:
        self.store = store
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._kept_bytes = 0
        self._budget = kept_bytes
        self._largest = min(largest, kept_bytes)

    def __str__(self) -> str:  # where errors say the store is
        return str(self.store)

    async def put(self, data: bytes, media_type: str) -> ArtifactRef:
        ref = await self.store.put(data, media_type)
        self._keep(ref.sha256, data)
        return ref

    async def get(self, sha256: str) -> bytes:
        if (data := self._kept.get(sha256)) is not None:
            self._kept.move_to_end(sha256)
            return data
        data = await self.store.get(sha256)  # checked against its hash there
        self._keep(sha256, data)
        return data

    def _keep(self, sha256: str, data: bytes) -> None:
        if len(data) > self._largest or sha256 in self._kept:
            return
        self._kept[sha256] = data
        self._kept_bytes += len(data)
        while self._kept_bytes > self._budget:
            _, oldest = self._kept.popitem(last=False)
            self._kept_bytes -= len(oldest)
