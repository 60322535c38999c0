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
    approvers: list[str]
    requested_at: datetime
    expires_at: datetime | None = None


class Decision(BaseModel):
    """Body of the approve / reject update and signal.

    It must name the action and the hash of what the approver saw, so a decision
    can never authorize a different action.
    """

    action_id: str = Field(min_length=1)
    args_sha256: str = Field(min_length=64, max_length=64)
    approver: str = Field(min_length=1)
    reason: str = ""


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
