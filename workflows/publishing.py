"""Mirror a run into what the Web UI and `temporal workflow list` read: search attributes
(upserted only when they change: each upsert is a history event) and current details."""

from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from contracts import search_attributes as sa
from contracts.redaction import redact
from contracts.snapshot import RunSnapshot
from contracts.states import RunState
from workflows.child_progress import report_to_parent
from workflows.details import current_details

Published = tuple[RunState, bool]


def publish(
    snapshot: RunSnapshot, last: Published | None, redact_patterns: Sequence[str] = ()
) -> Published:
    """Publish the snapshot; returns what the search attributes now say."""
    now = (snapshot.state, bool(snapshot.pending_approvals))
    if now != last:
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.RUN_STATE.value_set(snapshot.state.value),
            sa.PENDING_APPROVAL.value_set(now[1]),
        ]
        if last is None:  # the first time: who and what this run is
            updates += [
                sa.AGENT.value_set(snapshot.agent),
                sa.REQUESTER.value_set(snapshot.requester),
                sa.TRACE_ID.value_set(snapshot.trace_id),
            ]
        workflow.upsert_search_attributes(updates)
        report_to_parent(snapshot, now, last)
    workflow.set_current_details(redact(current_details(snapshot), redact_patterns))
    return now
