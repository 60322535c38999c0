"""A long run's event log and step list, paged out of workflow state.

When a run continues as new, the events and steps of the segment that ends go to the
artifact store as pages; the next segment carries only their references. So what a
segment carries stays small however long the run is, and a client reads the whole log
as the archived pages followed by the live segment's part (starters/run_log.py).
"""

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef
from contracts.events import RunEvent
from contracts.steps import StepRecord

RUN_LOG_MEDIA_TYPE = "application/vnd.overseer.run-log-page+json"
# Events (or steps) per page: a page is an activity input, far below the 2 MB payload limit.
PAGE_ENTRIES = 250


class RunLogPage(BaseModel):
    """What one archived page holds."""

    events: list[RunEvent] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)


class ArchivedPage(BaseModel):
    """Where one page is, and which events and steps it holds (first to last, inclusive;
    0 to 0 when it holds none)."""

    ref: ArtifactRef
    first_seq: int = 0
    last_seq: int = 0
    first_step: int = 0
    last_step: int = 0


class RunLog(BaseModel):
    """The `log` query's answer: the archived pages and the live segment's part."""

    archived: list[ArchivedPage] = Field(default_factory=list)
    events: list[RunEvent] = Field(default_factory=list)
    # The live steps: this segment's, and earlier irreversible ones a rollback may undo
    # (they are also in the archive; the live copy is the current one).
    steps: list[StepRecord] = Field(default_factory=list)
    # The index of this segment's first step: `overseer reset` can only go back within
    # the current segment's history.
    segment_first_step: int = 1


def pages_of(events: list[RunEvent], steps: list[StepRecord]) -> list[RunLogPage]:
    """Split a segment's events and steps into pages of at most PAGE_ENTRIES of each."""
    count = max(len(events), len(steps))
    return [
        RunLogPage(
            events=events[start : start + PAGE_ENTRIES], steps=steps[start : start + PAGE_ENTRIES]
        )
        for start in range(0, count, PAGE_ENTRIES)
    ]
