"""What a case's run did, as read from its snapshot and steps: what expectations judge."""

from typing import Any

from pydantic import BaseModel, Field

from contracts.snapshot import RunSnapshot
from contracts.steps import StepRecord


class ToolUse(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class Observation(BaseModel):
    run_id: str
    # The run's state when the case ended (`blocked`: it waited for a human).
    state: str
    final_answer: str | None = None
    failure_reason: str | None = None
    # Tool calls that ran (a step each), in order; a rejected call never runs.
    tools_called: list[ToolUse] = Field(default_factory=list)
    # Calls that asked for approval, in order, as the suite decided them.
    approvals_requested: list[ToolUse] = Field(default_factory=list)
    steps: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    wall_seconds: float = 0.0
    # Why the case could not be followed to its end (a timeout, a refused decision).
    problem: str | None = None

    @classmethod
    def of(
        cls,
        snapshot: RunSnapshot,
        steps: list[StepRecord],
        approvals: list[ToolUse],
        wall_seconds: float,
        problem: str | None,
    ) -> "Observation":
        budget = snapshot.budget
        return cls(
            run_id=snapshot.run_id,
            state=snapshot.state.value,
            final_answer=snapshot.final_answer,
            failure_reason=snapshot.failure_reason,
            tools_called=[ToolUse(tool=s.name, args=s.args) for s in steps if s.kind == "tool"],
            approvals_requested=approvals,
            steps=budget.steps_used,
            tokens=budget.input_tokens + budget.output_tokens,
            cost_usd=budget.cost_usd,
            wall_seconds=round(wall_seconds, 3),
            problem=problem,
        )

    @property
    def summary(self) -> str:
        """One short line: how the run ended and what it cost."""
        return f"{self.state}, {self.steps} steps, {len(self.tools_called)} tool calls"
