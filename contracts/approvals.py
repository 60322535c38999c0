"""Approval requests and the decisions that answer them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


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


class Decision(BaseModel):
    """Body of the approve / reject update and signal.

    It must name the action and the hash of what the approver saw, so a decision
    can never authorize a different action.
    """

    action_id: str = Field(min_length=1)
    args_sha256: str = Field(min_length=64, max_length=64)
    approver: str = Field(min_length=1)
    reason: str = ""
    # Approve with changed arguments: set edit and give the new arguments. The original
    # request (its hash above) stays as evidence; the new hash is recorded with it.
    edit: bool = False
    edited_args: dict[str, Any] | None = None


class CancelRequest(BaseModel):
    by: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class ResetNote(BaseModel):
    """Sent by `overseer reset` to the new run: who reset it, to which step, and why."""

    by: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    to_step: int = Field(ge=1)
    # Completed irreversible steps the reset re-runs (only with --force).
    forced_over: list[str] = Field(default_factory=list)


class DecisionReceipt(BaseModel):
    action_id: str
    verdict: Literal["approved", "rejected"]
    approver: str
    event_seq: int
    # Set when the approver edited the arguments: the hash of what will run.
    edited_sha256: str | None = None
