"""Raising a run's budget while it lives (`overseer budget RUN --add ...`)."""

from pydantic import Field, model_validator

from contracts.identity import ActorId
from contracts.limits import (
    MAX_COST_USD_ADDED,
    MAX_STEPS_ADDED,
    MAX_TOKENS_ADDED,
    MAX_WALL_SECONDS_ADDED,
)
from contracts.strict import RequiredReason, StrictBody

# What can be added, as the CLI and the update body name it, and the limit each raises.
EXTENSIBLE = {
    "steps": "max_steps",
    "tool_calls": "max_tool_calls",
    "tokens": "max_tokens",
    "cost_usd": "max_cost_usd",
    "wall_seconds": "max_wall_seconds",
    "repeated_calls": "max_repeated_calls",
}


class BudgetExtension(StrictBody):
    """Body of the `extend_budget` update (and signal): amounts to add to the limits.

    Strict numbers: `"5"`, `5.5` steps, `1e23` and infinities are refused, not coerced."""

    by: ActorId
    reason: RequiredReason
    steps: int = Field(default=0, ge=0, le=MAX_STEPS_ADDED)
    tool_calls: int = Field(default=0, ge=0, le=MAX_STEPS_ADDED)
    tokens: int = Field(default=0, ge=0, le=MAX_TOKENS_ADDED)
    cost_usd: float = Field(default=0, ge=0, le=MAX_COST_USD_ADDED)
    wall_seconds: float = Field(default=0, ge=0, le=MAX_WALL_SECONDS_ADDED)
    repeated_calls: int = Field(default=0, ge=0, le=MAX_STEPS_ADDED)

    @model_validator(mode="after")
    def _adds_something(self) -> "BudgetExtension":
        if not any(getattr(self, name) for name in EXTENSIBLE):
            raise ValueError(f"nothing to add: give one of {', '.join(EXTENSIBLE)}")
        return self

    def amounts(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in EXTENSIBLE if getattr(self, name)}


class OperatorNote(StrictBody):
    """Body of pause / resume: who and why."""

    by: ActorId
    reason: RequiredReason
