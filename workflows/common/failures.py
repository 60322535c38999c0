"""Why a step failed, classified, for a dead letter's reason."""

from temporalio import workflow
from temporalio.exceptions import ActivityError, FailureError, RetryState, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.errors import RESULT_TOO_LARGE


def message_of(error: ActivityError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, FailureError) else str(error)


def classify(error: ActivityError) -> str:
    """retries_exhausted | non_retryable | timeout | result_too_large | failed."""
    cause = error.cause
    if getattr(cause, "type", None) == RESULT_TOO_LARGE:
        return "result_too_large"
    if isinstance(cause, TimeoutError):
        return "timeout"
    if error.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED:
        return "retries_exhausted"
    if error.retry_state == RetryState.NON_RETRYABLE_FAILURE:
        return "non_retryable"
    return "failed"


def dead_letter_reason(subject: str, error: ActivityError) -> str:
    """E.g. `retries_exhausted: tool create_ticket: CHECK constraint failed: ...`."""
    return f"{classify(error)}: {subject}: {message_of(error)}"


def local_failure_reason(subject: str, error: FailureError) -> str:
    """The same for a local activity, whose failure reaches the workflow as the activity's
    own error (an ApplicationError, a TimeoutError), not wrapped in an ActivityError."""
    if isinstance(error, ActivityError):
        return dead_letter_reason(subject, error)
    if isinstance(error, TimeoutError):
        kind = "timeout"
    elif getattr(error, "non_retryable", False):
        kind = "non_retryable"
    else:
        kind = "failed"
    return f"{kind}: {subject}: {error.message}"
