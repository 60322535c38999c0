"""How humans talk to a run: approve, reject and cancel, as updates (validated, answered
synchronously; a refused update leaves no history) and as signals of the same names (for
tools that can only signal; a refused signal is recorded as a `signal_rejected` event).

A mixin of AgentRunWorkflow, kept apart so the run loop reads on its own.
"""

import asyncio
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from contracts.approvals import CancelRequest, Decision, DecisionReceipt, ResetNote
from contracts.events import EventKind, RunEvent
from contracts.snapshot import RunSnapshot
from workflows.approval_book import ApprovalBook, DecisionRefused, Verdict
from workflows.ledger import RunLedger
from workflows.run_metrics import RunMetrics


class RunControls:
    # Provided by the workflow class.
    _ledger: RunLedger
    _approvals: ApprovalBook
    _cancel_request: CancelRequest | None
    _drive_task: "asyncio.Task[None] | None"
    _metrics: RunMetrics

    def _note(
        self, kind: EventKind, actor: str, detail: str, evidence: list[str] | None = None
    ) -> RunEvent:
        raise NotImplementedError

    def snapshot(self) -> RunSnapshot:
        raise NotImplementedError

    # -- decisions: updates (validated, synchronous) -----------------------------------------

    @workflow.update(name="approve")
    async def approve(self, decision: Decision) -> DecisionReceipt:
        return await self._decide_when_open(decision, "approved")

    @approve.validator
    def _validate_approve(self, decision: Decision) -> None:
        self._check_decision(decision)

    @workflow.update(name="reject")
    async def reject(self, decision: Decision) -> DecisionReceipt:
        return await self._decide_when_open(decision, "rejected")

    @reject.validator
    def _validate_reject(self, decision: Decision) -> None:
        self._check_decision(decision)

    @workflow.update(name="cancel")
    def cancel(self, request: CancelRequest) -> RunSnapshot:
        self._request_cancel(request)
        return self.snapshot()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._check_not_ended()

    # -- the same decisions as signals: loose body, validated here -------------------------

    @workflow.signal(name="approve")
    def approve_signal(self, body: Any = None) -> None:
        self._signal_decision("approve", body, "approved")

    @workflow.signal(name="reject")
    def reject_signal(self, body: Any = None) -> None:
        self._signal_decision("reject", body, "rejected")

    @workflow.signal(name="cancel")
    def cancel_signal(self, body: Any = None) -> None:
        try:
            request = CancelRequest.model_validate(body)
            self._check_not_ended()
        except (ValidationError, DecisionRefused) as error:
            self._refuse_signal("cancel", body, error)
            return
        self._request_cancel(request)

    @workflow.signal(name="record_reset")
    def record_reset(self, body: Any = None) -> None:
        try:
            note = ResetNote.model_validate(body)
        except ValidationError as error:
            self._refuse_signal("record_reset", body, error)
            return
        forced = f"; forced over: {', '.join(note.forced_over)}" if note.forced_over else ""
        self._note(
            EventKind.RESET,
            f"user:{note.by}",
            f"reset to step {note.to_step}: {note.reason}{forced}",
        )

    def _signal_decision(self, name: str, body: Any, verdict: Verdict) -> None:
        # The SDK drops a signal whose body fails to deserialize with only a log line,
        # so the handler takes any JSON and validates it here, where a refusal is recorded.
        try:
            decision = Decision.model_validate(body)
            self._check_decision(decision)
        except (ValidationError, DecisionRefused) as error:
            self._refuse_signal(name, body, error)
            return
        self._decide(decision, verdict)

    def _refuse_signal(self, name: str, body: Any, error: Exception) -> None:
        reason = _one_line(error)
        who = (body.get("approver") or body.get("by")) if isinstance(body, dict) else None
        actor = f"user:{who}" if isinstance(who, str) and who else "unknown"
        self._note(EventKind.SIGNAL_REJECTED, actor, f"{name} signal refused: {reason}")

    def _check_decision(self, decision: Decision) -> None:
        self._check_not_ended()
        self._approvals.check(decision)

    def _check_not_ended(self) -> None:
        if self._ledger.state.is_terminal:
            raise DecisionRefused(f"run has already ended ({self._ledger.state})")
        if self._cancel_request is not None:
            raise DecisionRefused(f"run is being canceled by {self._cancel_request.by}")

    async def _decide_when_open(self, decision: Decision, verdict: Verdict) -> DecisionReceipt:
        # The validator saw the action pending. On replay (a new worker after a crash) the
        # accepted update can be applied before the activity result that opened the action,
        # in the same activation: wait for the action rather than fail the workflow task.
        await workflow.wait_condition(lambda: self._approvals.knows(decision.action_id))
        try:
            return self._decide(decision, verdict)
        except DecisionRefused as refused:
            raise ApplicationError(str(refused), type="DecisionRefused") from None

    def _decide(self, decision: Decision, verdict: Verdict) -> DecisionReceipt:
        request = self._approvals.decide(decision, verdict)
        self._metrics.approval_decided(request.tool, verdict, workflow.now() - request.requested_at)
        kind = EventKind.APPROVED if verdict == "approved" else EventKind.REJECTED
        event = self._note(
            kind,
            f"user:{decision.approver}",
            f"{request.tool} {verdict}" + (f": {decision.reason}" if decision.reason else ""),
            [request.action_id, request.args_sha256],
        )
        return DecisionReceipt(
            action_id=request.action_id,
            verdict=verdict,
            approver=decision.approver,
            event_seq=event.seq,
        )

    def _request_cancel(self, request: CancelRequest) -> None:
        self._cancel_request = request
        if self._drive_task is not None:
            self._drive_task.cancel()


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return f"{where}: {first['msg']}"
    return str(error)
