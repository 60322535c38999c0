"""Approvals bound to one action: the bad-decision corpus, edits, groups, four-eyes, expiry."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from contracts.approvals import CancelRequest, Decision, DecisionReceipt
from contracts.events import EventKind
from contracts.hashing import action_hash
from contracts.model_io import ToolCall
from contracts.snapshot import RunResult
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import (
    UPDATE_ACCEPTED,
    WRITE_ARGS,
    closed,
    events,
    history_event_types,
    make_spec,
    snapshot,
    start,
    wait_for_state,
)
from tests.test_decisions import refused
from workflows.run.approval_book import ApprovalBook, DecisionRefused

OPS = PolicySpec(
    version="gov-3",
    approvers=["group:ops", "audrey"],
    groups={"ops": ["olga", "rita"]},
    four_eyes=True,
)


async def test_the_bad_decision_corpus_is_refused_without_a_trace(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    for name in "ab":
        (tmp_path / name).mkdir()
    handle = await start(client, make_spec(tmp_path / "a", policy=OPS), worker.task_queue)
    other = await start(client, make_spec(tmp_path / "b", policy=OPS), worker.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    [theirs] = (await wait_for_state(other, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    assert request.approvers == ["olga", "rita", "audrey"]  # the group expanded
    assert theirs.args_sha256 == request.args_sha256  # same tool, same arguments...
    action = request.action_id
    assert theirs.action_id != action  # ...but another action
    good = Decision(action_id=action, args_sha256=request.args_sha256, approver="olga")
    before = await events(handle)

    corpus: list[tuple[str, Any, str]] = [
        ("approve", good.model_copy(update={"action_id": f"{handle.id}/9.9"}), "no pending"),
        ("approve", good.model_copy(update={"args_sha256": "0" * 64}), "does not match"),
        (
            "approve",
            good.model_copy(update={"edited_args": {**WRITE_ARGS, "content": "x"}}),
            f"edited_args given for action {action} without edit=true",
        ),
        ("approve", good.model_copy(update={"edit": True}), "edit=true for action"),
        (
            "approve",
            good.model_copy(update={"edit": True, "edited_args": {"path": 5, "content": "x"}}),
            "edited_args refused: invalid arguments for write_file: path:",
        ),
        (
            "reject",
            good.model_copy(update={"edit": True, "edited_args": WRITE_ARGS}),
            "only an approval can edit arguments",
        ),
        (
            "approve",
            good.model_copy(update={"approver": "rita"}),
            "'rita' requested this run and may not approve its actions (four-eyes policy)",
        ),
        (
            "approve",
            good.model_copy(update={"approver": "mallory"}),
            f"'mallory' may not decide action {action} "
            "(allowed: olga, rita, audrey; or signed members of group:ops)",
        ),
        (
            "approve",
            Decision(action_id=theirs.action_id, args_sha256=theirs.args_sha256, approver="olga"),
            f"action {theirs.action_id} belongs to run {other.id}, not to run {handle.id}",
        ),
    ]
    for update, decision, expected in corpus:
        assert expected in await refused(handle, update, decision), expected
    with pytest.raises(WorkflowUpdateFailedError):  # malformed: not a Decision at all
        await handle.execute_update("approve", {"action_id": 7, "approver": ["x"]})

    now = await snapshot(handle)
    assert (now.state, [r.action_id for r in now.pending_approvals]) == (
        RunState.WAITING_FOR_APPROVAL,
        [action],
    )
    assert await events(handle) == before
    assert UPDATE_ACCEPTED not in await history_event_types(handle)

    # Rita may still reject (four-eyes binds approvals), but here Olga approves with edits.
    edited = {"path": "out/edited.txt", "content": "edited by olga"}
    receipt: DecisionReceipt = await handle.execute_update(
        "approve",
        good.model_copy(update={"edit": True, "edited_args": edited}),
        result_type=DecisionReceipt,
    )
    assert receipt.edited_sha256 == action_hash("write_file", edited)
    second = await refused(handle, "approve", good.model_copy(update={"approver": "audrey"}))
    assert second == f"action {action} was already approved by olga"
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    assert (tmp_path / "a/out/edited.txt").read_text() == "edited by olga"
    assert not (tmp_path / "a/out/hello.txt").exists()
    [approval] = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
    assert approval.evidence == [action, request.args_sha256, f"edited:{receipt.edited_sha256}"]
    assert request.args_json in approval.detail  # the original, kept as evidence
    assert (approval.actor, approval.policy_version) == ("user:olga", "gov-3")
    await other.cancel()


async def test_a_decision_after_cancel_is_refused(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    await handle.execute_update("cancel", CancelRequest(by="carl", reason="wrong ticket"))
    decision = Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="a")
    with pytest.raises((WorkflowUpdateFailedError, RPCError)) as failure:
        await handle.execute_update("approve", decision)
    message = str(getattr(failure.value, "cause", None) or failure.value)
    # Refused by the run, or (sent as the run closes) aborted by the server.
    ended = "being canceled by carl|already ended|already completed|aborted by closing workflow"
    assert re.search(ended, message), message
    status, final = await closed(handle)
    assert (status, final.state) == (WorkflowExecutionStatus.CANCELED, RunState.CANCELED)
    assert not (tmp_path / "out/hello.txt").exists()


async def test_an_expired_request_is_rejected_and_the_model_told(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    policy = PolicySpec(approval_timeout_seconds=1, on_approval_expiry="reject")
    handle = await start(client, make_spec(tmp_path, policy=policy), worker.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    assert request.expires_at is not None and request.on_expiry == "reject"

    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    assert not (tmp_path / "out/hello.txt").exists()
    log = await events(handle)
    [expired] = [e for e in log if e.kind is EventKind.APPROVAL_EXPIRED]
    assert (expired.actor, expired.detail) == ("system", f"{request.action_id} expired: rejected")
    assert not [e for e in log if e.kind is EventKind.APPROVED]


async def test_an_expired_request_blocks_until_a_human_decides(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    policy = PolicySpec(approval_timeout_seconds=1, on_approval_expiry="block")
    handle = await start(client, make_spec(tmp_path, policy=policy), worker.task_queue)
    blocked = await wait_for_state(handle, RunState.BLOCKED)
    [request] = blocked.pending_approvals
    assert blocked.blocked_reason == f"approval_expired: action {request.action_id}"
    assert EventKind.APPROVAL_EXPIRED in {e.kind for e in await events(handle)}

    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="bo"),
    )
    assert (await handle.result()).state is RunState.COMPLETED
    assert (tmp_path / "out/hello.txt").exists()


def test_a_decision_after_expiry_names_the_expiry() -> None:
    book = ApprovalBook("run-1")
    opened = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    request = book.open(
        action_id="run-1/2.1",
        call=ToolCall(id="c1", name="write_file", arguments=WRITE_ARGS),
        step=2,
        policy=PolicySpec(approval_timeout_seconds=60),
        requester="rita",
        now=opened,
    )
    decision = Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="o")
    late = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    with pytest.raises(
        DecisionRefused, match=re.escape("action run-1/2.1 expired at 2026-11-23 12:01:00")
    ):
        book.check(decision, "approved", late)  # the timer has not fired yet
    book.expire(request.action_id)
    with pytest.raises(DecisionRefused, match=r"expired at .* and was rejected"):
        book.check(decision, "approved", late)
