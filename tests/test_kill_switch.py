"""A fleet-wide kill switch stops a tool in every run in flight and in new runs; nothing
fails, nothing is lost, and all resume after unkill."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from activities.kill_check import CACHE_SECONDS
from contracts.approvals import Decision
from contracts.events import EventKind
from contracts.kill_switch import (
    KILL_SWITCH_WORKFLOW,
    KILL_SWITCH_WORKFLOW_ID,
    KillRequest,
    KillSwitches,
)
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import events, make_spec, start, wait_for_event, wait_for_state
from tests.test_decisions import refused


@pytest_asyncio.fixture
async def switches(client: Client, worker: Worker) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    handle = await client.start_workflow(
        KILL_SWITCH_WORKFLOW,
        id=KILL_SWITCH_WORKFLOW_ID,
        task_queue=worker.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    yield handle
    # One per server: end it, so later tests' workers find no kill switches.
    await handle.terminate("test over")


async def test_kill_stops_a_tool_everywhere_until_unkill(
    client: Client, worker: Worker, switches: WorkflowHandle[Any, Any], tmp_path: Path
) -> None:
    workspaces = [tmp_path / f"w{n}" for n in range(4)]
    for folder in workspaces:
        folder.mkdir()
    waiting = [await start(client, make_spec(w), worker.task_queue) for w in workspaces[:3]]
    requests = [
        (await wait_for_state(h, RunState.WAITING_FOR_APPROVAL)).pending_approvals[0]
        for h in waiting
    ]

    kill = KillRequest(scope="tool", name="write_file", by="kim", reason="incident 42")
    killed_at = time.monotonic()
    on: KillSwitches = await switches.execute_update("kill", kill, result_type=KillSwitches)
    assert [rule.key for rule in on.rules] == ["tool:write_file"]
    assert await refused(switches, "kill", kill) == "kill switch tool:write_file is already on"
    for handle in waiting:  # the broadcast reaches every run in flight, within seconds
        told = await wait_for_event(handle, EventKind.KILL_SWITCHES, within=15)
        assert told.detail == "kill switches in force: tool:write_file"
    for handle, request in zip(waiting, requests, strict=True):
        await handle.execute_update(
            "approve",
            Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
        )
    reason = "kill switch tool:write_file (by kim: incident 42)"
    for handle in waiting:
        blocked = await wait_for_state(handle, RunState.BLOCKED)
        assert blocked.blocked_reason == reason
    # A run started after the kill, with nothing to approve, is stopped too: by the worker's
    # own check, once its cached view of the rules (CACHE_SECONDS old at most) is renewed.
    while time.monotonic() < killed_at + CACHE_SECONDS:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the condition is the cache's age itself
    late = await start(
        client, make_spec(workspaces[3], policy=PolicySpec(require_approval=[])), worker.task_queue
    )
    assert (await wait_for_state(late, RunState.BLOCKED)).blocked_reason == reason
    assert not any((w / "out/hello.txt").exists() for w in workspaces)

    await switches.execute_update("unkill", KillRequest(scope="tool", name="write_file", by="kim"))
    for handle in [*waiting, late]:
        assert (await handle.result()).state is RunState.COMPLETED
    assert all((w / "out/hello.txt").exists() for w in workspaces)
    for handle in waiting:
        details = [e.detail for e in await events(handle) if e.kind is EventKind.KILL_SWITCHES]
        assert "kill switches in force: none" in details  # the unkill, broadcast
    again = KillRequest(scope="tool", name="write_file", by="k")
    assert await refused(switches, "unkill", again) == (
        "no kill switch tool:write_file is on (on: none)"
    )
