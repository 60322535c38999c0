"""What a query on a run returns, and what a finished run returns."""

from pydantic import BaseModel, Field

from contracts.approvals import ApprovalRequest
from contracts.handoff import Handoff
from contracts.states import RunState
from contracts.steps import StepRecord


class BudgetUsage(BaseModel):
    steps_used: int = 0
    max_steps: int
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


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
    final_answer: str | None = None
    failure_reason: str | None = None
    # Why the run waits in `blocked` (e.g. circuit_open), while it does.
    blocked_reason: str | None = None
    retry_of: str | None = None
    # Irreversible steps a rollback could not undo, if it came to that.
    uncompensated: list[str] = Field(default_factory=list)
    # The run's handoff: waiting for a human's reply (state blocked), or to another agent.
    handoff: Handoff | None = None


class EventsQuery(BaseModel):
    after_seq: int = Field(default=0, ge=0)


class RunResult(BaseModel):
    state: RunState
    final_answer: str | None = None
    reason: str | None = None
    steps: int
    last_event_seq: int
    # Set when the run handed its task to another agent (a pipeline continues with it).
    handoff: Handoff | None = None
    # Completed irreversible steps left in place: a pipeline undoes them in its own
    # rollback, since this run has ended and its saga cannot run any more.
    compensable: list[StepRecord] = Field(default_factory=list)
