"""Paging a segment's log: pages stay under the size limit and keep the order."""

from datetime import UTC, datetime

from contracts.events import EventKind, RunEvent
from contracts.run_log import PAGE_BYTES, pages_of
from contracts.states import RunState
from contracts.steps import StepRecord


def event(seq: int, detail: str) -> RunEvent:
    return RunEvent(
        seq=seq,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        kind=EventKind.TOOL_RESULT,
        from_state=RunState.EXECUTING,
        to_state=RunState.EXECUTING,
        actor="system",
        model_version="1",
        policy_version="p",
        detail=detail,
    )


def step(index: int) -> StepRecord:
    return StepRecord(
        index=index, turn=index, kind="tool", name="write_file", summary="s", side_effect="read"
    )


def test_pages_hold_at_most_the_page_size_in_order() -> None:
    events = [event(seq, "x" * 50_000) for seq in range(1, 41)]  # ~2 MB in all
    steps = [step(index) for index in range(1, 11)]
    pages = pages_of(events, steps)
    assert len(pages) >= 8
    assert all(
        sum(len(e.model_dump_json()) for e in [*page.events, *page.steps]) <= PAGE_BYTES
        for page in pages
    )
    assert [e.seq for page in pages for e in page.events] == list(range(1, 41))
    assert [s.index for page in pages for s in page.steps] == list(range(1, 11))


def test_an_entry_larger_than_a_page_gets_a_page_of_its_own() -> None:
    pages = pages_of([event(1, "a"), event(2, "b" * (PAGE_BYTES + 1)), event(3, "c")], [])
    assert [[e.seq for e in page.events] for page in pages] == [[1], [2], [3]]


def test_an_empty_segment_has_no_pages() -> None:
    assert pages_of([], []) == []
