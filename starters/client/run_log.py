"""Reading a run's whole log: the pages archived at each continue-as-new, from the artifact
store, followed by the live segment's part (see contracts.run_log)."""

from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore
from contracts.errors import OverseerError
from contracts.events import RunEvent
from contracts.run_log import ArchivedPage, RunLog, RunLogPage
from contracts.steps import StepRecord


async def _page(store: ArtifactStore, run_id: str, page: ArchivedPage) -> RunLogPage:
    try:
        return RunLogPage.model_validate_json(await store.get(page.ref.sha256))
    except (ApplicationError, OSError) as missing:  # the store is not reachable from here
        raise OverseerError(
            f"run {run_id}: part of its log is archived (page {page.ref}), but it cannot be "
            f"read here: {missing} (set OVERSEER_ARTIFACTS to the workers' store)"
        ) from None


async def whole_event_log(
    store: ArtifactStore, run_id: str, log: RunLog, after_seq: int, partial_ok: bool = False
) -> list[RunEvent]:
    """The run's events after `after_seq`, in order, archived or live. With `partial_ok`
    (a live view, not an audit), pages that cannot be read are left out."""
    events: list[RunEvent] = []
    for page in log.archived:
        if page.last_seq > after_seq:
            try:
                stored = await _page(store, run_id, page)
            except OverseerError:
                if partial_ok:
                    continue
                raise
            events += [e for e in stored.events if e.seq > after_seq]
    live = [e for e in log.events if e.seq > (events[-1].seq if events else after_seq)]
    return events + live


async def whole_step_list(store: ArtifactStore, run_id: str, log: RunLog) -> list[StepRecord]:
    """Every step of the run, in order; a live step's record is the current one."""
    steps: dict[int, StepRecord] = {}
    for page in log.archived:
        if page.last_step:
            steps.update((s.index, s) for s in (await _page(store, run_id, page)).steps)
    steps.update((s.index, s) for s in log.steps)
    return [steps[index] for index in sorted(steps)]
