"""The run queue's bookkeeping, in pure code: order, limits, positions."""

import pytest

from contracts.queue import LimitsChange, QueueState, QueueTicket, Reprioritize
from workflows.queue.book import NotWaiting, QueueBook


def ticket(
    run_id: str, agent: str = "a", priority: int = 5, limit: int | None = None
) -> QueueTicket:
    return QueueTicket(run_id=run_id, agent=agent, priority=priority, agent_limit=limit)


def granted(book: QueueBook) -> list[str]:
    return [t.run_id for t in book.grant()]


def test_lower_priority_first_then_arrival_and_a_repeated_ask_changes_nothing() -> None:
    book = QueueBook(QueueState())
    book.set_limits(LimitsChange(overall=1))
    for run in (ticket("r1"), ticket("r2", priority=7), ticket("r3", priority=2), ticket("r1")):
        book.acquire(run)
    assert [(r.position, r.ticket.run_id) for r in book.view().waiting] == [
        (1, "r3"),
        (2, "r1"),
        (3, "r2"),
    ]
    assert granted(book) == ["r3"]
    assert [(r.ticket.run_id, r.position) for r in book.moved()] == [("r1", 1), ("r2", 2)]
    assert book.moved() == []  # told once


def test_a_full_agent_does_not_hold_back_other_agents() -> None:
    book = QueueBook(QueueState())
    for run in (ticket("a1", limit=1), ticket("a2", limit=1), ticket("b1", agent="b")):
        book.acquire(run)
    assert granted(book) == ["a1", "b1"]
    book.release("a1")
    assert granted(book) == ["a2"]


def test_the_operators_agent_limit_wins_and_zero_removes_it() -> None:
    book = QueueBook(QueueState())
    book.set_limits(LimitsChange(per_agent={"a": 2}))
    for run in ("a1", "a2", "a3"):
        book.acquire(ticket(run, limit=1))
    assert granted(book) == ["a1", "a2"]
    book.set_limits(LimitsChange(per_agent={"a": 0}))
    assert book.state.limits.per_agent == {}
    assert granted(book) == []  # back to the run's own limit of 1, and two hold slots


def test_only_waiting_runs_can_be_reprioritized() -> None:
    book = QueueBook(QueueState())
    book.acquire(ticket("held", limit=1))
    book.acquire(ticket("waits", limit=1))
    book.grant()
    with pytest.raises(NotWaiting, match="run held already holds a slot"):
        book.check_reprioritize(Reprioritize(run_id="held", priority=0))
    with pytest.raises(NotWaiting, match="run nope is not waiting in this queue"):
        book.check_reprioritize(Reprioritize(run_id="nope", priority=0))
    assert book.reprioritize(Reprioritize(run_id="waits", priority=0)).position == 1
