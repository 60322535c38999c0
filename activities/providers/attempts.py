"""What the failed attempts of a model call went through, told by the attempt that answers.

Temporal owns the retries: a failed attempt raises and the server schedules the next one,
maybe on another worker, so nothing in memory survives from one attempt to the next. The
activity's heartbeat details do, and they are not in the workflow's history (so a call that
fails fifty times does not grow it). Checked against temporalio 1.x and its dev server:
details heartbeated just before an attempt raises reach the next attempt as
`activity.info().heartbeat_details` (the SDK sends the last, even throttled, heartbeat before
it reports the failure), and a bare `heartbeat()` replaces them, so the in-flight heartbeats
of the next attempt carry them on. An attempt that ends without raising (start-to-close
timeout, lost worker) records nothing: the next one says so.
"""

from collections.abc import Sequence
from typing import Any

from temporalio import activity
from temporalio.exceptions import FailureError

ERROR_MAX_CHARS = 300


def carried() -> tuple[Any, ...]:
    """The details to heartbeat while this attempt works, so they survive its heartbeats."""
    return tuple(activity.info().heartbeat_details)


def error_text(error: BaseException) -> str:
    """One line for a user: a Temporal failure's message, else the exception and its text."""
    if isinstance(error, FailureError):
        return error.message
    return f"{type(error).__name__}: {error}"


def record_failure(error: BaseException) -> None:
    """Leave this attempt's error for the next attempt (call just before raising it)."""
    text = error_text(error)[:ERROR_MAX_CHARS]
    activity.heartbeat({"attempt": activity.info().attempt, "error": text})


def _recorded(details: Sequence[Any]) -> tuple[int, str] | None:
    first = details[0] if details else None
    if not isinstance(first, dict):
        return None
    attempt, error = first.get("attempt"), first.get("error")
    if not isinstance(attempt, int) or not isinstance(error, str):
        return None
    return attempt, error


def last_retry_error() -> str:
    """Why the attempt before this one failed; empty on the first attempt."""
    info = activity.info()
    if info.attempt <= 1:
        return ""
    recorded = _recorded(info.heartbeat_details)
    if recorded is not None and recorded[0] == info.attempt - 1:
        return recorded[1]
    return f"attempt {info.attempt - 1} ended without an answer (timed out or its worker was lost)"
