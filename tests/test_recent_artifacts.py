"""A worker's recent artifacts (activities/artifact_stores/recent.py): reads of what it put or
read lately are served from memory, within bounds; writes always reach the store."""

import hashlib
from pathlib import Path

import pytest

from activities.artifact_stores.recent import RecentArtifacts
from activities.artifacts import DirectoryStore
from activities.llm import ModelActivities
from contracts.artifacts import ArtifactRef


class CountingStore(DirectoryStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gets: list[str] = []
        self.puts = 0

    async def get(self, sha256: str) -> bytes:
        self.gets.append(sha256)
        return await super().get(sha256)

    async def put(self, data: bytes, media_type: str) -> ArtifactRef:
        self.puts += 1
        return await super().put(data, media_type)


async def test_what_was_put_is_read_back_without_the_store(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    recent = RecentArtifacts(store)
    ref = await recent.put(b"conversation", "application/json")
    assert await recent.get(ref.sha256) == b"conversation"
    assert store.gets == [] and store.puts == 1
    assert await store.get(ref.sha256) == b"conversation"  # written through: others read it


async def test_what_was_read_once_is_read_from_memory_after(tmp_path: Path) -> None:
    written = await DirectoryStore(tmp_path).put(b"from another worker", "text/plain")
    store = CountingStore(tmp_path)
    recent = RecentArtifacts(store)
    assert await recent.get(written.sha256) == await recent.get(written.sha256)
    assert store.gets == [written.sha256]


async def test_memory_is_bounded_least_recently_used_first_out(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    recent = RecentArtifacts(store, kept_bytes=12, largest=4)
    first, second, _ = [await recent.put(data, "x") for data in (b"aaaa", b"bbbb", b"cccc")]
    await recent.get(first.sha256)  # the oldest, used again: now the most recent
    await recent.put(b"dddd", "x")  # 16 bytes would pass 12: the least recent (second) goes
    await recent.get(first.sha256)
    assert store.gets == []
    await recent.get(second.sha256)
    assert store.gets == [second.sha256]
    big = await recent.put(b"e" * 5, "x")  # over `largest`: never kept
    await recent.get(big.sha256)
    assert store.gets[-1] == big.sha256


async def test_a_missing_object_is_still_an_error(tmp_path: Path) -> None:
    recent = RecentArtifacts(DirectoryStore(tmp_path))
    with pytest.raises(Exception, match="is not in the store"):
        await recent.get(hashlib.sha256(b"never written").hexdigest())


def test_model_calls_read_through_recent_artifacts() -> None:
    assert isinstance(ModelActivities().store, RecentArtifacts)
