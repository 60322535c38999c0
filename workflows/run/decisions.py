"""Decisions on pending actions: approve and reject, as updates (validated, answered
synchronously; a refused update leaves no history) and as signals of the same names (a
refused signal is recorded as a `signal_rejected` event). A part of AgentRun (engine.py).
"""

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from contracts.approvals import Decision, DecisionReceipt
from contracts.events import EventKind
from contracts.hashing import action_hash, canonical_json
from contracts.text import clip
from workflows.common.bodies import parse_update_body
from workflows.run.approval_book import DecisionRefused, Verdict
from workflows.run.gate import argument_error
from workflows.run.parts import RunParts


class RunDecisions(RunParts):
    # -- updates (validated, synchronous) -----------------------------------------------

    async def approve(self, body: Any) -> DecisionReceipt:
        return await self._decide_when_open(self._decision_in(body), "approved")

    def validate_approve(self, body: Any) -> None:
        self._check_decision(self._decision_in(body), "approved")

    async def reject(self, body: Any) -> DecisionReceipt:
        return await self._decide_when_open(self._decision_in(body), "rejected")

    def validate_reject(self, body: Any) -> None:
        self._check_decision(self._decision_in(body), "rejected")

    def _decision_in(self, body: Any) -> Decision:
        return self._approvals.resolved(parse_update_body(Decision, body))

    # -- the same as signals: loose body, validated here ---------------------------------

    def approve_signal(self, body: Any = None) -> None:
        self._signal_decision("approve", body, "approved")

    def reject_signal(self, body: Any = None) -> None:
        self._signal_decision("reject", body, "rejected")

    def _signal_decision(self, name: str, body: Any, verdict: Verdict) -> None:
        self._signal_control(
            name,
            body,
            Decision,
            lambda decision: self._check_decision(self._approvals.resolved(decision), verdict),
            lambda decision: self._decide(self._approvals.resolved(decision), verdict),
        )

    def _check_decision(self, decision: Decision, verdict: Verdict) -> None:
        self._check_not_ended()
        request = self._approvals.check(decision, verdict, workflow.now())
        if decision.edited_args is not None and request.tool in self._tools:
            invalid = argument_error(self._tools[request.tool], decision.edited_args)
            if invalid:
                raise DecisionRefused(f"edited_args refused: {invalid}")

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
        decided = self._approvals.decide(decision, verdict, workflow.now())
        request = decided.request
        self._metrics.approval_decided(request.tool, verdict, workflow.now() - request.requested_at)
        kind = EventKind.APPROVED if verdict == "approved" else EventKind.REJECTED
        detail = f"{request.tool} {verdict}"
        evidence = [request.action_id, request.args_sha256]
        edited_sha256 = None
        if decision.edited_args is not None:
            # The edit is recorded with its new hash; the original request stays as evidence.
            edited_sha256 = action_hash(request.tool, decision.edited_args)
            detail += (
                f" with edited arguments {clip(canonical_json(decision.edited_args), 300)} "
                f"(sha256 {edited_sha256}; requested {clip(request.args_json, 300)})"
            )
            evidence.append(f"edited:{edited_sha256}")
        if decided.key_id is not None:
            # The audit log says which trusted key vouched for the approver.
            detail += f" (signed by key {decided.key_id})"
            evidence.append(f"key:{decided.key_id}")
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
            key_id=decided.key_id,
        )
