"""A long run's event log and step list, paged out of workflow state.

When a run continues as new, the events and steps of the segment that ends go to the
artifact store as pages; the next segment carries only their references. So what a
segment carries stays small however long the run is, and a client reads the whole log
as the archived pages followed by the live segment's part (starters/client/run_log.py).
"""

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef
from contracts.events import RunEvent
from contracts.steps import StepRecord

RUN_LOG_MEDIA_TYPE = "application/vnd.overseer.run-log-page+json"
# A page is an activity input: well below Temporal's 2 MB payload limit, and archived one
# at a time so no workflow task carries more than one.
PAGE_BYTES = 256 * 1024


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
    # The index of this segment's first step, and the Temporal run of this segment:
    # `overseer reset` can only go back within the current segment's history.
    segment_first_step: int = 1
    temporal_run_id: str = ""


def pages_of(events: list[RunEvent], steps: list[StepRecord]) -> list[RunLogPage]:
    """Split a segment's events and steps into pages of about PAGE_BYTES at most (an entry
    larger than that gets a page of its own)."""
    pages: list[RunLogPage] = []
    page, size = RunLogPage(), 0
    entries: list[RunEvent | StepRecord] = [*events, *steps]
    for entry in entries:
        entry_size = len(entry.model_dump_json())
        if size and size + entry_size > PAGE_BYTES:
            pages.append(page)
            page, size = RunLogPage(), 0
        if isinstance(entry, RunEvent):
            page.events.append(entry)
        else:
            page.steps.append(entry)
        size += entry_size
    if size:
        pages.append(page)
    return pages
