"""Signed decisions: with `require_signed_decisions`, nobody approves as someone else.

The forged-decision corpus is sent as updates (refused by the validator: no history event)
and as signals (recorded as `signal_rejected`); the run stays waiting, then a good signature
is accepted and the audit log names the key that vouched.
"""

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from contracts.approvals import ApprovalRequest, Decision
from contracts.events import EventKind, RunEvent
from contracts.signing import DecisionKey
from contracts.spec import PolicySpec
from contracts.states import RunState
from starters.client.signing import SigningKey
from tests.helpers import (
    WRITE_ARGS,
    closed,
    events,
    history_event_types,
    make_spec,
    start,
    wait_for_state,
)
from tests.test_decisions import refused
from workflows.run.signatures import DecisionVerifier, SignatureRefused

SERVICE = SigningKey.generate("approvals-2026", None)
SERVICE_NEXT = SigningKey.generate("approvals-2027", None)  # rotation: both trusted
ALICE = SigningKey.generate("alice-laptop", "alice")
MALLORY = SigningKey.generate("approvals-2026", None)  # same key id, another key

SIGNED = PolicySpec(
    version="signed-1",
    approvers=["alice", "group:ops"],
    four_eyes=True,
    require_signed_decisions=True,
    decision_keys={
        SERVICE.key_id: DecisionKey(public_key=SERVICE.public_key),
        SERVICE_NEXT.key_id: DecisionKey(public_key=SERVICE_NEXT.public_key),
        ALICE.key_id: DecisionKey(public_key=ALICE.public_key, approver="alice"),
    },
)


def _decision(request: ApprovalRequest, approver: str = "alice", **extra: Any) -> Decision:
    return Decision(
        action_id=request.action_id,
        args_sha256=request.args_sha256,
        approver=approver,
        **extra,
    )


async def _waiting(
    client: Client, worker: Worker, workspace: Path
) -> tuple[WorkflowHandle[Any, Any], ApprovalRequest]:
    workspace.mkdir()
    handle = await start(client, make_spec(workspace, policy=SIGNED), worker.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    assert request.signed_only
    return handle, request


async def _signal_rejections(handle: WorkflowHandle[Any, Any], count: int) -> list[RunEvent]:
    """The run's signal_rejected events, once there are `count` of them."""

    async def watch() -> list[RunEvent]:
        async for _ in handle.fetch_history_events(wait_new_event=True):
            found = [e for e in await events(handle) if e.kind is EventKind.SIGNAL_REJECTED]
            if len(found) >= count:
                return found
        raise AssertionError("the run closed before rejecting the signals")

    return await asyncio.wait_for(watch(), 30)


def _tampered(decision: Decision, **changes: Any) -> dict[str, Any]:
    body = decision.model_dump(mode="json")
    signature = changes.pop("signature", {})
    body.update(changes)
    body["signature"] = {**body["signature"], **signature}
    return body


async def test_forged_decisions_are_refused_and_the_key_that_vouched_is_recorded(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle, request = await _waiting(client, worker, tmp_path / "a")
    other, theirs = await _waiting(client, worker, tmp_path / "b")
    good = SERVICE.sign(_decision(request), "approved", request)
    past = time.time() - 3600

    corpus: list[tuple[str, Any, str]] = [
        ("approve", _decision(request), "requires signed decisions and this one is unsigned"),
        (
            "approve",
            MALLORY.sign(_decision(request), "approved", request),
            "does not match this decision",
        ),
        (
            "approve",
            SigningKey.generate("stranger", None).sign(_decision(request), "approved", request),
            "key 'stranger' is not trusted by the policy",
        ),
        ("approve", _tampered(good, approver="audrey"), "does not match this decision"),
        ("approve", _tampered(good, reason="tampered"), "does not match this decision"),
        ("approve", _tampered(good, signature={"groups": ["ops"]}), "does not match"),
        (
            "approve",
            _tampered(good, signature={"expires_at": good.signature.expires_at + 60}),  # type: ignore[union-attr]
            "does not match this decision",
        ),
        (
            "approve",
            SERVICE.sign(_decision(request), "approved", request, now=past),
            "the signature expired",
        ),
        (
            "approve",
            SERVICE.sign(_decision(request), "approved", request, now=time.time() + 3600),
            "s in the future",
        ),
        (
            "approve",
            SERVICE.sign(_decision(request), "approved", request, lifetime_seconds=3 * 86400),
            "more than 86400 s",
        ),
        # A signature for reject presented as an approval.
        (
            "approve",
            SERVICE.sign(_decision(request), "rejected", request),
            "does not match this decision",
        ),
        # Another run's signed decision, pointed at this run's action.
        (
            "approve",
            _tampered(
                SERVICE.sign(_decision(theirs), "approved", theirs), action_id=request.action_id
            ),
            "does not match this decision",
        ),
        # ... or sent as it is, to the wrong run.
        (
            "approve",
            SERVICE.sign(_decision(theirs), "approved", theirs),
            f"belongs to run {other.id}",
        ),
        # A personal key vouches for its owner only, and never for groups.
        (
            "approve",
            SigningKey("alice-laptop", None, ALICE.private).sign(
                _decision(request, "bob"), "approved", request
            ),
            "vouches for 'alice' only, not for 'bob'",
        ),
        (
            "approve",
            SigningKey("alice-laptop", None, ALICE.private).sign(
                _decision(request), "approved", request, groups=["ops"]
            ),
            "personal key and cannot vouch for groups",
        ),
        # The service vouches for a user the policy does not allow, or for the requester.
        (
            "approve",
            SERVICE.sign(_decision(request, "mallory"), "approved", request),
            "'mallory' may not decide",
        ),
        (
            "approve",
            SERVICE.sign(_decision(request, "rita"), "approved", request, groups=["ops"]),
            "four-eyes",
        ),
        ("approve", _tampered(good, signature={"value": "A" * 86}), "does not match"),
        ("approve", _tampered(good, signature={"nonce": "xyz"}), "nonce"),
    ]
    before = await history_event_types(handle)
    for update, body, expected in corpus:
        assert expected in await refused(handle, update, body), expected
    assert await history_event_types(handle) == before  # no refused update left a trace

    # The same forgeries as signals: each recorded as signal_rejected, nothing decided.
    for update, body, _ in corpus[:4]:
        await handle.signal(update, body)
    rejections = await _signal_rejections(handle, 4)
    assert "unsigned" in rejections[0].detail and "not trusted" in rejections[2].detail
    assert all(e.to_state == RunState.WAITING_FOR_APPROVAL for e in rejections)

    # A member of group:ops, as the service vouches (groups come from the signature).
    receipt = await handle.execute_update(
        "approve",
        SERVICE_NEXT.sign(_decision(request, "olga"), "approved", request, groups=["ops"]),
    )
    assert receipt["key_id"] == SERVICE_NEXT.key_id
    # A decision for the action now decided is refused, signed or not.
    assert "already approved by olga" in await refused(handle, "approve", good)
    _status, final = await closed(handle)
    assert final.state == RunState.COMPLETED, final.failure_reason
    [approved] = [e for e in await events(handle) if e.kind == EventKind.APPROVED]
    assert approved.actor == "user:olga"
    assert f"key:{SERVICE_NEXT.key_id}" in approved.evidence
    assert f"signed by key {SERVICE_NEXT.key_id}" in approved.detail


async def test_a_replayed_signed_decision_is_refused(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle, request = await _waiting(client, worker, tmp_path / "w")
    signed = ALICE.sign(_decision(request, reason="looks right"), "approved", request)
    receipt = await handle.execute_update("approve", signed)
    assert receipt["key_id"] == ALICE.key_id
    assert "was already used" in await refused(handle, "approve", signed)
    _, final = await closed(handle)
    assert final.state == RunState.COMPLETED
    [approved] = [e for e in await events(handle) if e.kind == EventKind.APPROVED]
    assert approved.detail.endswith("(signed by key alice-laptop): looks right")


async def test_a_signed_rejection_is_recorded_with_its_key(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle, request = await _waiting(client, worker, tmp_path / "r")
    signed = SERVICE.sign(_decision(request, reason="not today"), "rejected", request)
    await handle.execute_update("reject", signed)
    _, _final = await closed(handle)
    [rejected] = [e for e in await events(handle) if e.kind == EventKind.REJECTED]
    assert rejected.actor == "user:alice" and f"key:{SERVICE.key_id}" in rejected.evidence
    assert not (tmp_path / "r" / WRITE_ARGS["path"]).exists()


def test_unsigned_decisions_are_accepted_only_when_the_policy_allows() -> None:
    request = ApprovalRequest(
        action_id="run-1/1.1",
        call_id="c",
        step=1,
        tool="write_file",
        args={},
        args_json="{}",
        args_sha256="0" * 64,
        approvers=[],
        requested_at=datetime.now(UTC),
    )
    decision = _decision(request)
    lenient = DecisionVerifier({}, required=False)
    assert lenient.vouching_key(decision, "approved", request, request.requested_at) is None
    strict = DecisionVerifier(SIGNED.decision_keys, required=True)
    try:
        strict.vouching_key(decision, "approved", request, request.requested_at)
    except SignatureRefused as refused_:
        assert "unsigned" in str(refused_)
    else:
        raise AssertionError("an unsigned decision was accepted under require_signed_decisions")
    signed = SERVICE.sign(decision, "approved", request)
    assert strict.vouching_key(signed, "approved", request, request.requested_at) == SERVICE.key_id
