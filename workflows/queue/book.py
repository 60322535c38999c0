"""The run queue's bookkeeping, in pure code: who holds a slot, who waits, in what order,
and who may start now. RunQueueWorkflow only sends what this decides."""

from contracts.queue import (
    LimitsChange,
    QueuedRun,
    QueueState,
    QueueTicket,
    QueueView,
    Reprioritize,
)


class NotWaiting(ValueError):
    """A change aimed at a run that is not waiting in the queue."""


class QueueBook:
    def __init__(self, state: QueueState) -> None:
        self.state = state

    def acquire(self, ticket: QueueTicket) -> None:
        """Put a run in line. A repeated ask (an activity retry) changes nothing."""
        if self._find(ticket.run_id) is not None:
            return
        state = self.state
        state.waiting.append(ticket.model_copy(update={"arrival": state.next_arrival}))
        state.next_arrival += 1
        self._sort()

    def release(self, run_id: str) -> None:
        """The run ended, or left before it started: either way its place is free."""
        state = self.state
        state.holders = [t for t in state.holders if t.run_id != run_id]
        state.waiting = [t for t in state.waiting if t.run_id != run_id]
        state.told.pop(run_id, None)

    def check_reprioritize(self, change: Reprioritize) -> None:
        if any(t.run_id == change.run_id for t in self.state.holders):
            raise NotWaiting(f"run {change.run_id} already holds a slot: only waiting runs move")
        if not any(t.run_id == change.run_id for t in self.state.waiting):
            raise NotWaiting(f"run {change.run_id} is not waiting in this queue")

    def reprioritize(self, change: Reprioritize) -> QueuedRun:
        self.check_reprioritize(change)
        self.state.waiting = [
            t.model_copy(update={"priority": change.priority}) if t.run_id == change.run_id else t
            for t in self.state.waiting
        ]
        self._sort()
        return next(run for run in self.view().waiting if run.ticket.run_id == change.run_id)

    def set_limits(self, change: LimitsChange) -> None:
        limits = self.state.limits
        if change.overall is not None:
            limits.overall = change.overall or None
        for agent, limit in change.per_agent.items():
            if limit:
                limits.per_agent[agent] = limit
            else:
                limits.per_agent.pop(agent, None)

    def grant(self) -> list[QueueTicket]:
        """Move every waiting run that fits the limits to the holders, in order."""
        granted: list[QueueTicket] = []
        for ticket in list(self.state.waiting):
            if self._overall_full():
                break
            # A full agent does not hold back the runs of other agents behind it.
            if self._agent_full(ticket):
                continue
            self.state.waiting.remove(ticket)
            self.state.holders.append(ticket)
            self.state.told.pop(ticket.run_id, None)
            granted.append(ticket)
        return granted

    def moved(self) -> list[QueuedRun]:
        """Waiting runs whose position changed since they were last told (now marked told)."""
        told = self.state.told
        waiting = self.view().waiting
        changed = [run for run in waiting if told.get(run.ticket.run_id) != run.position]
        for run in changed:
            self.state.told[run.ticket.run_id] = run.position
        return changed

    def view(self) -> QueueView:
        state = self.state
        return QueueView(
            limits=state.limits,
            holders=state.holders,
            waiting=[
                QueuedRun(position=index, ticket=ticket)
                for index, ticket in enumerate(state.waiting, start=1)
            ],
        )

    def _find(self, run_id: str) -> QueueTicket | None:
        every = [*self.state.holders, *self.state.waiting]
        return next((t for t in every if t.run_id == run_id), None)

    def _sort(self) -> None:
        self.state.waiting.sort(key=lambda t: (t.priority, t.arrival))

    def _overall_full(self) -> bool:
        overall = self.state.limits.overall
        return overall is not None and len(self.state.holders) >= overall

    def _agent_full(self, ticket: QueueTicket) -> bool:
        limit = self.state.limits.per_agent.get(ticket.agent, ticket.agent_limit)
        active = sum(1 for t in self.state.holders if t.agent == ticket.agent)
        return limit is not None and active >= limit
