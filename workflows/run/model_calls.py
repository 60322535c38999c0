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
from contracts.text import duration_text
from workflows.common.activity_options import activity_options
from workflows.run.step_book import StepBook

with workflow.unsafe.imports_passed_through():
    from activities.llm import ENDPOINT_FAILURES, LLM_ACTIVITY
    from activities.providers.breaker import CIRCUIT_OPEN

# How long to wait before asking again when a model's retries ran out (no breaker said).
UNAVAILABLE_RETRY = timedelta(seconds=30)


# What of the models' last errors a blocked reason carries.
BLOCKED_REASON_MAX_CHARS = 500


@dataclass(frozen=True)
class Unavailable:
    reason: str  # circuit_open | retries_exhausted
    detail: str
    retry_in: timedelta
    # The endpoint's last error (a malformed answer, a 503, a timeout): what a user needs
    # to tell a broken endpoint from one that is down.
    last_error: str = ""


class NoModelAvailable(Exception):
    def __init__(self, unavailable: list[tuple[ModelSpec, Unavailable]]) -> None:
        self.retry_in = min(u.retry_in for _, u in unavailable)
        circuit = any(u.reason == "circuit_open" for _, u in unavailable)
        causes = "; ".join(
            f"{model.provider}/{model.name}: {u.last_error or u.detail}" for model, u in unavailable
        )
        # e.g. `circuit_open: openai/gpt-4o: openai sent a malformed response: no choices...`
        self.reason = (f"{'circuit_open' if circuit else 'retries_exhausted'}: {causes}")[
            :BLOCKED_REASON_MAX_CHARS
        ]
        super().__init__(
            f"no model available ({self.reason}); next try in {duration_text(self.retry_in)}"
        )


def _circuit_open(cause: ApplicationError) -> Unavailable:
    details = list(cause.details)
    seconds = float(details[0]) if details else UNAVAILABLE_RETRY.total_seconds()
    last_error = str(details[1]) if len(details) > 1 else ""  # older workers send only the wait
    wait = timedelta(seconds=max(seconds, 1.0))
    return Unavailable("circuit_open", cause.message, wait, last_error)


def unavailability(error: ActivityError) -> Unavailable | None:
    """Unavailable (wait or fall back) vs. anything else (the run cannot go on)."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == CIRCUIT_OPEN:
        return _circuit_open(cause)
    if isinstance(cause, ApplicationError) and cause.type in ENDPOINT_FAILURES:
        return Unavailable("retries_exhausted", cause.message, UNAVAILABLE_RETRY, cause.message)
    if isinstance(cause, TimeoutError):
        timed_out = f"timed out: {cause}"
        return Unavailable("retries_exhausted", timed_out, UNAVAILABLE_RETRY, timed_out)
    return None


async def ask_models(
    models: list[ModelSpec],
    request_for: Callable[[ModelSpec], ModelRequest],
    on_unavailable: Callable[[ModelSpec, Unavailable], None],
    policy: ActivityPolicy,
    steps: StepBook,
) -> ModelResponse:
    """The first answer from `models`, tried in order; NoModelAvailable if none answers."""
    unavailable: list[tuple[ModelSpec, Unavailable]] = []
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
            why = unavailability(error)
            if why is None:
                raise
            on_unavailable(model, why)
            unavailable.append((model, why))
    raise NoModelAvailable(unavailable)
