"""Retention of the artifact store (`overseer artifacts gc`), for the directory and the S3
store: old objects no workflow refers to go; those a running or a retained closed run's
history names stay, and so does anything young."""

import asyncio
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.artifacts import ARTIFACT_MISSING, CollectableStore, default_store
from contracts.errors import OverseerError
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.snapshot import RunResult
from contracts.states import RunState
from starters.client.artifacts import collect_artifacts
from tests.conftest import venv_binary
from tests.helpers import WRITE_ARGS, make_spec, start, wait_for_state
from tests.s3_server import S3Server, s3_server
from workers.worker import build_worker

__all__ = ["s3_server"]  # the fixture, imported for pytest

THIRTY_DAYS = timedelta(days=30)
LATER = datetime.now(UTC) + timedelta(days=40)  # everything stored today is old by then


@pytest.fixture(params=["directory", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CollectableStore]:
    """A store of this test's own, configured as workers and the CLI are configured."""
    if request.param == "directory":
        monkeypatch.setenv("OVERSEER_ARTIFACTS", str(tmp_path / "artifacts"))
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        for name, value in server.environment(server.new_bucket()).items():
            monkeypatch.setenv(name, value)
    yield default_store()


def reading(workspace: Path, name: str, then: list[ScriptTurn]) -> list[ScriptTurn]:
    (workspace / name).write_text(f"{name}: a long note\n" * 500)  # above the inline limit
    read = ScriptTurn(tool_calls=[ScriptedCall(tool="read_file", args={"path": name})])
    return [read, *then]


async def test_gc_deletes_only_old_unreferenced_artifacts(
    client: Client, task_queue: str, store: CollectableStore, tmp_path: Path
) -> None:
    write = ScriptTurn(tool_calls=[ScriptedCall(tool="write_file", args=WRITE_ARGS)])
    async with build_worker(client, task_queue):
        ended = make_spec(tmp_path, reading(tmp_path, "a.txt", [ScriptTurn(say="done")]))
        finished: RunResult = await (await start(client, ended, task_queue)).result()
        waiting = await start(
            client, make_spec(tmp_path, reading(tmp_path, "b.txt", [write])), task_queue
        )
        await wait_for_state(waiting, RunState.WAITING_FOR_APPROVAL)
        orphan = await store.put(b"stored by an attempt whose run is long gone", "text/plain")
        stored = {entry.sha256 async for entry in store.entries()}
        assert finished.state is RunState.COMPLETED and len(stored) >= 3

        young = await collect_artifacts(client, THIRTY_DAYS, dry_run=True, now=datetime.now(UTC))
        assert (young.expired, young.recent) == ([], len(stored))

        listed = await collect_artifacts(client, THIRTY_DAYS, dry_run=True, now=LATER)
        assert [entry.sha256 for entry in listed.expired] == [orphan.sha256]
        assert listed.referenced == len(stored) - 1 and listed.workflows >= 2
        assert {entry.sha256 async for entry in store.entries()} == stored  # dry run

        done = await collect_artifacts(client, THIRTY_DAYS, dry_run=False, now=LATER)
        assert [entry.sha256 for entry in done.expired] == [orphan.sha256]
        with pytest.raises(ApplicationError) as caught:
            await store.get(orphan.sha256)
        assert caught.value.type == ARTIFACT_MISSING
        # Both runs' artifacts, the running one's too, are all still there.
        for sha256 in stored - {orphan.sha256}:
            await store.get(sha256)
        await waiting.terminate("test over")


async def test_gc_refuses_an_age_under_a_day(client: Client, store: CollectableStore) -> None:
    with pytest.raises(OverseerError) as caught:
        await collect_artifacts(client, timedelta(hours=12), dry_run=True)
    assert "--older-than must be at least 1d" in str(caught.value)


async def test_the_cli_dry_run_lists_and_keeps(client: Client, store: CollectableStore) -> None:
    await store.put(b"young", "text/plain")
    done = await asyncio.to_thread(
        subprocess.run,
        [venv_binary("overseer"), "artifacts", "gc", "--older-than", "30d", "--dry-run"],
        env={**os.environ, "TEMPORAL_ADDRESS": client.service_client.config.target_host},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "would delete 0 artifacts (0 bytes); kept 0 referenced and 1 recent"
    )
    assert [entry.sha256 async for entry in store.entries()] != []
