"""Telling the policy's webhooks that an action waits for a decision (policy.notify).

One `approvals.notify` activity per webhook, started and never awaited by the turn: a
webhook that is slow, down or hanging never holds the run. How each one ended is recorded
as an event (`notified` / `notify_failed`) from the activity's done callback. One still in
flight when the run ends or continues as new is abandoned: Temporal drops its result.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState, TimeoutError

from contracts.approvals import ApprovalRequest
from contracts.events import EventKind
from contracts.hashing import canonical_json
from contracts.notifications import (
    ARGS_MAX_CHARS,
    NOTIFY_ACTIVITY,
    NOTIFY_REFUSED,
    PREVIEW_MAX_CHARS,
    ApprovalNotice,
    NoticeSent,
    redacted_args,
    webhook_label,
)
from contracts.spec import RunSpec

with workflow.unsafe.imports_passed_through():
    from activities.secrets import SECRET_MISSING

# A few attempts with backoff (1 s, 2 s, 4 s, 8 s), each given the HTTP timeout and some;
# a receiver that cannot take it within minutes is told no more.
NOTIFY_ATTEMPTS = 5
NOTIFY_ATTEMPT_TIMEOUT = timedelta(seconds=30)
NOTIFY_GIVE_UP = timedelta(minutes=5)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=NOTIFY_ATTEMPTS,
    non_retryable_error_types=[NOTIFY_REFUSED, SECRET_MISSING],
)
REASON_MAX_CHARS = 500

Outcome = tuple[EventKind, str]


def approval_notices(run_id: str, spec: RunSpec, request: ApprovalRequest) -> list[ApprovalNotice]:
    """One notice per webhook of the policy, its arguments redacted as events are."""
    policy = spec.policy
    if not policy.notify:
        return []
    args = redacted_args(request.args, policy.redact_patterns)
    text = canonical_json(args)
    preview = text if len(text) <= PREVIEW_MAX_CHARS else text[:PREVIEW_MAX_CHARS] + "…"
    return [
        ApprovalNotice(
            index=index,
            webhook=webhook,
            run_id=run_id,
            agent=spec.agent,
            action_id=request.action_id,
            short_id=request.short_id,
            tool=request.tool,
            args=args if len(text) <= ARGS_MAX_CHARS else None,
            args_preview=preview,
            args_sha256=request.args_sha256,
            requester=spec.requester,
            approvers=request.approvers,
            approver_groups=request.approver_groups,
            requested_at=request.requested_at,
            expires_at=request.expires_at,
            inbox_url=policy.inbox_url,
        )
        for index, webhook in enumerate(policy.notify, start=1)
    ]


def send(notice: ApprovalNotice, record: Callable[[EventKind, str], None]) -> None:
    """Start telling one webhook; `record` gets the outcome once it is known (not if the
    activity was canceled, or the workflow is torn down, first)."""
    label = webhook_label(notice.webhook, notice.index)
    handle = workflow.start_activity(
        NOTIFY_ACTIVITY,
        notice,
        result_type=NoticeSent,
        schedule_to_close_timeout=NOTIFY_GIVE_UP,
        start_to_close_timeout=NOTIFY_ATTEMPT_TIMEOUT,
        retry_policy=NOTIFY_RETRY,
        summary=f"notify {label}: {notice.tool} waits (action {notice.short_id})"[:200],
    )

    def ended(done: Any) -> None:
        if (outcome := _outcome(done, notice)) is not None:
            record(*outcome)

    handle.add_done_callback(ended)


def _outcome(done: Any, notice: ApprovalNotice) -> Outcome | None:
    if done.cancelled():
        return None
    error = done.exception()
    if error is None:
        sent: NoticeSent = done.result()
        label = webhook_label(notice.webhook, notice.index, host=sent.host)
        return EventKind.NOTIFIED, f"{label}: HTTP {sent.status}"
    if not isinstance(error, ActivityError):  # the workflow is being torn down
        return None
    label = webhook_label(notice.webhook, notice.index)
    return EventKind.NOTIFY_FAILED, f"{label}: {_why(error)}"[:REASON_MAX_CHARS]


def _why(error: ActivityError) -> str:
    cause = error.cause
    if isinstance(cause, TimeoutError):
        why = "timed out"
    elif isinstance(cause, ApplicationError):
        why = cause.message  # the activity's own messages name no secret: it scrubs them
    else:
        why = str(cause or error)
    if error.retry_state is RetryState.MAXIMUM_ATTEMPTS_REACHED:
        why += f" (gave up after {NOTIFY_ATTEMPTS} attempts)"
    elif error.retry_state is RetryState.TIMEOUT:
        why += f" (gave up after {NOTIFY_GIVE_UP.total_seconds() / 60:g} minutes)"
    return why
