"""`overseer server`: starts the embedded dev server, reuses a running one, and says clearly
when the port belongs to something else."""

import asyncio
import os
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts import search_attributes as sa
from contracts.search_attributes import ALL_KEYS
from starters.server import ServerAddress, dev_server_command, stop, wait_until_up
from tests.conftest import venv_binary

OVERSEER = venv_binary("overseer")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def env_for(address: str) -> dict[str, str]:
    return {**os.environ, "TEMPORAL_ADDRESS": address, "PYTHONUNBUFFERED": "1"}


@workflow.defn(sandboxed=False)
class UpsertsSteps:
    """Upserts OverseerSteps in its first workflow task, as a run's end does in its last."""

    @workflow.run
    async def run(self) -> None:
        workflow.upsert_search_attributes([sa.STEPS.value_set(1)])


def test_a_running_server_is_reused(env: WorkflowEnvironment) -> None:
    address = env.client.service_client.config.target_host
    result = subprocess.run(
        [OVERSEER, "server"], env=env_for(address), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"A Temporal server is already up at {address}: reusing it\n"


@pytest.fixture
def silent_listener() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_port_held_by_something_else_is_a_clear_error(silent_listener: int) -> None:
    result = subprocess.run(
        [OVERSEER, "server"],
        env=env_for(f"127.0.0.1:{silent_listener}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"overseer: error: port {silent_listener} on 127.0.0.1 is held by a program that is "
        "not a Temporal server; stop it, or set TEMPORAL_ADDRESS to another port\n"
    )


async def test_the_embedded_server_starts_with_search_attributes_and_stops(
    tmp_path: Path,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        OVERSEER,
        "server",
        "--ui-port",
        str(free_port()),
        env=env_for(address),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), 90)
        assert (
            first.decode()
            == f"Starting the embedded Temporal server on {address} (a few seconds)...\n"
        )
        ready = await asyncio.wait_for(process.stdout.readline(), 90)
        assert ready.decode().startswith(f"Temporal dev server on {address}, Web UI http://")
        client = await Client.connect(address)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        assert {key.name for key in ALL_KEYS} <= set(listed.custom_attributes)
        assert (tmp_path / ".overseer" / "temporal.db").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0


async def test_a_database_from_an_older_overseer_gets_the_new_attributes_usable_at_once(
    tmp_path: Path,
) -> None:
    # The older Overseer's database: everything but OverseerSteps.
    address = ServerAddress("127.0.0.1", free_port())
    database = tmp_path / ".overseer" / "temporal.db"
    database.parent.mkdir()
    older = dev_server_command(address, free_port(), database)
    flag = older.index(f"{sa.STEPS.name}=Int")
    del older[flag - 1 : flag + 1]
    server = subprocess.Popen([*older, "--headless"], stdout=subprocess.DEVNULL)  # noqa: ASYNC220 - wait_until_up takes a Popen
    try:
        await wait_until_up(address, server)
    finally:
        stop(server)

    process = await asyncio.create_subprocess_exec(
        OVERSEER,
        "server",
        "--ui-port",
        str(free_port()),
        env=env_for(address.target),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), 90)  # starting...
        ready = await asyncio.wait_for(process.stdout.readline(), 90)
        assert ready.decode().rstrip().endswith(f"; registered {sa.STEPS.name}")
        # At once, not after the server's search-attribute cache refreshes.
        client = await Client.connect(address.target)
        started = await client.start_workflow(
            "NoSuchWorkflow",
            id=f"steps-{uuid.uuid4().hex}",
            task_queue="nobody-polls",
            search_attributes=TypedSearchAttributes([SearchAttributePair(sa.STEPS, 1)]),
        )
        await started.terminate()
        # The history service takes it too: an upsert in a workflow task is not refused
        # (a refusal fails the task, which Temporal retries; a run would recover, slowly).
        queue = f"upserts-{uuid.uuid4().hex}"
        async with Worker(client, task_queue=queue, workflows=[UpsertsSteps]):
            upserted = await client.start_workflow(
                UpsertsSteps.run, id=f"upsert-{uuid.uuid4().hex}", task_queue=queue
            )
            await asyncio.wait_for(upserted.result(), 60)
        events = [event.event_type async for event in upserted.fetch_history_events()]
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
        assert EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES in events
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0
