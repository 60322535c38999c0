"""How humans talk to a run: approve, reject, cancel, pause, resume and extend_budget, as
updates (validated, answered synchronously; a refused update leaves no history) and as
signals of the same names (for tools that can only signal; a refused signal is recorded as
a `signal_rejected` event). Kill switches arrive as a signal from the kill-switch workflow.

A mixin of AgentRunWorkflow, kept apart so the run loop reads on its own.
"""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from contracts.approvals import CancelRequest, Decision, DecisionReceipt, ResetNote
from contracts.budget import BudgetExtension, OperatorNote
from contracts.events import EventKind, RunEvent
from contracts.hashing import action_hash, canonical_json
from contracts.kill_switch import KillSwitches
from contracts.snapshot import BudgetUsage, RunSnapshot
from contracts.spec import RunSpec
from workflows.approval_book import ApprovalBook, DecisionRefused, Verdict
from workflows.budget_check import ExtensionRefused, check_extension, extend
from workflows.gate import argument_error
from workflows.ledger import RunLedger
from workflows.run_metrics import RunMetrics

with workflow.unsafe.imports_passed_through():
    from activities.tools.registry import TOOLS

Body = TypeVar("Body", bound=BaseModel)
SYSTEM = "system"


class RunControls:
    # Provided by the workflow class.
    _ledger: RunLedger
    _approvals: ApprovalBook
    _cancel_request: CancelRequest | None
    _drive_task: "asyncio.Task[None] | None"
    _metrics: RunMetrics
    _spec: RunSpec
    _budget: BudgetUsage
    _paused: OperatorNote | None
    _kill_switches: KillSwitches

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
        self._check_decision(decision, "approved")

    @workflow.update(name="reject")
    async def reject(self, decision: Decision) -> DecisionReceipt:
        return await self._decide_when_open(decision, "rejected")

    @reject.validator
    def _validate_reject(self, decision: Decision) -> None:
        self._check_decision(decision, "rejected")

    @workflow.update(name="cancel")
    def cancel(self, request: CancelRequest) -> RunSnapshot:
        self._request_cancel(request)
        return self.snapshot()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._check_not_ended()

    @workflow.update(name="pause")
    def pause(self, note: OperatorNote) -> RunSnapshot:
        self._pause(note)
        return self.snapshot()

    @pause.validator
    def _validate_pause(self, note: OperatorNote) -> None:
        self._check_pause()

    @workflow.update(name="resume")
    def resume(self, note: OperatorNote) -> RunSnapshot:
        self._resume(note)
        return self.snapshot()

    @resume.validator
    def _validate_resume(self, note: OperatorNote) -> None:
        self._check_resume()

    @workflow.update(name="extend_budget")
    def extend_budget(self, extension: BudgetExtension) -> BudgetUsage:
        self._extend(extension)
        return self._budget.model_copy()

    @extend_budget.validator
    def _validate_extend_budget(self, extension: BudgetExtension) -> None:
        self._check_extension(extension)

    # -- the same as signals: loose body, validated here -----------------------------------

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

    @workflow.signal(name="pause")
    def pause_signal(self, body: Any = None) -> None:
        self._signal_control(
            "pause", body, OperatorNote, lambda _: self._check_pause(), self._pause
        )

    @workflow.signal(name="resume")
    def resume_signal(self, body: Any = None) -> None:
        self._signal_control(
            "resume", body, OperatorNote, lambda _: self._check_resume(), self._resume
        )

    @workflow.signal(name="extend_budget")
    def extend_budget_signal(self, body: Any = None) -> None:
        self._signal_control(
            "extend_budget", body, BudgetExtension, self._check_extension, self._extend
        )

    @workflow.signal(name="kill_switches")
    def kill_switches_signal(self, body: Any = None) -> None:
        """From the kill-switch workflow: the rules now in force (a newer version wins)."""
        try:
            switches = KillSwitches.model_validate(body)
        except ValidationError as error:
            self._refuse_signal("kill_switches", body, error)
            return
        if switches.version <= self._kill_switches.version:
            return  # an older broadcast, arriving late
        self._kill_switches = switches
        rules = ", ".join(rule.key for rule in switches.rules) or "none"
        self._note(EventKind.KILL_SWITCHES, SYSTEM, f"kill switches in force: {rules}")

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
        self._signal_control(
            name,
            body,
            Decision,
            lambda decision: self._check_decision(decision, verdict),
            lambda decision: self._decide(decision, verdict),
        )

    def _signal_control(
        self,
        name: str,
        body: Any,
        model: type[Body],
        check: Callable[[Body], None],
        apply: Callable[[Body], Any],
    ) -> None:
        # The SDK drops a signal whose body fails to deserialize with only a log line,
        # so the handler takes any JSON and validates it here, where a refusal is recorded.
        try:
            parsed = model.model_validate(body)
            check(parsed)
        except (ValidationError, DecisionRefused) as error:
            self._refuse_signal(name, body, error)
            return
        apply(parsed)

    def _refuse_signal(self, name: str, body: Any, error: Exception) -> None:
        reason = _one_line(error)
        who = (body.get("approver") or body.get("by")) if isinstance(body, dict) else None
        actor = f"user:{who}" if isinstance(who, str) and who else "unknown"
        self._note(EventKind.SIGNAL_REJECTED, actor, f"{name} signal refused: {reason}")

    def _check_decision(self, decision: Decision, verdict: Verdict) -> None:
        self._check_not_ended()
        request = self._approvals.check(decision, verdict, workflow.now())
        if decision.edited_args is not None and request.tool in TOOLS:
            invalid = argument_error(TOOLS[request.tool], decision.edited_args)
            if invalid:
                raise DecisionRefused(f"edited_args refused: {invalid}")

    def _check_pause(self) -> None:
        self._check_not_ended()
        if self._paused is not None:
            raise DecisionRefused(f"run is already paused by {self._paused.by}")

    def _check_resume(self) -> None:
        self._check_not_ended()
        if self._paused is None:
            raise DecisionRefused("run is not paused")

    def _check_extension(self, extension: BudgetExtension) -> None:
        self._check_not_ended()
        try:
            check_extension(self._budget, extension)
        except ExtensionRefused as refused:
            raise DecisionRefused(str(refused)) from None

    def _pause(self, note: OperatorNote) -> None:
        self._paused = note
        self._note(EventKind.PAUSED, f"user:{note.by}", note.reason)

    def _resume(self, note: OperatorNote) -> None:
        self._paused = None
        self._note(EventKind.RESUMED, f"user:{note.by}", note.reason)

    def _extend(self, extension: BudgetExtension) -> None:
        changes = extend(self._budget, extension)
        self._note(
            EventKind.BUDGET_EXTENDED, f"user:{extension.by}", f"{changes}: {extension.reason}"
        )

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
        request = self._approvals.decide(decision, verdict, workflow.now())
        self._metrics.approval_decided(request.tool, verdict, workflow.now() - request.requested_at)
        kind = EventKind.APPROVED if verdict == "approved" else EventKind.REJECTED
        detail = f"{request.tool} {verdict}"
        evidence = [request.action_id, request.args_sha256]
        edited_sha256 = None
        if decision.edited_args is not None:
            # The edit is recorded with its new hash; the original request stays as evidence.
            edited_sha256 = action_hash(request.tool, decision.edited_args)
            detail += (
                f" with edited arguments {canonical_json(decision.edited_args)[:300]} "
                f"(sha256 {edited_sha256}; requested {request.args_json[:300]})"
            )
            evidence.append(f"edited:{edited_sha256}")
        event = self._note(
            kind,
            f"user:{decision.approver}",
            detail + (f": {decision.reason}" if decision.reason else ""),
            evidence,
        )
        return DecisionReceipt(
            action_id=request.action_id,
            verdict=verdict,
            approver=decision.approver,
            event_seq=event.seq,
            edited_sha256=edited_sha256,
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
