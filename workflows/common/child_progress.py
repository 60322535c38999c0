"""A child run tells its parent (a pipeline) when it starts or stops needing a human.

A workflow cannot query another, so the child signals: the parent's snapshot then lists
the child's pending approvals and handoffs durably, from its own history.
"""

import asyncio
from typing import Any

from temporalio import workflow

from contracts.pipeline import ChildProgress
from contracts.snapshot import RunSnapshot
from contracts.states import RunState

CHILD_PROGRESS_SIGNAL = "child_progress"


def needs_human(snapshot: RunSnapshot) -> tuple[bool, bool]:
    """(waits for an approval?, blocked?): what the parent shows a human."""
    return bool(snapshot.pending_approvals), snapshot.state is RunState.BLOCKED


def report_to_parent(snapshot: RunSnapshot) -> None:
    """Signal the parent, if any, with the run's need for a human."""
    parent = workflow.info().parent
    if parent is None:
        return
    progress = ChildProgress(
        run_id=snapshot.run_id,
        state=snapshot.state,
        pending_approvals=snapshot.pending_approvals,
        blocked_reason=snapshot.blocked_reason,
    )
    handle = workflow.get_external_workflow_handle(parent.workflow_id, run_id=parent.run_id)
    asyncio.create_task(_send(handle, progress))  # noqa: RUF006  (the SDK keeps it alive)


async def _send(handle: workflow.ExternalWorkflowHandle[Any], progress: ChildProgress) -> None:
    try:
        await handle.signal(CHILD_PROGRESS_SIGNAL, progress)
    except Exception:
        workflow.logger.info("parent of %s did not take its progress signal", progress.run_id)
