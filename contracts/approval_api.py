"""The approval service's JSON API, as data: what it answers and what it accepts.

Shared by the service (approvals.api) and its client (starters.client.approval_service).
An approver sees the arguments pretty-printed and redacted, and their hash: the hash is what
a decision names, so nobody approves anything but what they were shown.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from contracts.approvals import check_edited_args
from contracts.events import RunEvent
from contracts.strict import Reason, Sha256Hex, StrictBody


class ApprovalView(BaseModel):
    """One action waiting for a decision."""

    run_id: str
    agent: str
    goal: str
    requester: str
    action_id: str
    short_id: str
    step: int
    tool: str
    # The arguments pretty-printed, with emails and API-key-like tokens redacted.
    args_pretty: str
    # What a decision must name: the hash of the tool and its (unredacted) arguments.
    args_sha256: str
    approvers: list[str]
    approver_groups: list[str]
    excluded_approver: str | None
    signed_only: bool
    requested_at: datetime
    expires_at: datetime | None
    on_expiry: Literal["reject", "block"]
    age_seconds: float
    # May the caller approve it (approver list, groups, four-eyes)?
    eligible: bool


class ActionView(ApprovalView):
    recent_events: list[RunEvent]


class RejectBody(StrictBody):
    # The hash of the arguments the person reviewed: refused if the action is not that.
    args_sha256: Sha256Hex
    reason: Reason = ""


class ApproveBody(RejectBody):
    # Approve with these arguments instead (approve-with-edits).
    edited_args: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _edits_bounded(self) -> "ApproveBody":
        check_edited_args(self.edited_args)
        return self


class WhoAmI(BaseModel):
    user: str
    groups: list[str] = Field(default_factory=list)
    # oidc, token or proxy
    via: str


class ApiError(BaseModel):
    """Every refusal: one line."""

    error: str
