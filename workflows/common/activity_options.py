"""Turn the run's retry config into Temporal activity options."""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from contracts.retries import ActivityPolicy

with workflow.unsafe.imports_passed_through():
    from activities.errors import NON_RETRYABLE_TYPES


def activity_options(policy: ActivityPolicy) -> dict[str, Any]:
    return {
        "start_to_close_timeout": timedelta(seconds=policy.start_to_close_seconds),
        "heartbeat_timeout": timedelta(seconds=policy.heartbeat_seconds),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=policy.initial_interval_seconds),
            maximum_interval=timedelta(seconds=policy.max_interval_seconds),
            maximum_attempts=policy.max_attempts,
            non_retryable_error_types=list(NON_RETRYABLE_TYPES),
        ),
    }
