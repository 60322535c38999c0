"""Kill -9 a worker in the middle of a tool call, and the server in the middle of a run:
nothing is lost and every effect happens once."""

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.tools.activity import CHAOS_DELAY_ENV
from activities.tools.tickets import tracker_path
from contracts.approvals import Decision
from contracts.data_converter import overseer_data_converter
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.retries import ActivityPolicy, RetryConfig
from contracts.snapshot import RunResult
from contracts.spec import PolicySpec
from contracts.states import RunState
from starters.server import ServerAddress, dev_server_command
from tests.conftest import venv_binary
from tests.helpers import events, make_spec, start, wait_for_state
from workers.worker import build_worker

OVERSEER = venv_binary("overseer")
# A dead worker's activity is retried once its heartbeat is missed for this long.
QUICK_HEARTBEAT = RetryConfig(
    tool=ActivityPolicy(heartbeat_seconds=2, initial_interval_seconds=0.2)
)


def ticket_count(workspace: Path) -> int:
    path = tracker_path(workspace)
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=5) as db:
        # The tool creates the file a moment before its table.
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tickets'").fetchone()
        (count,) = db.execute("SELECT count(*) FROM tickets").fetchone() if exists else (0,)
    return int(count)


def wait_until(condition: object, seconds: float) -> None:
    """Poll a condition on files or processes (not on the workflow) until a deadline."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def worker_env(env: WorkflowEnvironment, task_queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": task_queue,
    }


def spawn_worker(environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [OVERSEER, "worker"], env=environment, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def test_a_worker_killed_mid_tool_loses_nothing_and_the_effect_happens_once(
    client: Client, worker_env: dict[str, str], task_queue: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    script = [ScriptTurn(tool_calls=[ScriptedCall(tool="create_ticket", args={"title": "T"})])]
    spec = make_spec(
        workspace,
        script,
        tools=["create_ticket"],
        policy=PolicySpec(require_approval=[]),
        retries=QUICK_HEARTBEAT,
    )
    # This worker stalls after each tool's effect: the kill lands between the effect and
    # the recording of its result, the worst moment.
    stalling = spawn_worker({**worker_env, CHAOS_DELAY_ENV: "60"}, tmp_path / "w1.log")
    try:
        handle = await start(client, spec, task_queue)
        await asyncio.to_thread(wait_until, lambda: ticket_count(workspace) == 1, 60)
    finally:
        stalling.send_signal(signal.SIGKILL)
        stalling.wait()
    replacement = spawn_worker(worker_env, tmp_path / "w2.log")
    try:
        result: RunResult = await asyncio.wait_for(handle.result(), 90)
        log = await events(handle)
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(timeout=30)
    assert result.state is RunState.COMPLETED
    assert ticket_count(workspace) == 1
    results = [e.detail for e in log if e.kind is EventKind.TOOL_RESULT]
    assert results == ["create_ticket: ticket #1: T"]
    attempts = [
        event.activity_task_started_event_attributes.attempt
        async for event in handle.fetch_history_events()
        if event.HasField("activity_task_started_event_attributes")
    ]
    assert 2 in attempts  # the tool really ran twice; its key made the second a no-op


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(address: ServerAddress, db: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [*dev_server_command(address, free_port(), db), "--headless"]
    return subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def connect_when_up(target: str) -> Client:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await Client.connect(target, data_converter=overseer_data_converter)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.to_thread(time.sleep, 0.2)


async def approve_when_polled(handle: WorkflowHandle[Any, Any], decision: Decision) -> None:
    """An update needs a polling worker; the worker reconnects on its own, a bit later."""
    deadline = time.monotonic() + 60
    while True:
        try:
            await handle.execute_update("approve", decision)
            return
        except RPCError as error:
            if error.status != RPCStatusCode.FAILED_PRECONDITION or time.monotonic() > deadline:
                raise
            await asyncio.to_thread(time.sleep, 0.2)


async def test_the_server_killed_and_restarted_mid_run_every_run_completes(
    tmp_path: Path,
) -> None:
    address = ServerAddress("127.0.0.1", free_port())
    db = tmp_path / "temporal.db"
    server = start_server(address, db, tmp_path / "server.log")
    try:
        client = await connect_when_up(address.target)
        async with build_worker(client, "crash-test"):
            workspaces = [tmp_path / str(n) for n in range(3)]
            for workspace in workspaces:
                workspace.mkdir()
            handles = [await start(client, make_spec(w), "crash-test") for w in workspaces]
            waiting = [await wait_for_state(h, RunState.WAITING_FOR_APPROVAL) for h in handles]

            server.send_signal(signal.SIGKILL)
            server.wait()
            server = start_server(address, db, tmp_path / "server.log")
            await connect_when_up(address.target)  # up again, on the same database

            for handle, snapshot in zip(handles, waiting, strict=True):
                request = snapshot.pending_approvals[0]
                decision = Decision(
                    action_id=request.action_id, args_sha256=request.args_sha256, approver="al"
                )
                await approve_when_polled(handle, decision)
            results = [await asyncio.wait_for(h.result(), 60) for h in handles]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert [r.state for r in results] == [RunState.COMPLETED] * 3
    for n in range(3):
        assert (tmp_path / str(n) / "out" / "hello.txt").read_text() == "hello from the agent"
