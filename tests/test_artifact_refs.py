"""Artifact references are hashes, never paths: refused by the model, the store and the CLI;
and the store refuses bytes that do not hash to their reference."""

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from activities.artifacts import (
    ARTIFACT_CORRUPT,
    ARTIFACT_MISSING,
    ARTIFACT_REF_INVALID,
    DirectoryStore,
)
from contracts.artifacts import MAX_ARTIFACT_BYTES, NOT_A_REFERENCE, ArtifactRef
from tests.conftest import venv_binary

GOOD = hashlib.sha256(b"hello").hexdigest()
HOSTILE_HASHES = [
    "",
    "../../../../etc/passwd",
    "/" * 54 + "etc/passwd",
    ("../" * 22)[:54] + "etc/passwd",
    "." * 64,
    GOOD.upper(),
    GOOD[:63],
    GOOD + "0",
    GOOD[:63] + "\n",
    GOOD[:63] + "\x00",
    " " + GOOD[:63],
    "g" * 64,
    "\uff10" * 64,  # full-width digits: `isdigit` would take them
    GOOD[:62] + "/x",
    "%2e%2e%2f" * 7 + "a",
]
# A prefix belongs in a reference's text, not in the hash field.
HOSTILE_FIELDS = [*HOSTILE_HASHES, "sha256:" + GOOD]


@pytest.mark.parametrize("sha256", HOSTILE_FIELDS)
def test_the_model_refuses_a_hash_that_is_not_64_lowercase_hex(sha256: str) -> None:
    with pytest.raises(ValidationError):
        ArtifactRef(sha256=sha256, size=1)
    with pytest.raises(ValidationError):
        ArtifactRef.model_validate_json(f'{{"sha256": {json.dumps(sha256)}, "size": 1}}')


@pytest.mark.parametrize(
    "fields",
    [
        {"size": -1},
        {"size": MAX_ARTIFACT_BYTES + 1},
        {"size": "5"},
        {"media_type": ""},
        {"media_type": "text/plain\r\nX-Injected: 1"},
        {"media_type": "\x1b[2J"},
        {"media_type": "a" * 256},
        {"media_type": " text/plain"},
        {"path": "/etc/passwd"},
    ],
)
def test_the_model_refuses_bad_sizes_media_types_and_extra_fields(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ArtifactRef.model_validate({"sha256": GOOD, "size": 5, **fields})


@pytest.mark.parametrize("text", HOSTILE_HASHES + ["sha256:" + h for h in HOSTILE_HASHES])
def test_parse_refuses_anything_but_a_reference_in_one_line(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        ArtifactRef.parse(text)
    assert str(refused.value) == NOT_A_REFERENCE


def test_parse_takes_a_reference_with_or_without_its_prefix() -> None:
    assert ArtifactRef.parse(f"sha256:{GOOD}") == ArtifactRef.parse(GOOD) == GOOD


@pytest.mark.parametrize("sha256", HOSTILE_FIELDS)
async def test_the_store_refuses_a_raw_malformed_hash(tmp_path: Path, sha256: str) -> None:
    store = DirectoryStore(tmp_path / "store")
    with pytest.raises(ApplicationError) as refused:
        await store.get(sha256)
    assert refused.value.type == ARTIFACT_REF_INVALID
    assert refused.value.non_retryable
    assert "\n" not in refused.value.message


async def test_the_store_refuses_bytes_changed_on_disk(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    ref = await store.put(b"the original", "text/plain; charset=utf-8")
    assert await store.get(ref.sha256) == b"the original"
    (tmp_path / ref.sha256[:2] / ref.sha256).write_bytes(b"tampered with")

    with pytest.raises(ApplicationError) as refused:
        await store.get(ref.sha256)

    assert refused.value.type == ARTIFACT_CORRUPT
    assert refused.value.non_retryable
    assert f"artifact sha256:{ref.sha256} is corrupt" in refused.value.message


async def test_a_missing_artifact_is_still_missing(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as refused:
        await DirectoryStore(tmp_path).get(GOOD)
    assert refused.value.type == ARTIFACT_MISSING


def overseer_artifact_get(store: Path, ref: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "OVERSEER_ARTIFACTS": str(store)}
    return subprocess.run(
        [venv_binary("overseer"), "artifact", "get", ref],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "ref",
    [
        "sha256:../../../../etc/passwd",
        "sha256:" + "/" * 54 + "etc/passwd",
        "../../../../etc/passwd",
        "sha256:" + GOOD.upper(),
        "sha256:" + GOOD[:63] + "\x1b",
        "sha256:",
    ],
)
def test_the_cli_refuses_a_hostile_reference_in_one_line(tmp_path: Path, ref: str) -> None:
    done = overseer_artifact_get(tmp_path, ref)

    assert done.returncode == 1
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"overseer: error: {NOT_A_REFERENCE}, got ")
    assert b"root:" not in done.stderr and b"Traceback" not in done.stderr


async def test_the_cli_refuses_a_corrupt_artifact_in_one_line(tmp_path: Path) -> None:
    ref = await DirectoryStore(tmp_path).put(b"kept", "text/plain; charset=utf-8")
    (tmp_path / ref.sha256[:2] / ref.sha256).write_bytes(b"changed")

    done = overseer_artifact_get(tmp_path, str(ref))

    assert done.returncode == 1
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and f"artifact {ref} is corrupt" in lines[0], done.stderr
