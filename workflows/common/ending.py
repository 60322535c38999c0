"""Ending a workflow with the Temporal status that matches Overseer's end state, and
telling a pipeline how its child run ended. Workflow code (see contracts/ending.py)."""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, is_cancelled_exception

from contracts.ending import CHILD_ENDED_SIGNAL, REQUEST_OWN_CANCEL, ChildEnded, OwnCancel
from contracts.snapshot import RunResult

OWN_CANCEL_TIMEOUT = timedelta(seconds=30)
OWN_CANCEL_ATTEMPTS = 5


async def end_as_canceled(reason: str) -> None:
    """Close this workflow as Canceled: raises the cancellation once Temporal has one.

    With no Temporal cancel request yet (Overseer's own `cancel`), a local activity asks
    for one and the workflow waits for it. Local: its result is recorded by this worker,
    so no activity event can reach the server after the cancel request and make it refuse
    the workflow's closing command (UnhandledCommand), failing a concurrent update.
    Returns only if Temporal could not be asked: the caller then completes, its result
    still saying how it ended."""
    if workflow.cancellation_reason() is None:
        info = workflow.info()
        try:
            await workflow.execute_local_activity(
                REQUEST_OWN_CANCEL,
                OwnCancel(workflow_id=info.workflow_id, run_id=info.run_id, reason=reason),
                start_to_close_timeout=OWN_CANCEL_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=OWN_CANCEL_ATTEMPTS),
                summary=f"end as Canceled: {reason}"[:200],
            )
        except ActivityError as error:
            if is_cancelled_exception(error):
                raise  # Temporal's cancel arrived while the activity ran: it ends Canceled
            workflow.logger.warning("could not ask Temporal to cancel %s", info.workflow_id)
            return
        # Temporal's cancel request cancels this wait; nothing else ends it.
        await workflow.wait_condition(lambda: False)
    raise asyncio.CancelledError(reason)


async def tell_parent(run_id: str, result: RunResult) -> None:
    """Signal the parent pipeline, if any, how this run ended; it reads this instead of a
    result, which a Canceled or Failed child does not return. Sent (and delivered) before
    the run closes, so the parent has it when the child's end reaches it."""
    parent = workflow.info().parent
    if parent is None:
        return
    handle = workflow.get_external_workflow_handle(parent.workflow_id, run_id=parent.run_id)
    try:
        await handle.signal(CHILD_ENDED_SIGNAL, ChildEnded(run_id=run_id, result=result))
    except Exception:
        workflow.logger.info("parent of %s did not take its end signal", run_id)
