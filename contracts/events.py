"""RunEvent: the append-only record of a run."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts.states import RunState


class EventKind(StrEnum):
    TRANSITION = "transition"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    TOOL_DENIED = "tool_denied"
    TOOL_RESULT = "tool_result"
    TOOL_FAILED = "tool_failed"
    # A call of a multi-call turn not run because an earlier one was denied, refused or
    # rejected (the call id is the evidence, the reason the detail).
    TOOL_SKIPPED = "tool_skipped"
    MODEL_TURN = "model_turn"
    # A model could not answer (circuit open, retries exhausted); the next one is tried.
    MODEL_UNAVAILABLE = "model_unavailable"
    # A final answer that did not match the output schema (the answer is the evidence).
    OUTPUT_INVALID = "output_invalid"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"
    # The run continued as new (a fresh history segment), its state carried over.
    CONTINUED_AS_NEW = "continued_as_new"
    # The segment's log could not be archived at continue-as-new: it is carried in full.
    ARCHIVE_FAILED = "archive_failed"
    # An operator reset the run to an earlier step (`overseer reset`).
    RESET = "reset"
    # A signal that could not be applied (bad body, unknown action, ...).
    SIGNAL_REJECTED = "signal_rejected"
    # An approval request timed out; the policy rejected it or the run blocked on it.
    APPROVAL_EXPIRED = "approval_expired"
    # A limit was raised (`overseer budget --add`), with who and why.
    BUDGET_EXTENDED = "budget_extended"
    PAUSED = "paused"
    RESUMED = "resumed"
    # The fleet-wide kill switches in force changed (as the run learned them).
    KILL_SWITCHES = "kill_switches"
    # Already blocked, the run now waits for another reason.
    STILL_BLOCKED = "still_blocked"
    # The agent handed its task to a human or another agent (the reason is the detail).
    HANDOFF = "handoff"
    # A human answered a handoff; the reply goes to the model.
    HUMAN_INPUT = "human_input"
    # This run made its schedule's unsuccessful streak long enough: the schedule paused.
    SCHEDULE_PAUSED = "schedule_paused"
    # A webhook of the policy was told that an action waits for a decision (where, in which
    # format, its HTTP status), or could not be told (why). Never a secret or a secret URL.
    NOTIFIED = "notified"
    NOTIFY_FAILED = "notify_failed"


class RunEvent(BaseModel):
    seq: int
    at: datetime  # workflow time
    kind: EventKind
    from_state: RunState
    to_state: RunState
    actor: str  # system | agent:<name> | user:<id> | temporal
    model_version: str
    policy_version: str
    # The agent version that produced the event ("" before the run knew its tools).
    agent_version: str = ""
    evidence: list[str] = Field(default_factory=list)
    trace_id: str = ""
    detail: str = ""
