"""Timeouts and retry policies for every activity a run schedules: one typed config,
with per-tool overrides, instead of literals scattered through the workflow."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.errors import NON_RETRYABLE_TYPES


@dataclass(frozen=True)
class ActivityOptions:
    start_to_close: timedelta
    # Only for activities that heartbeat: a dead worker is noticed after this long.
    heartbeat: timedelta | None = None
    max_attempts: int = 5
    initial_interval: timedelta = timedelta(seconds=1)
    max_interval: timedelta = timedelta(seconds=30)

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "start_to_close_timeout": self.start_to_close,
            "heartbeat_timeout": self.heartbeat,
            # Bounded: a run that keeps failing ends up failed, never in an endless retry loop.
            "retry_policy": RetryPolicy(
                initial_interval=self.initial_interval,
                maximum_interval=self.max_interval,
                maximum_attempts=self.max_attempts,
                non_retryable_error_types=list(NON_RETRYABLE_TYPES),
            ),
        }


@dataclass(frozen=True)
class RunActivityConfig:
    # Retries stay well inside a worker's default breaker cool-down (30 s), so once a
    # circuit opens the next attempt fails fast and the run falls back instead of waiting.
    llm: ActivityOptions = ActivityOptions(
        start_to_close=timedelta(minutes=3),
        heartbeat=timedelta(seconds=30),
        max_attempts=6,
        max_interval=timedelta(seconds=10),
    )
    tool: ActivityOptions = ActivityOptions(start_to_close=timedelta(minutes=2))
    per_tool: dict[str, ActivityOptions] = field(default_factory=dict)

    def for_tool(self, name: str) -> ActivityOptions:
        return self.per_tool.get(name, self.tool)


DEFAULT_ACTIVITY_CONFIG = RunActivityConfig()
