"""Workflow side of paging a run's log out at continue-as-new (see contracts.run_log)."""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

from contracts.artifacts import ArtifactRef
from contracts.events import RunEvent
from contracts.retries import ActivityPolicy
from contracts.run_log import ArchivedPage, RunLogPage, pages_of
from contracts.steps import StepRecord
from workflows.common.activity_options import activity_options
from workflows.common.failures import message_of

with workflow.unsafe.imports_passed_through():
    from activities.run_log import ARCHIVE_ACTIVITY

# Writing to the artifact store is quick: a short timeout, a few attempts.
POLICY = ActivityPolicy(start_to_close_seconds=30.0, max_attempts=3)


class ArchiveFailed(Exception):
    """The pages could not be stored; the run carries its log in full instead."""


async def archive(events: list[RunEvent], steps: list[StepRecord]) -> list[ArchivedPage]:
    """Store `events` and `steps` as pages; their references, in order."""
    archived = []
    for page in pages_of(events, steps):  # one at a time: a workflow task carries one page
        try:
            archived.append(_described(page, await _store(page)))
        except ActivityError as error:
            if is_cancelled_exception(error):  # the run is being canceled
                raise asyncio.CancelledError from None
            raise ArchiveFailed(message_of(error)) from None
    return archived


async def _store(page: RunLogPage) -> ArtifactRef:
    ref: ArtifactRef = await workflow.execute_activity(
        ARCHIVE_ACTIVITY,
        page,
        result_type=ArtifactRef,
        summary=f"archive {len(page.events)} events and {len(page.steps)} steps",
        **activity_options(POLICY),
    )
    return ref


def _described(page: RunLogPage, ref: ArtifactRef) -> ArchivedPage:
    events, steps = page.events, page.steps
    return ArchivedPage(
        ref=ref,
        first_seq=events[0].seq if events else 0,
        last_seq=events[-1].seq if events else 0,
        first_step=steps[0].index if steps else 0,
        last_step=steps[-1].index if steps else 0,
    )
