"""Timeouts and retry policies for a run's activities: one typed config with per-tool
overrides, part of the RunSpec (so it is validated before the run starts, and an agent
file may tune it under `retries:`)."""

from pydantic import ConfigDict, Field

from contracts.compact import CompactModel


class ActivityPolicy(CompactModel):
    model_config = ConfigDict(extra="forbid")

    start_to_close_seconds: float = Field(default=120.0, gt=0)
    # Activities heartbeat while they work: a dead worker is noticed after this long.
    heartbeat_seconds: float = Field(default=30.0, gt=0)
    # Bounded: a call that keeps failing ends the run (a dead letter), never loops forever.
    max_attempts: int = Field(default=5, ge=1, le=100)
    initial_interval_seconds: float = Field(default=1.0, gt=0)
    # Below a worker's default breaker cool-down (30 s): once a circuit opens the next
    # attempt fails fast and the run falls back instead of waiting.
    max_interval_seconds: float = Field(default=10.0, gt=0)


class RetryConfig(CompactModel):
    model_config = ConfigDict(extra="forbid")

    model: ActivityPolicy = Field(
        default_factory=lambda: ActivityPolicy(start_to_close_seconds=180.0, max_attempts=6)
    )
    tool: ActivityPolicy = Field(default_factory=ActivityPolicy)
    per_tool: dict[str, ActivityPolicy] = Field(default_factory=dict)

    def for_tool(self, name: str) -> ActivityPolicy:
        return self.per_tool.get(name, self.tool)
