"""Pending approvals and the checks a decision must pass. Pure code.

A decision names one action id and the hash of the exact tool + arguments it approves;
it is used once. Anything else is refused with a message naming the problem.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts.approvals import ApprovalRequest, Decision
from contracts.hashing import action_hash, canonical_json
from contracts.model_io import ToolCall

Verdict = Literal["approved", "rejected"]


class DecisionRefused(ValueError):
    """A decision that does not match a pending action. Raised from update validators."""


@dataclass(frozen=True)
class DecidedAction:
    request: ApprovalRequest
    verdict: Verdict
    decision: Decision


class ApprovalBook:
    def __init__(self) -> None:
        self._pending: dict[str, ApprovalRequest] = {}
        self._decided: dict[str, DecidedAction] = {}

    @property
    def pending(self) -> list[ApprovalRequest]:
        return list(self._pending.values())

    def open(
        self,
        *,
        action_id: str,
        call: ToolCall,
        step: int,
        approvers: list[str],
        now: datetime,
    ) -> ApprovalRequest:
        request = ApprovalRequest(
            action_id=action_id,
            call_id=call.id,
            step=step,
            tool=call.name,
            args=call.arguments,
            args_json=canonical_json(call.arguments),
            args_sha256=action_hash(call.name, call.arguments),
            approvers=approvers,
            requested_at=now,
        )
        self._pending[action_id] = request
        return request

    def check(self, decision: Decision) -> ApprovalRequest:
        """The pending request this decision answers, or DecisionRefused saying why not."""
        action_id = decision.action_id
        if action_id in self._decided:
            done = self._decided[action_id]
            raise DecisionRefused(
                f"action {action_id} was already {done.verdict} by {done.decision.approver}"
            )
        request = self._pending.get(action_id)
        if request is None:
            waiting = ", ".join(self._pending) or "none"
            raise DecisionRefused(f"no pending action {action_id!r} (pending: {waiting})")
        if decision.args_sha256 != request.args_sha256:
            raise DecisionRefused(
                f"args_sha256 does not match action {action_id} "
                f"(expected {request.args_sha256}): the decision is for different arguments"
            )
        if request.approvers and decision.approver not in request.approvers:
            raise DecisionRefused(
                f"{decision.approver!r} may not decide action {action_id} "
                f"(allowed: {', '.join(request.approvers)})"
            )
        return request

    def decide(self, decision: Decision, verdict: Verdict) -> ApprovalRequest:
        request = self.check(decision)
        del self._pending[request.action_id]
        self._decided[request.action_id] = DecidedAction(request, verdict, decision)
        return request

    def knows(self, action_id: str) -> bool:
        """Pending or decided."""
        return action_id in self._pending or action_id in self._decided

    def outcome(self, action_id: str) -> DecidedAction | None:
        return self._decided.get(action_id)

    def withdraw_all(self) -> None:
        """The run ended: nothing is pending any more."""
        self._pending.clear()
