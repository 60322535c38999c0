"""Pending approvals and the checks a decision must pass. Pure code.

A decision names one action id (unique to its run) and the hash of the exact tool +
arguments it approves; it is used once. Anything else is refused with a message naming
the problem.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from contracts.approvals import ApprovalRequest, Decision
from contracts.hashing import action_hash, canonical_json
from contracts.model_io import ToolCall
from contracts.spec import PolicySpec
from workflows.run.signatures import DecisionVerifier, SignatureRefused, signed_groups

Verdict = Literal["approved", "rejected"]


class DecisionRefused(ValueError):
    """A decision that does not match a pending action. Raised from update validators."""


@dataclass(frozen=True)
class DecidedAction:
    request: ApprovalRequest
    verdict: Verdict
    decision: Decision | None  # None: the request expired (policy: reject)
    key_id: str | None = None  # the trusted key that vouched for the decision

    @property
    def decided_by(self) -> str:
        return self.decision.approver if self.decision else "expiry"


def approver_groups(policy: PolicySpec) -> list[str]:
    """The groups the policy names as approvers ("group:ops" -> "ops")."""
    return [entry[len("group:") :] for entry in policy.approvers if entry.startswith("group:")]


def allowed_approvers(policy: PolicySpec) -> list[str]:
    """The policy's approvers with its groups expanded to their users."""
    users: list[str] = []
    for entry in policy.approvers:
        members = policy.groups.get(entry.removeprefix("group:"), [])
        for user in members if entry.startswith("group:") else [entry]:
            if user not in users:
                users.append(user)
    return users


def action_id_for(run_id: str, step: int, index: int) -> str:
    """Unique across runs, so a decision for one run's action can never match another's."""
    return f"{run_id}/{step}.{index}"


class ApprovalBook:
    def __init__(self, run_id: str, policy: PolicySpec | None = None) -> None:
        self._run_id = run_id
        self._pending: dict[str, ApprovalRequest] = {}
        self._decided: dict[str, DecidedAction] = {}
        policy = policy or PolicySpec()
        self._verifier = DecisionVerifier(policy.decision_keys, policy.require_signed_decisions)
        # Nonces of the signed decisions this run accepted: each is good once.
        self._nonces: set[str] = set()

    @property
    def pending(self) -> list[ApprovalRequest]:
        return list(self._pending.values())

    def resolved(self, decision: Decision) -> Decision:
        """The decision with its action id in full: the short form (`3.1`, as the CLI, the
        Web UI details and the README show it) is unambiguous within one run."""
        if "/" in decision.action_id:
            return decision
        full = f"{self._run_id}/{decision.action_id}"
        return decision.model_copy(update={"action_id": full})

    def open(
        self,
        *,
        action_id: str,
        call: ToolCall,
        step: int,
        policy: PolicySpec,
        requester: str,
        now: datetime,
    ) -> ApprovalRequest:
        timeout = policy.approval_timeout_seconds
        request = ApprovalRequest(
            action_id=action_id,
            call_id=call.id,
            step=step,
            tool=call.name,
            args=call.arguments,
            args_json=canonical_json(call.arguments),
            args_sha256=action_hash(call.name, call.arguments),
            approvers=allowed_approvers(policy),
            approver_groups=approver_groups(policy),
            signed_only=policy.require_signed_decisions,
            excluded_approver=requester if policy.four_eyes else None,
            requested_at=now,
            expires_at=now + timedelta(seconds=timeout) if timeout else None,
            on_expiry=policy.on_approval_expiry,
            policy_version=policy.version,
        )
        self._pending[action_id] = request
        return request

    def check(self, decision: Decision, verdict: Verdict, now: datetime) -> ApprovalRequest:
        """The pending request this decision answers, or DecisionRefused saying why not."""
        return self._checked(decision, verdict, now)[0]

    def _checked(
        self, decision: Decision, verdict: Verdict, now: datetime
    ) -> tuple[ApprovalRequest, str | None]:
        action_id = decision.action_id
        if decision.signature is not None and decision.signature.nonce in self._nonces:
            raise DecisionRefused(
                f"the signed decision for action {action_id} was already used "
                f"(nonce {decision.signature.nonce}): a replay"
            )
        if action_id in self._decided:
            done = self._decided[action_id]
            if done.decision is None:
                raise DecisionRefused(
                    f"action {action_id} expired at {done.request.expires_at:%Y-%m-%d %H:%M:%S} "
                    "UTC and was rejected (policy: reject on expiry)"
                )
            raise DecisionRefused(
                f"action {action_id} was already {done.verdict} by {done.decided_by}"
            )
        request = self._pending.get(action_id)
        if request is None:
            owner = action_id.rpartition("/")[0]
            if owner and owner != self._run_id:
                raise DecisionRefused(
                    f"action {action_id} belongs to run {owner}, not to run {self._run_id}"
                )
            waiting = ", ".join(self._pending) or "none"
            raise DecisionRefused(f"no pending action {action_id!r} (pending: {waiting})")
        if request.expires_at and now >= request.expires_at and request.on_expiry == "reject":
            raise DecisionRefused(
                f"action {action_id} expired at {request.expires_at:%Y-%m-%d %H:%M:%S} UTC"
            )
        if decision.args_sha256 != request.args_sha256:
            raise DecisionRefused(
                f"args_sha256 does not match action {action_id} "
                f"(expected {request.args_sha256}): the decision is for different arguments"
            )
        _check_edit(decision, verdict)
        try:
            key_id = self._verifier.vouching_key(decision, verdict, request, now)
        except SignatureRefused as refused:
            raise DecisionRefused(str(refused)) from None
        _check_approver(decision, request)
        if verdict == "approved" and decision.approver == request.excluded_approver:
            raise DecisionRefused(
                f"{decision.approver!r} requested this run and may not approve its actions "
                "(four-eyes policy)"
            )
        return request, key_id

    def decide(self, decision: Decision, verdict: Verdict, now: datetime) -> DecidedAction:
        request, key_id = self._checked(decision, verdict, now)
        del self._pending[request.action_id]
        decided = self._decided[request.action_id] = DecidedAction(
            request, verdict, decision, key_id
        )
        if decision.signature is not None:
            self._nonces.add(decision.signature.nonce)
        return decided

    def expire(self, action_id: str) -> ApprovalRequest:
        """The request timed out and the policy rejects it: nobody may decide it any more."""
        request = self._pending.pop(action_id)
        self._decided[action_id] = DecidedAction(request, "rejected", None)
        return request

    def knows(self, action_id: str) -> bool:
        """Pending or decided."""
        return action_id in self._pending or action_id in self._decided

    def outcome(self, action_id: str) -> DecidedAction | None:
        return self._decided.get(action_id)

    def withdraw_all(self) -> None:
        """The run ended: nothing is pending any more."""
        self._pending.clear()


def _check_approver(decision: Decision, request: ApprovalRequest) -> None:
    """An allowed user, or (signed identities only) a member of an allowed group."""
    if not request.approvers and not request.approver_groups:
        return
    if decision.approver in request.approvers:
        return
    if set(signed_groups(decision)) & set(request.approver_groups):
        return
    allowed = ", ".join(request.approvers) or "nobody by name"
    if request.approver_groups:
        groups = ", ".join(f"group:{group}" for group in request.approver_groups)
        allowed += f"; or signed members of {groups}"
    raise DecisionRefused(
        f"{decision.approver!r} may not decide action {decision.action_id} (allowed: {allowed})"
    )


def _check_edit(decision: Decision, verdict: Verdict) -> None:
    if decision.edited_args is not None and not decision.edit:
        raise DecisionRefused(
            f"edited_args given for action {decision.action_id} without edit=true: "
            "set edit to approve with changed arguments"
        )
    if decision.edit and decision.edited_args is None:
        raise DecisionRefused(f"edit=true for action {decision.action_id} needs edited_args")
    if decision.edit and verdict == "rejected":
        raise DecisionRefused("only an approval can edit arguments; a rejection takes none")
