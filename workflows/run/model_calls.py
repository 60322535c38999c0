"""Asking the run's model, falling back down the agent's list when one is unavailable."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    TimeoutError,
    is_cancelled_exception,
)

from contracts.model_io import ModelRequest, ModelResponse, ModelSpec
from contracts.retries import ActivityPolicy
from workflows.common.activity_options import activity_options
from workflows.run.step_book import StepBook

with workflow.unsafe.imports_passed_through():
    from activities.llm import ENDPOINT_FAILURES, LLM_ACTIVITY
    from activities.providers.breaker import CIRCUIT_OPEN

# How long to wait before asking again when a model's retries ran out (no breaker said).
UNAVAILABLE_RETRY = timedelta(seconds=30)


@dataclass(frozen=True)
class Unavailable:
    reason: str  # circuit_open | retries_exhausted
    detail: str
    retry_in: timedelta


class NoModelAvailable(Exception):
    def __init__(self, retry_in: timedelta) -> None:
        super().__init__(f"no model available; next try in {retry_in}")
        self.retry_in = retry_in


def unavailability(error: ActivityError) -> Unavailable | None:
    """Unavailable (wait or fall back) vs. anything else (the run cannot go on)."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == CIRCUIT_OPEN:
        seconds = float(cause.details[0]) if cause.details else UNAVAILABLE_RETRY.total_seconds()
        return Unavailable("circuit_open", cause.message, timedelta(seconds=max(seconds, 1.0)))
    if isinstance(cause, ApplicationError) and cause.type in ENDPOINT_FAILURES:
        return Unavailable("retries_exhausted", cause.message, UNAVAILABLE_RETRY)
    if isinstance(cause, TimeoutError):
        return Unavailable("retries_exhausted", f"timed out: {cause}", UNAVAILABLE_RETRY)
    return None


async def ask_models(
    models: list[ModelSpec],
    request_for: Callable[[ModelSpec], ModelRequest],
    on_unavailable: Callable[[ModelSpec, Unavailable], None],
    policy: ActivityPolicy,
    steps: StepBook,
) -> ModelResponse:
    """The first answer from `models`, tried in order; NoModelAvailable if none answers."""
    waits: list[timedelta] = []
    for model in models:
        request = request_for(model)
        step = steps.begin(
            turn=request.step,
            kind="model",
            name=model.name,
            summary=f"model {model.name} step {request.step}",
            side_effect="none",
        )
        try:
            response: ModelResponse = await workflow.execute_activity(
                LLM_ACTIVITY,
                request,
                result_type=ModelResponse,
                task_queue=model.task_queue,
                activity_id=step.activity_id,
                summary=step.summary,
                **activity_options(policy),
            )
            steps.finish(step, "completed")
            return response
        except ActivityError as error:
            steps.finish(step, "failed")
            if is_cancelled_exception(error):
                # The run is being canceled: end as canceled, not as a failed model call.
                raise asyncio.CancelledError from None
            unavailable = unavailability(error)
            if unavailable is None:
                raise
            on_unavailable(model, unavailable)
            waits.append(unavailable.retry_in)
    raise NoModelAvailable(min(waits))
