"""Wrong decisions are refused with a clear error and change nothing; bad signals are recorded."""

from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.helpers import (
    UPDATE_ACCEPTED,
    events,
    history_event_types,
    make_spec,
    snapshot,
    start,
    wait_for,
    wait_for_state,
)


async def refused(handle: WorkflowHandle[Any, Any], name: str, body: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(name, body)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def test_wrong_updates_are_refused_without_a_trace_in_history(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    action = f"{handle.id}/2.1"
    good = Decision(action_id=action, args_sha256=request.args_sha256, approver="alice")

    unknown = good.model_copy(update={"action_id": f"{handle.id}/9.9"})
    assert await refused(handle, "approve", unknown) == (
        f"no pending action '{handle.id}/9.9' (pending: {action})"
    )
    wrong_hash = good.model_copy(update={"args_sha256": "0" * 64})
    assert f"args_sha256 does not match action {action}" in await refused(
        handle, "approve", wrong_hash
    )
    assert "args_sha256 does not match" in await refused(handle, "reject", wrong_hash)
    events_before = len(await events(handle))

    await handle.execute_update("approve", good)
    second = await refused(handle, "reject", good.model_copy(update={"approver": "bob"}))
    assert second == f"action {action} was already approved by alice"

    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    types = await history_event_types(handle)
    assert types.count(UPDATE_ACCEPTED) == 1  # only the good decision
    approvals = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
    assert len(approvals) == 1
    assert events_before == approvals[0].seq - 1  # nothing recorded for the refusals

    with pytest.raises(RPCError, match="workflow execution already completed"):
        await handle.execute_update("approve", good)


async def test_only_listed_approvers_may_decide(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path)
    spec.policy.approvers = ["alice"]
    handle = await start(client, spec, worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    assert request.approvers == ["alice"]
    mallory = Decision(
        action_id=request.action_id, args_sha256=request.args_sha256, approver="mallory"
    )
    assert await refused(handle, "approve", mallory) == (
        f"'mallory' may not decide action {request.action_id} (allowed: alice)"
    )
    await handle.cancel()


async def test_bad_signal_bodies_are_recorded_as_rejected_and_change_nothing(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]

    action = request.action_id
    await handle.signal("approve", {"action_id": action, "approver": "eve"})
    await handle.signal("approve", "yes please")
    await handle.signal(
        "approve", {"action_id": action, "args_sha256": "f" * 64, "approver": "eve"}
    )
    await handle.signal("cancel", {"by": "eve"})
    current = await wait_for(
        handle,
        lambda s: s.last_event_seq >= waiting.last_event_seq + 4,
    )
    assert current.state is RunState.WAITING_FOR_APPROVAL
    assert [r.action_id for r in current.pending_approvals] == [action]
    rejected = await events(handle, after_seq=waiting.last_event_seq)
    assert {e.kind for e in rejected} == {EventKind.SIGNAL_REJECTED}
    details = [e.detail for e in rejected]
    assert details == [
        "approve signal refused: args_sha256: Field required",
        "approve signal refused: body: Input should be a valid dictionary or instance of Decision",
        f"approve signal refused: args_sha256 does not match action {action} "
        f"(expected {request.args_sha256}): the decision is for different arguments",
        "cancel signal refused: reason: Field required",
    ]
    assert [e.actor for e in rejected] == ["user:eve", "unknown", "user:eve", "user:eve"]

    await handle.signal(
        "approve", {"action_id": action, "args_sha256": request.args_sha256, "approver": "ann"}
    )
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    final = await snapshot(handle)
    assert final.budget.tool_calls == 2
