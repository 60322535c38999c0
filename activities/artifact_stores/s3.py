"""The S3-compatible artifact store (AWS S3, MinIO, Ceph, R2): objects keyed by SHA-256.

boto3, AWS's own client, run on a small thread pool of the store's own: it reads the
standard AWS configuration (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_PROFILE, instance roles) and speaks every S3-compatible API. Its own retries are few
and its timeouts short, so an activity attempt fails fast and Temporal's retry policy
decides what happens next; the CLI gets the same few quick retries.
"""

import asyncio
import hashlib
import os
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from temporalio.exceptions import ApplicationError

from activities.artifacts import (
    ARTIFACT_CORRUPT,
    ARTIFACT_STORE_UNAVAILABLE,
    StoredArtifact,
    checked_key,
    missing,
    verified,
)
from contracts.artifacts import ArtifactRef, is_sha256_hex
from contracts.errors import OverseerError, one_line

# Far above anything Overseer writes (a tool result is capped at 64 MiB); an object larger
# than this was not written by Overseer and is refused before it is read into memory.
MAX_OBJECT_BYTES = 1 << 30
# An existing object is written again when its last write is older than this, so its age
# (what `overseer artifacts gc` compares) counts from the newest run that stored it.
REFRESH_AFTER = timedelta(hours=1)
# Up to this size an object is written without asking first whether it is there: a PUT of
# a small object costs about what the HEAD does, and most small objects (a conversation
# after a model call) are new. Larger ones are looked for first, to spare the upload.
PUT_WITHOUT_HEAD_BYTES = 256 * 1024
# Concurrent requests per process: the pool's threads and boto3's connections.
CONCURRENCY = 16
DELETE_BATCH = 1000  # DeleteObjects' limit
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]{0,512}$")
_T = TypeVar("_T")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # empty, or ends in "/"
    endpoint: str | None

    def __str__(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint}" if self.endpoint else where

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256[:2]}/{sha256}"


def parse_location(url: str, endpoint: str | None) -> S3Location:
    """`s3://bucket[/prefix]` and an optional endpoint URL; OverseerError (one line) naming
    what is wrong otherwise."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not _BUCKET.match(bucket):
        raise OverseerError(
            one_line(f"OVERSEER_ARTIFACTS={url!r}: the bucket must be an S3 bucket name")
        )
    prefix = prefix.strip("/")
    if not _PREFIX.match(prefix) or ".." in prefix or "//" in prefix:
        raise OverseerError(
            one_line(f"OVERSEER_ARTIFACTS={url!r}: the prefix may hold only A-Z a-z 0-9 /!_.*'()-")
        )
    if endpoint is not None and not re.match(r"^https?://[^\s/]+(/\S*)?$", endpoint):
        raise OverseerError(one_line(f"S3 endpoint {endpoint!r} is not an http(s) URL"))
    return S3Location(bucket, f"{prefix}/" if prefix else "", endpoint)


def _client(location: S3Location) -> Any:
    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=CONCURRENCY,
        # Many S3-compatible stores (older MinIO, Ceph, R2) refuse the checksum headers
        # boto3 adds by default; every read is checked against the SHA-256 anyway.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # Endpoints other than AWS's (MinIO, a local server) serve path-style addresses.
        s3={"addressing_style": "path"} if location.endpoint else {},
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client(
        "s3", endpoint_url=location.endpoint, region_name=region, config=config
    )


class S3Store:
    def __init__(self, location: S3Location) -> None:
        self.location = location
        self._s3 = _client(location)
        self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="overseer-s3")

    def __str__(self) -> str:
        return str(self.location)

    async def _call(self, what: str, call: Callable[[], _T]) -> _T:
        """`call` on the store's threads; an S3 or network error becomes one retryable line."""

        def guarded() -> _T:
            try:
                return call()
            except ClientError as error:
                details = error.response.get("Error", {})
                code = details.get("Code", "?")
                text = f"{code}: {details.get('Message', '')}".rstrip(": ")
                raise _unavailable(f"{what} in {self.location} failed: {text}") from None
            except BotoCoreError as error:
                raise _unavailable(f"{what} in {self.location} failed: {error}") from None

        return await asyncio.get_running_loop().run_in_executor(self._pool, guarded)

    def _written(self, key: str) -> datetime | None:
        try:
            head = self._s3.head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return None
            raise
        written: datetime = head["LastModified"]
        return written

    async def put(self, data: bytes, media_type: str) -> ArtifactRef:
        digest = hashlib.sha256(data).hexdigest()
        key = self.location.key(digest)

        def write() -> None:
            if len(data) > PUT_WITHOUT_HEAD_BYTES:
                written = self._written(key)
                if written is not None and datetime.now(UTC) - written < REFRESH_AFTER:
                    return  # content-addressed: the same bytes are already there
            self._s3.put_object(Bucket=self.location.bucket, Key=key, Body=data)

        await self._call(f"storing sha256:{digest}", write)
        return ArtifactRef(sha256=digest, size=len(data), media_type=media_type)

    async def get(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash: ArtifactMissing or ArtifactCorrupt
        (non-retryable) as from the directory store."""
        key = self.location.key(checked_key(sha256))

        def read() -> bytes | None:
            try:
                response = self._s3.get_object(Bucket=self.location.bucket, Key=key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _NOT_FOUND:
                    return None
                raise
            body = response["Body"]
            try:
                if response.get("ContentLength", 0) > MAX_OBJECT_BYTES:
                    raise _too_large(sha256, str(self.location))
                data: bytes = body.read(MAX_OBJECT_BYTES + 1)
            finally:
                body.close()
            return data

        data = await self._call(f"reading sha256:{sha256}", read)
        if data is None:
            raise missing(sha256, str(self.location))
        if len(data) > MAX_OBJECT_BYTES:
            raise _too_large(sha256, str(self.location))
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, verified, sha256, data, str(self.location)
        )

    async def entries(self) -> AsyncIterator[StoredArtifact]:
        """Every object under the prefix named like an artifact (`xx/<sha256>`); other keys
        are left out, so retention never deletes them."""
        token: str | None = None
        while True:
            page = await self._call("listing", partial(self._list_page, token))
            for item in page.get("Contents", []):
                sha256 = _artifact_name(item["Key"].removeprefix(self.location.prefix))
                if sha256 is not None:
                    yield StoredArtifact(sha256, int(item["Size"]), item["LastModified"])
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or token is None:
                return

    def _list_page(self, token: str | None) -> Any:
        options = {"ContinuationToken": token} if token else {}
        return self._s3.list_objects_v2(
            Bucket=self.location.bucket, Prefix=self.location.prefix, **options
        )

    async def delete(self, sha256s: list[str]) -> None:
        keys = [self.location.key(checked_key(sha256)) for sha256 in sha256s]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]

            def remove(batch: list[dict[str, str]] = batch) -> None:
                answer = self._s3.delete_objects(
                    Bucket=self.location.bucket, Delete={"Objects": batch, "Quiet": True}
                )
                if answer.get("Errors"):
                    first = answer["Errors"][0]
                    raise _unavailable(f"deleting {first.get('Key')}: {first.get('Code')}")

            await self._call("deleting", remove)


def _artifact_name(relative: str) -> str | None:
    shard, _, name = relative.partition("/")
    return name if is_sha256_hex(name) and shard == name[:2] else None


def _unavailable(message: str) -> ApplicationError:
    return ApplicationError(one_line(message), type=ARTIFACT_STORE_UNAVAILABLE)


def _too_large(sha256: str, where: str) -> ApplicationError:
    return ApplicationError(
        f"artifact sha256:{sha256} in the store at {where} is larger than "
        f"{MAX_OBJECT_BYTES} bytes: Overseer never wrote it",
        type=ARTIFACT_CORRUPT,
        non_retryable=True,
    )
