"""What a query on a run returns, and what a finished run returns."""

from datetime import datetime

from pydantic import BaseModel, Field

from contracts.approvals import ApprovalRequest
from contracts.artifacts import ArtifactRef
from contracts.handoff import Handoff
from contracts.schedules import Outcome
from contracts.states import RunState
from contracts.steps import StepRecord
from contracts.strict import StrictBody


class BudgetUsage(BaseModel):
    """What the run used, and its current limits (the spec's, plus any extensions)."""

    steps_used: int = 0
    max_steps: int
    tool_calls: int = 0
    max_tool_calls: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    max_tokens: int | None = None
    cost_usd: float = 0.0
    max_cost_usd: float | None = None
    started_at: datetime | None = None  # workflow time the run began, for max_wall_seconds
    max_wall_seconds: float | None = None
    # Loop detection: the last tool call's hash and how many times in a row it was made.
    last_call_sha256: str = ""
    repeated_calls: int = 0
    max_repeated_calls: int | None = None


class RunSnapshot(BaseModel):
    run_id: str
    agent: str
    goal: str
    requester: str
    state: RunState
    step: int
    pending_approvals: list[ApprovalRequest] = Field(default_factory=list)
    budget: BudgetUsage
    last_event_seq: int
    trace_id: str = ""
    # The agent version (contracts.versions), once the run knows its tools.
    agent_version: str = ""
    final_answer: str | None = None
    failure_reason: str | None = None
    # Why the run waits in `blocked` (e.g. circuit_open), while it does.
    blocked_reason: str | None = None
    paused_by: str | None = None
    # Who asked to cancel and why, while the run winds down (undoes its steps) to its end.
    canceling: str | None = None
    retry_of: str | None = None
    # Irreversible steps a rollback could not undo, if it came to that.
    uncompensated: list[str] = Field(default_factory=list)
    # Place in the run queue (1 is next) while the run waits in `created` for a slot.
    queue_position: int | None = None
    # The run's handoff: waiting for a human's reply (state blocked), or to another agent.
    handoff: Handoff | None = None
    # How the run ended, as schedules and `overseer versions` count it (contracts.schedules
    # Outcome); None while it runs.
    outcome: Outcome | None = None


class EventsQuery(StrictBody):
    after_seq: int = Field(default=0, ge=0)


class RunResult(BaseModel):
    state: RunState
    final_answer: str | None = None
    # The whole final answer, when `final_answer` is only a preview of a long one.
    answer_artifact: ArtifactRef | None = None
    reason: str | None = None
    steps: int
    last_event_seq: int
    # Set when the run handed its task to another agent (a pipeline continues with it).
    handoff: Handoff | None = None
    # Completed irreversible steps left in place: a pipeline undoes them in its own
    # rollback, since this run has ended and its saga cannot run any more.
    compensable: list[StepRecord] = Field(default_factory=list)
