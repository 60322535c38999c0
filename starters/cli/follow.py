"""Stream a run's events until it ends or waits for a human."""

import asyncio
from collections.abc import Callable

from contracts.snapshot import RunSnapshot
from contracts.states import RunState
from starters.cli.render import event_line
from starters.client.runs import RunClient

POLL_SECONDS = 0.5


async def follow(
    run: RunClient,
    *,
    stop_at_approval: bool,
    after_seq: int = 0,
    emit: Callable[[str], None] = print,
) -> tuple[RunSnapshot, int]:
    """Print events as they come; returns the last snapshot and the last seq printed."""
    while True:
        for event in await run.events(after_seq):
            emit(event_line(event))
            after_seq = event.seq
        snapshot = await run.snapshot()
        if snapshot.last_event_seq > after_seq:
            continue  # events arrived between the two queries
        if snapshot.state.is_terminal:
            return snapshot, after_seq
        if stop_at_approval and snapshot.state is RunState.WAITING_FOR_APPROVAL:
            return snapshot, after_seq
        if stop_at_approval and snapshot.handoff is not None:  # waits for a human's reply
            return snapshot, after_seq
        # The CLI polls a query on an interval; nothing here is a test or a workflow.
        await asyncio.sleep(POLL_SECONDS)
