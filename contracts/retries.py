"""Timeouts and retry policies for a run's activities: one typed config with per-tool
overrides, part of the RunSpec (so it is validated before the run starts, and an agent
file may tune it under `retries:`)."""

from pydantic import Field

from contracts.compact import CompactSpec
from contracts.limits import SPEC_MAX_CALL_SECONDS


class ActivityPolicy(CompactSpec):
    start_to_close_seconds: float = Field(default=120.0, gt=0, le=SPEC_MAX_CALL_SECONDS)
    # Activities heartbeat while they work: a dead worker is noticed after this long.
    heartbeat_seconds: float = Field(default=30.0, gt=0, le=SPEC_MAX_CALL_SECONDS)
    # Bounded: a call that keeps failing ends the run (a dead letter), never loops forever.
    max_attempts: int = Field(default=5, ge=1, le=100)
    initial_interval_seconds: float = Field(default=1.0, gt=0, le=SPEC_MAX_CALL_SECONDS)
    # Below a worker's default breaker cool-down (30 s): once a circuit opens the next
    # attempt fails fast and the run falls back instead of waiting.
    max_interval_seconds: float = Field(default=10.0, gt=0, le=SPEC_MAX_CALL_SECONDS)


class RetryConfig(CompactSpec):
    model: ActivityPolicy = Field(
        default_factory=lambda: ActivityPolicy(start_to_close_seconds=180.0, max_attempts=6)
    )
    tool: ActivityPolicy = Field(default_factory=ActivityPolicy)
    per_tool: dict[str, ActivityPolicy] = Field(default_factory=dict)

    def for_tool(self, name: str) -> ActivityPolicy:
        return self.per_tool.get(name, self.tool)
