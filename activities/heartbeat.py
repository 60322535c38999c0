"""Heartbeat while a long call is in flight, so a dead worker or a cancel is noticed in seconds."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio import activity

T = TypeVar("T")

HEARTBEAT_INTERVAL_SECONDS = 5.0


async def heartbeat_while(work: Awaitable[T], interval: float = HEARTBEAT_INTERVAL_SECONDS) -> T:
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=interval)
            if done:
                return task.result()
            activity.heartbeat()
    finally:
        # Reached on cancel too: the in-flight call must not outlive the activity.
        task.cancel()
