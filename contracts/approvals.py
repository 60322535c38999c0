"""Approval requests and the decisions that answer them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from contracts.hashing import action_hash, canonical_json
from contracts.identity import ActorId
from contracts.limits import EDITED_ARGS_MAX_BYTES
from contracts.signing import DecisionSignature, SignedVerdict, signed_message
from contracts.strict import Name, Reason, RequiredReason, Sha256Hex, StrictBody


class ApprovalRequest(BaseModel):
    """A request to run one exact action: this tool with these arguments."""

    action_id: str
    call_id: str
    step: int
    tool: str
    args: dict[str, Any]
    args_json: str  # canonical JSON of the arguments
    args_sha256: str  # hash of the tool name and arguments, see contracts.hashing
    # Who may decide (users; groups of the policy already expanded). Empty: anyone.
    approvers: list[str]
    # The policy's groups by name ("group:ops" -> "ops"): an approver whose signed identity
    # carries one of them may decide too, member list or not.
    approver_groups: list[str] = Field(default_factory=list)
    # Only a decision signed by a key of the policy is accepted.
    signed_only: bool = False
    # Under a four-eyes policy, this user (the run's requester) may not approve.
    excluded_approver: str | None = None
    requested_at: datetime
    expires_at: datetime | None = None
    on_expiry: Literal["reject", "block"] = "reject"
    policy_version: str = ""

    @property
    def short_id(self) -> str:
        """The action id without its run prefix (e.g. 2.1), as the CLI accepts it."""
        return self.action_id.rpartition("/")[2]


class Decision(StrictBody):
    """Body of the approve / reject update and signal.

    It must name the action and the hash of what the approver saw, so a decision
    can never authorize a different action.
    """

    action_id: Name
    args_sha256: Sha256Hex
    approver: ActorId
    reason: Reason = ""
    # Approve with changed arguments: set edit and give the new arguments. The original
    # request (its hash above) stays as evidence; the new hash is recorded with it.
    edit: bool = False
    edited_args: dict[str, Any] | None = None
    # Proof of who decides (contracts.signing); required when the policy says so.
    signature: DecisionSignature | None = None

    @model_validator(mode="after")
    def _edits_bounded(self) -> "Decision":
        check_edited_args(self.edited_args)
        return self


def check_edited_args(edited_args: dict[str, Any] | None) -> None:
    """ValueError when an approver's edited arguments are larger than the limit: for every
    body that carries them (this update, the approval service's API)."""
    if edited_args is not None:
        size = len(canonical_json(edited_args).encode())
        if size > EDITED_ARGS_MAX_BYTES:
            raise ValueError(
                f"edited_args is {size} bytes of JSON, more than {EDITED_ARGS_MAX_BYTES}"
            )


def signed_bytes(
    decision: Decision, verdict: SignedVerdict, tool: str, signature: DecisionSignature
) -> bytes:
    """What a signature over this decision covers (contracts.signing.signed_message), for
    the tool of the action it answers: the signer and the workflow build it the same way."""
    edited = action_hash(tool, decision.edited_args) if decision.edited_args is not None else None
    return signed_message(
        action_id=decision.action_id,
        args_sha256=decision.args_sha256,
        verdict=verdict,
        edited_sha256=edited,
        approver=decision.approver,
        reason=decision.reason,
        signature=signature,
    )


class CancelRequest(StrictBody):
    by: ActorId
    reason: RequiredReason


class ResetNote(StrictBody):
    """Sent by `overseer reset` to the new run: who reset it, to which step, and why."""

    by: ActorId
    reason: RequiredReason
    to_step: int = Field(ge=1, le=1_000_000)
    # Completed irreversible steps the reset re-runs (only with --force).
    forced_over: list[Reason] = Field(default_factory=list, max_length=1000)


class DecisionReceipt(BaseModel):
    action_id: str
    verdict: Literal["approved", "rejected"]
    approver: str
    event_seq: int
    # Set when the approver edited the arguments: the hash of what will run.
    edited_sha256: str | None = None
    # The trusted key that vouched for the approver, if the decision was signed.
    key_id: str | None = None
