"""`overseer server`: starts the embedded dev server, reuses a running one, and says clearly
when the port belongs to something else."""

import asyncio
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from contracts.search_attributes import ALL_KEYS
from tests.conftest import venv_binary

OVERSEER = venv_binary("overseer")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def env_for(address: str) -> dict[str, str]:
    return {**os.environ, "TEMPORAL_ADDRESS": address, "PYTHONUNBUFFERED": "1"}


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
