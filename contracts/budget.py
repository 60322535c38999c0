"""Raising a run's budget while it lives (`overseer budget RUN --add ...`)."""

from pydantic import BaseModel, Field, model_validator

# What can be added, as the CLI and the update body name it, and the limit each raises.
EXTENSIBLE = {
    "steps": "max_steps",
    "tool_calls": "max_tool_calls",
    "tokens": "max_tokens",
    "cost_usd": "max_cost_usd",
    "wall_seconds": "max_wall_seconds",
    "repeated_calls": "max_repeated_calls",
}


class BudgetExtension(BaseModel):
    """Body of the `extend_budget` update (and signal): amounts to add to the limits."""

    by: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    steps: int = Field(default=0, ge=0)
    tool_calls: int = Field(default=0, ge=0)
    tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0, ge=0)
    wall_seconds: float = Field(default=0, ge=0)
    repeated_calls: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _adds_something(self) -> "BudgetExtension":
        if not any(getattr(self, name) for name in EXTENSIBLE):
            raise ValueError(f"nothing to add: give one of {', '.join(EXTENSIBLE)}")
        return self

    def amounts(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in EXTENSIBLE if getattr(self, name)}


class OperatorNote(BaseModel):
    """Body of pause / resume: who and why."""

    by: str = Field(min_length=1)
    reason: str = Field(min_length=1)
