"""Mirror a run into what the Web UI and `temporal workflow list` read: search attributes
and current details.

Each search-attribute upsert is a history event and a visibility write, so the run does
not publish on every event: it marks itself stale, and the publisher flushes once at the
end of the workflow task (a condition the SDK checks when the run's code has gone idle),
or at once when the run ends or continues as new.

A change that is not the run's listed state (its agent version, known once its first model
call declared its tools) waits for the next upsert the run makes anyway, its end, or its
first workflow task `ALONE_AFTER` into the run. On the benchmark's one-tool run, the version's
upsert of its own (in the run's second workflow task: a visibility write the run made for
nothing else) cost the server about 5 % of a bare workflow's CPU, for a run over in a tenth of
a second: now a run that ends that quickly lists its version with its end, and one at work for
longer lists it within a step of `ALONE_AFTER`. (The `running` upsert of the first workflow
task and the end's cost no visibility write of their own: the server writes one then anyway.)
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from contracts import search_attributes as sa
from contracts.redaction import redact
from contracts.snapshot import RunSnapshot
from contracts.states import RunState
from workflows.common.child_progress import needs_human, report_to_parent
from workflows.run.details import current_details

# (OverseerState, OverseerPendingApproval, OverseerPendingActions)
Listed = tuple[str, bool, tuple[str, ...]]
ALONE_AFTER = timedelta(seconds=2)


def _listed_at_start() -> Listed | None:
    """What the run's search attributes say when this segment starts: set by the client
    that started it, or carried over from the previous segment."""
    attributes = workflow.info().typed_search_attributes
    state, pending = attributes.get(sa.RUN_STATE), attributes.get(sa.PENDING_APPROVAL)
    if state is None or pending is None or attributes.get(sa.AGENT) is None:
        return None
    return state, pending, tuple(attributes.get(sa.PENDING_ACTIONS) or ())


class Publisher:
    def __init__(self, redact_patterns: list[str]) -> None:
        self.stale = True
        self._redact_patterns = redact_patterns
        self._listed = _listed_at_start()
        self._version = workflow.info().typed_search_attributes.get(sa.AGENT_VERSION)
        self._needs_human: tuple[bool, bool] | None = None

    def flush(self, snapshot: RunSnapshot, *, closing: bool = False) -> None:
        """Publish what changed; `closing`: the segment ends here (continue-as-new), so
        nothing may wait for a later workflow task."""
        self.stale = False
        pending = tuple(request.short_id for request in snapshot.pending_approvals)
        now = (sa.listed_state(snapshot.state), bool(pending), pending)
        if now != self._listed or self._version_due(snapshot, now, closing):
            if changes := self._changes(now, snapshot):
                workflow.upsert_search_attributes(changes)
            self._listed = now
        needs = needs_human(snapshot)
        if self._needs_human is not None and needs != self._needs_human:
            report_to_parent(snapshot)
        self._needs_human = needs
        workflow.set_current_details(redact(current_details(snapshot), self._redact_patterns))

    def _version_due(self, snapshot: RunSnapshot, now: Listed, closing: bool) -> bool:
        """A new agent version to list on its own: at the end, while the run waits in its
        queue (it has no next step to wait for), or once it has been going `ALONE_AFTER`
        (with any other change, it rides along in `_changes`)."""
        if snapshot.agent_version == (self._version or ""):
            return False
        ending = closing or snapshot.outcome is not None
        queued = now[0] == RunState.CREATED
        return ending or queued or workflow.now() - workflow.info().start_time >= ALONE_AFTER

    def _changes(self, now: Listed, snapshot: RunSnapshot) -> list[SearchAttributeUpdate[Any]]:
        """Only the attributes that changed: each one set is a payload in the history event
        and a field the visibility store writes again."""
        before = self._listed
        updates: list[SearchAttributeUpdate[Any]] = []
        if before is None or now[0] != before[0]:
            updates.append(sa.RUN_STATE.value_set(now[0]))
        if before is None or now[1] != before[1]:
            updates.append(sa.PENDING_APPROVAL.value_set(now[1]))
        if before is None or now[2] != before[2]:
            updates.append(sa.PENDING_ACTIONS.value_set(list(now[2])))
        # Listed with this upsert once known (the run's tools declared, by its first model
        # call at the latest), so `overseer ls --version` finds the runs at work.
        if snapshot.agent_version and snapshot.agent_version != self._version:
            updates.append(sa.AGENT_VERSION.value_set(snapshot.agent_version))
            self._version = snapshot.agent_version
        if snapshot.outcome is not None:  # the end: what `overseer versions` counts
            updates += [
                sa.OUTCOME.value_set(snapshot.outcome),
                sa.COST_USD.value_set(snapshot.budget.cost_usd),
                sa.STEPS.value_set(snapshot.step),
            ]
        if before is None:  # started without them: who and what this run is
            updates += [
                sa.AGENT.value_set(snapshot.agent),
                sa.REQUESTER.value_set(snapshot.requester),
                sa.TRACE_ID.value_set(snapshot.trace_id),
            ]
        return updates
