"""The S3 artifact store against a real S3 HTTP API (moto's server): the same keys, checks
and error types as the directory store, and the CLI reading from it."""

import asyncio
import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.artifact_stores.s3 import (
    PUT_WITHOUT_HEAD_BYTES,
    S3Location,
    S3Store,
    parse_location,
)
from activities.artifacts import (
    ARTIFACT_CORRUPT,
    ARTIFACT_MISSING,
    ARTIFACT_REF_INVALID,
    ARTIFACT_STORE_UNAVAILABLE,
    default_store,
)
from contracts.errors import OverseerError
from tests.conftest import venv_binary
from tests.s3_server import CREDENTIALS, S3Server, free_port, s3_server

__all__ = ["s3_server"]  # the fixture, imported for pytest

ABSENT = "0" * 64


@pytest.fixture
def store(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    for name, value in s3_server.environment(s3_server.new_bucket(), "team/a").items():
        monkeypatch.setenv(name, value)
    chosen = default_store()
    assert isinstance(chosen, S3Store)
    return chosen


async def test_put_keys_by_hash_under_the_prefix_and_get_verifies(
    store: S3Store, s3_server: S3Server
) -> None:
    data = b"the whole conversation" * 1000
    ref = await store.put(data, "application/json")
    digest = hashlib.sha256(data).hexdigest()
    assert (ref.sha256, ref.size, ref.media_type) == (digest, len(data), "application/json")
    stored = s3_server.client().get_object(
        Bucket=store.location.bucket, Key=f"team/a/{digest[:2]}/{digest}"
    )
    assert stored["Body"].read() == data
    assert await store.get(digest) == data


async def test_put_skips_a_large_object_already_there(store: S3Store, s3_server: S3Server) -> None:
    large = b"x" * (PUT_WITHOUT_HEAD_BYTES + 1)
    ref = await store.put(large, "text/plain")
    key = store.location.key(ref.sha256)
    # Other bytes under the key show whether the second put wrote again: it must not.
    s3_server.client().put_object(Bucket=store.location.bucket, Key=key, Body=b"marker")
    await store.put(large, "text/plain")
    kept = s3_server.client().get_object(Bucket=store.location.bucket, Key=key)
    assert kept["Body"].read() == b"marker"


async def test_a_small_object_is_written_without_asking_first(store: S3Store) -> None:
    heads: list[str] = []
    store._s3.meta.events.register(
        "before-call.s3.HeadObject", lambda **kwargs: heads.append("HEAD")
    )
    ref = await store.put(b"a conversation", "application/json")
    await store.put(b"a conversation", "application/json")  # written again: refreshed
    assert heads == []
    assert await store.get(ref.sha256) == b"a conversation"
    await store.put(b"y" * (PUT_WITHOUT_HEAD_BYTES + 1), "text/plain")
    assert len(heads) == 1


async def test_a_missing_object_is_artifact_missing(store: S3Store) -> None:
    with pytest.raises(ApplicationError) as caught:
        await store.get(ABSENT)
    assert caught.value.type == ARTIFACT_MISSING and caught.value.non_retryable
    assert f"sha256:{ABSENT} is not in the store at s3://" in caught.value.message


async def test_an_overwritten_object_is_artifact_corrupt(
    store: S3Store, s3_server: S3Server
) -> None:
    ref = await store.put(b"what the tool returned", "text/plain")
    s3_server.client().put_object(
        Bucket=store.location.bucket, Key=store.location.key(ref.sha256), Body=b"other bytes"
    )
    with pytest.raises(ApplicationError) as caught:
        await store.get(ref.sha256)
    assert caught.value.type == ARTIFACT_CORRUPT and caught.value.non_retryable
    assert hashlib.sha256(b"other bytes").hexdigest() in caught.value.message


async def test_a_key_that_is_not_a_hash_never_reaches_the_store(store: S3Store) -> None:
    with pytest.raises(ApplicationError) as caught:
        await store.get("../../etc/passwd")
    assert caught.value.type == ARTIFACT_REF_INVALID and caught.value.non_retryable


async def test_entries_list_only_artifacts_and_delete_removes_them(
    store: S3Store, s3_server: S3Server
) -> None:
    kept = await store.put(b"kept", "text/plain")
    gone = await store.put(b"gone", "text/plain")
    # A stranger's object under the prefix is never listed, so never collected.
    s3_server.client().put_object(
        Bucket=store.location.bucket, Key="team/a/notes.txt", Body=b"not an artifact"
    )
    listed = {entry.sha256: entry.size async for entry in store.entries()}
    assert listed == {kept.sha256: 4, gone.sha256: 4}
    await store.delete([gone.sha256])
    assert [entry.sha256 async for entry in store.entries()] == [kept.sha256]
    with pytest.raises(ApplicationError):
        await store.get(gone.sha256)


async def test_an_unreachable_store_is_one_retryable_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens on the port: the activity fails this attempt and Temporal retries it.
    store = S3Store(S3Location("overseer", "", f"http://127.0.0.1:{free_port()}"))
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ApplicationError) as caught:
        await store.get(ABSENT)
    assert caught.value.type == ARTIFACT_STORE_UNAVAILABLE
    assert not caught.value.non_retryable
    assert "\n" not in caught.value.message and "s3://overseer/" in caught.value.message


async def test_a_missing_bucket_names_the_store(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    store = S3Store(parse_location("s3://no-such-bucket/x", s3_server.endpoint))
    with pytest.raises(ApplicationError) as caught:
        await store.put(b"anything", "text/plain")
    assert caught.value.type == ARTIFACT_STORE_UNAVAILABLE
    assert "NoSuchBucket" in caught.value.message


@pytest.mark.parametrize(
    ("url", "endpoint", "problem"),
    [
        ("s3://", None, "bucket must be an S3 bucket name"),
        ("s3://Upper_Case/x", None, "bucket must be an S3 bucket name"),
        ("s3://bucket/../x", None, "the prefix may hold only"),
        ("s3://bucket/a b", None, "the prefix may hold only"),
        ("s3://bucket/x", "ftp://host", "is not an http(s) URL"),
    ],
)
def test_a_bad_setting_is_one_clear_line(url: str, endpoint: str | None, problem: str) -> None:
    with pytest.raises(OverseerError) as caught:
        parse_location(url, endpoint)
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_the_location_keeps_the_prefix_as_a_folder() -> None:
    location = parse_location("s3://bucket/team/a/", "http://127.0.0.1:9000")
    assert location.key("ab" + "0" * 62) == "team/a/ab/ab" + "0" * 62
    assert parse_location("s3://bucket", None).key("ab" + "0" * 62) == "ab/ab" + "0" * 62


def test_the_cli_reads_from_the_same_store(store: S3Store, tmp_path: Path) -> None:
    ref = asyncio.run(store.put(b"the whole answer", "text/plain"))
    environment = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(
        [venv_binary("overseer"), "artifact", "get", str(ref)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"the whole answer"
    bad = {**environment, "OVERSEER_ARTIFACTS": "s3://Bad Bucket"}
    refused = subprocess.run(
        [venv_binary("overseer"), "artifact", "get", str(ref)],
        env=bad,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "bucket must be an S3 bucket name" in refused.stderr
