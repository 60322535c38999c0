"""A run's steps: every activity it scheduled, in order, and whether it is safe to re-run."""

from typing import Any, Literal

from pydantic import BaseModel, Field

StepKind = Literal["model", "tool", "compensation"]
StepStatus = Literal["running", "completed", "failed"]


class StepRecord(BaseModel):
    # 1-based, across the run's segments; its activity's id is `step-<index>`.
    index: int
    turn: int  # the model turn it belongs to
    kind: StepKind
    name: str  # model name or tool name
    summary: str
    # read | idempotent | irreversible for tools; "none" for model calls.
    side_effect: str
    status: StepStatus = "running"
    # Re-running repeats no effect: no side effect, an idempotency key the tool honours,
    # or it never completed. Only a completed irreversible step is unsafe.
    safe_to_rerun: bool = True
    call_id: str | None = None
    idempotency_key: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    # For a tool step: the activity that undoes it (from the tool's declaration), so a
    # rollback, the run's or its pipeline's, needs no registry to find it.
    compensation: str | None = None
    # The task queue of the tool's pool, where its compensation runs too; None: the run's.
    task_queue: str | None = None

    @property
    def activity_id(self) -> str:
        """The id of the step's activity in history: `overseer reset` finds the step by it."""
        return f"step-{self.index}"
