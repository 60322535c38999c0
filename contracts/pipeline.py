"""Pipelines: steps, each an agent run, joined by contracts on their outputs."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from contracts.approvals import ApprovalRequest
from contracts.handoff import Handoff
from contracts.limits import GOAL_MAX_CHARS, NAME_MAX_CHARS
from contracts.snapshot import RunResult
from contracts.spec import RunSpec
from contracts.states import RunState
from contracts.strict import StrictBody

PIPELINE_WORKFLOW_NAME = "PipelineWorkflow"

FailurePolicy = Literal["fail", "skip", "fallback"]
ChildRole = Literal["agent", "fallback", "handoff"]
# Children per history segment before continuing as new: a typo guard (Temporal suggests
# continuing long before this).
_MAX_CHILDREN = 100_000


class PipelineStep(StrictBody):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=NAME_MAX_CHARS)
    # The agent's run spec; its goal is rendered from `goal` and the step's input.
    agent: RunSpec
    # The child's goal: `{input}` becomes the step's input (JSON), `{goal}` the pipeline's.
    goal: str = Field(default="{input}", max_length=GOAL_MAX_CHARS)
    # Input field -> reference: `goal`, `item` (in a fan-out), `<step>` or `<step>.<path>`.
    input: dict[str, str] = Field(default_factory=dict)
    # JSON schema the step's output must satisfy before it is passed on.
    output_schema: dict[str, Any] | None = None
    # Fan-out: one child per item of the list this reference points to.
    for_each: str | None = None
    concurrency: int = Field(default=1, ge=1, le=100)
    on_failure: FailurePolicy = "fail"
    fallback: RunSpec | None = None

    @model_validator(mode="after")
    def _fallback_named(self) -> "PipelineStep":
        if (self.on_failure == "fallback") != (self.fallback is not None):
            raise ValueError("on_failure: fallback and a fallback agent go together")
        return self


class PipelineSpec(StrictBody):
    """The input of PipelineWorkflow."""

    name: str = Field(min_length=1, max_length=NAME_MAX_CHARS)
    goal: str
    steps: list[PipelineStep] = Field(min_length=1)
    # Agents a step may hand its task to, by name (step and fallback agents are included).
    agents: dict[str, RunSpec] = Field(default_factory=dict)
    requester: str = "unknown"
    trace_id: str = ""
    max_handoffs: int = Field(default=3, ge=0, le=20)
    # Continue as new once this many children started in one segment (also whenever
    # Temporal suggests it), so a large fan-out's history stays small. None: only when
    # suggested.
    continue_as_new_after_children: int | None = Field(default=None, ge=1, le=_MAX_CHILDREN)
    # Set only on a pipeline's later segments: the state carried over.
    carried: "PipelineCarry | None" = None


class PipelineState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    ROLLED_BACK = "rolled_back"

    @property
    def is_terminal(self) -> bool:
        return self is not PipelineState.RUNNING


class ItemState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # failed under `skip`: the output is a marked gap
    CANCELED = "canceled"
    COMPENSATED = "compensated"  # completed, then undone by the pipeline's rollback


class ChildRun(BaseModel):
    """One child AgentRunWorkflow of a step item (the first try, a fallback, a handoff)."""

    run_id: str
    agent: str
    role: ChildRole = "agent"
    # The child's state as last reported: by its progress signals (sent only when it starts
    # or stops needing a human, to keep the pipeline's history small), then by its result.
    state: RunState = RunState.CREATED
    pending_approvals: list[ApprovalRequest] = Field(default_factory=list)
    blocked_reason: str | None = None
    reason: str | None = None
    handoff: Handoff | None = None

    @property
    def shown_state(self) -> str:
        """For people: `running` while a child works on its own (its exact state is in its
        own snapshot), else its last reported state."""
        needs_human = bool(self.pending_approvals or self.blocked_reason)
        return self.state if self.state.is_terminal or needs_human else "running"


class StepItem(BaseModel):
    """The state of one step (or one item of a fan-out step)."""

    step: str
    item: int | None = None  # index in the fan-out list
    state: ItemState = ItemState.PENDING
    children: list[ChildRun] = Field(default_factory=list)
    output: Any = None
    reason: str | None = None

    @property
    def label(self) -> str:
        return self.step if self.item is None else f"{self.step}[{self.item}]"


class PipelineEvent(BaseModel):
    seq: int
    at: datetime
    kind: str  # step_started, output_invalid, step_failed, handoff, compensated, ...
    step: str = ""
    run_id: str = ""
    detail: str = ""


class PipelineSnapshot(BaseModel):
    pipeline_id: str
    name: str
    goal: str
    requester: str
    state: PipelineState
    items: list[StepItem]
    events: list[PipelineEvent] = Field(default_factory=list)
    failure_reason: str | None = None
    uncompensated: list[str] = Field(default_factory=list)
    trace_id: str = ""
    segment: int = 0  # how many times the pipeline continued as new

    @property
    def pending_approvals(self) -> list[tuple[str, ApprovalRequest]]:
        """(child run id, request) for every approval a child waits for."""
        return [
            (child.run_id, request)
            for item in self.items
            for child in item.children
            for request in child.pending_approvals
        ]


class PipelineResult(BaseModel):
    state: PipelineState
    outputs: dict[str, Any] = Field(default_factory=dict)
    failure_reason: str | None = None
    uncompensated: list[str] = Field(default_factory=list)


class PipelineCarry(BaseModel):
    """What a pipeline carries into its next segment when it continues as new. It starts
    a new segment only between children, so no child is in flight."""

    segment: int  # how many times the pipeline continued as new
    next_step: int  # index of the step to run (or to finish: its pending items)
    items: dict[str, list[StepItem]]
    events: list[PipelineEvent]
    completed: list[str]  # labels of completed items, in the order they completed
    # Only children whose irreversible steps a rollback would have to undo.
    child_specs: dict[str, RunSpec] = Field(default_factory=dict)
    child_results: dict[str, RunResult] = Field(default_factory=dict)


class ChildProgress(BaseModel):
    """Signalled by a child run to its parent when it starts or stops needing a human."""

    run_id: str
    state: RunState
    pending_approvals: list[ApprovalRequest] = Field(default_factory=list)
    blocked_reason: str | None = None


PipelineSpec.model_rebuild()
