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

# (state, pending approval?) as last published, see workflows/publishing.py.
Published = tuple[RunState, bool]


def _needs_human(published: Published) -> tuple[bool, bool]:
    state, pending = published
    return pending, state is RunState.BLOCKED


def report_to_parent(snapshot: RunSnapshot, now: Published, last: Published | None) -> None:
    """Signal the parent, if any, when the run's need for a human changed."""
    parent = workflow.info().parent
    if parent is None or last is None or _needs_human(now) == _needs_human(last):
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
