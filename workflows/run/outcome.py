"""How a run ended, as a schedule and `overseer versions` count it. Pure code."""

from collections.abc import Iterable

from contracts.events import EventKind, RunEvent
from contracts.schedules import Outcome
from contracts.states import RunState
from workflows.run.holds import BUDGET_EXHAUSTED


def run_outcome(
    state: RunState, failure_reason: str | None, events: Iterable[RunEvent], canceled: bool
) -> Outcome | None:
    """None while the run goes on. Canceled (by a person, undone or not) before a budget
    that ran out, before a failure, before a rejected action; else ok. Only this segment's
    events are looked at: a run that continued as new counts what its last segment saw."""
    if not state.is_terminal:
        return None
    if state is RunState.CANCELED or (state is RunState.ROLLED_BACK and canceled):
        return "canceled"
    seen = list(events)
    if (failure_reason or "").startswith(BUDGET_EXHAUSTED) or any(
        e.detail.startswith(BUDGET_EXHAUSTED) for e in seen
    ):
        return "budget_exhausted"
    if state in (RunState.FAILED, RunState.ROLLED_BACK):
        return "failed"
    if any(e.kind is EventKind.REJECTED for e in seen):
        return "rejected"
    return "ok"
