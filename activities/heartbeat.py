"""Heartbeat while a long call is in flight, so a dead worker or a cancel is noticed in seconds."""

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from temporalio import activity

T = TypeVar("T")

MAX_HEARTBEAT_INTERVAL_SECONDS = 5.0


def _interval() -> float:
    # Well inside the heartbeat timeout, whatever the run's retry config sets it to.
    timeout = activity.info().heartbeat_timeout
    if timeout is None:
        return MAX_HEARTBEAT_INTERVAL_SECONDS
    return min(MAX_HEARTBEAT_INTERVAL_SECONDS, timeout.total_seconds() / 3)


async def heartbeat_while(
    work: Awaitable[T], interval: float | None = None, details: Sequence[Any] = ()
) -> T:
    """`work`'s result, heartbeating meanwhile; each heartbeat sends `details` again (a bare
    heartbeat would replace what an earlier attempt left in them)."""
    task = asyncio.ensure_future(work)
    every = interval if interval is not None else _interval()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            activity.heartbeat(*details)
    finally:
        # Reached on cancel too: the in-flight call must not outlive the activity.
        task.cancel()
