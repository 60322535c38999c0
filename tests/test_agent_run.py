"""A run end to end on a real Temporal server: approval, rejection, cancel, budget."""

from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker

from contracts import search_attributes as sa
from contracts.approvals import CancelRequest, Decision, DecisionReceipt
from contracts.events import EventKind
from contracts.hashing import action_hash
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.snapshot import RunSnapshot
from contracts.spec import BudgetSpec
from contracts.states import RunState
from tests.helpers import WRITE_ARGS, closed, events, make_spec, snapshot, start, wait_for_state

S = RunState


def decision(pending: RunSnapshot, approver: str, reason: str = "") -> Decision:
    request = pending.pending_approvals[0]
    return Decision(
        action_id=request.action_id,
        args_sha256=request.args_sha256,
        approver=approver,
        reason=reason,
    )


async def test_run_completes_through_an_approval(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    [request] = waiting.pending_approvals
    assert (request.action_id, request.tool, request.args) == (
        f"{handle.id}/2.1",
        "write_file",
        WRITE_ARGS,
    )
    assert request.args_sha256 == action_hash("write_file", WRITE_ARGS)
    assert not (tmp_path / "out/hello.txt").exists()

    receipt = await handle.execute_update(
        "approve", decision(waiting, "alice", "looks fine"), result_type=DecisionReceipt
    )
    assert (receipt.verdict, receipt.approver) == ("approved", "alice")

    result = await handle.result()
    assert result.state is S.COMPLETED
    assert result.final_answer == "Done: wrote out/hello.txt."
    assert (tmp_path / "out/hello.txt").read_text() == WRITE_ARGS["content"]

    log = await events(handle)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    transitions = [(e.from_state, e.to_state, e.actor) for e in log if e.kind == "transition"]
    assert transitions == [
        (S.CREATED, S.CONTEXT_LOADED, "system"),
        (S.CONTEXT_LOADED, S.PLANNING, "system"),
        (S.PLANNING, S.EXECUTING, "system"),
        (S.EXECUTING, S.PLANNING, "system"),
        (S.PLANNING, S.WAITING_FOR_APPROVAL, "system"),
        (S.WAITING_FOR_APPROVAL, S.EXECUTING, "user:alice"),
        (S.EXECUTING, S.PLANNING, "system"),
        (S.PLANNING, S.COMPLETED, "agent:tester"),
    ]
    assert {(e.model_version, e.policy_version) for e in log} == {("1", "test-policy-7")}
    assert {e.trace_id for e in log} == {"0af7651916cd43dd8448eb211c80319c"}
    approved = next(e for e in log if e.kind is EventKind.APPROVED)
    assert approved.actor == "user:alice"
    assert approved.evidence == [f"{handle.id}/2.1", request.args_sha256]

    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.RUN_STATE) == "completed"
    assert attributes.get(sa.AGENT) == "tester"
    assert attributes.get(sa.REQUESTER) == "rita"
    assert attributes.get(sa.PENDING_APPROVAL) is False


async def test_rejection_tells_the_model_and_never_runs_the_tool(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    await handle.execute_update("reject", decision(waiting, "bob", "not today"))

    result = await handle.result()
    assert result.state is S.COMPLETED
    assert result.final_answer is not None
    assert "rejected by bob: not today" in result.final_answer
    assert not (tmp_path / "out").exists()
    log = await events(handle)
    assert [e.detail for e in log if e.kind is EventKind.TOOL_RESULT] == ["list_files: (empty)"]
    back = next(e for e in log if e.kind == "transition" and e.from_state is S.WAITING_FOR_APPROVAL)
    assert (back.to_state, back.actor) == (S.PLANNING, "user:bob")


async def test_cancel_while_waiting_records_who_and_why(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="wrong goal"))

    status, final = await closed(handle)  # Canceled in Temporal too; the query still answers
    assert (status, final.state) == (WorkflowExecutionStatus.CANCELED, S.CANCELED)
    last = (await events(handle))[-1]
    assert (last.from_state, last.to_state) == (S.WAITING_FOR_APPROVAL, S.CANCELED)
    assert (last.actor, last.detail) == ("user:carol", "wrong goal")
    assert final.pending_approvals == []
    assert not (tmp_path / "out").exists()


async def test_temporal_cancellation_ends_canceled_with_an_event(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    await handle.cancel()

    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    last = (await events(handle))[-1]
    assert (last.to_state, last.actor) == (S.CANCELED, "temporal")
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.RUN_STATE) == "canceled"


async def test_a_tool_outside_the_agents_list_is_denied_and_never_runs(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [ScriptTurn(tool_calls=[ScriptedCall(tool="write_file", args=WRITE_ARGS)])]
    spec = make_spec(tmp_path, script, tools=["list_files"])
    handle = await start(client, spec, worker.task_queue)

    result = await handle.result()
    assert result.state is S.COMPLETED
    assert result.final_answer is not None
    assert "'write_file' is not in the tools of agent 'tester'" in result.final_answer
    denied = [e for e in await events(handle) if e.kind is EventKind.TOOL_DENIED]
    assert len(denied) == 1
    assert not (tmp_path / "out").exists()


async def test_read_outside_the_workspace_is_refused_and_the_model_told(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "secret.txt").write_text("do not read")
    script = [
        ScriptTurn(tool_calls=[ScriptedCall(tool="read_file", args={"path": "../secret.txt"})])
    ]
    handle = await start(client, make_spec(workspace, script), worker.task_queue)

    result = await handle.result()
    assert result.final_answer is not None
    assert "'../secret.txt' is outside the workspace" in result.final_answer
    assert "do not read" not in str(await events(handle))


async def test_exhausting_max_steps_fails_the_run_under_the_fail_policy(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    looping = [ScriptTurn(tool_calls=[ScriptedCall(tool="list_files")])] * 5
    spec = make_spec(tmp_path, looping, budget=BudgetSpec(max_steps=2))
    spec.policy.on_budget_exhausted = "fail"
    handle = await start(client, spec, worker.task_queue)

    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.message) == ("RunFailed", "budget_exhausted: max_steps 2 reached")
    final = await snapshot(handle)
    assert (final.state, final.step) == (S.FAILED, 2)
