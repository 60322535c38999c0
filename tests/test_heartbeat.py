"""A canceled model call stops the in-flight provider request, and a long one heartbeats."""

import asyncio

import pytest
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from activities.heartbeat import heartbeat_while


async def test_cancel_reaches_the_in_flight_call_and_heartbeats_flow() -> None:
    started, stopped, beating = asyncio.Event(), asyncio.Event(), asyncio.Event()
    beats: list[object] = []

    def on_heartbeat(*details: object) -> None:
        beats.append(details)
        if len(beats) >= 2:
            beating.set()

    async def hung_provider() -> str:
        started.set()
        try:
            await asyncio.Event().wait()  # a provider that never answers
        finally:
            stopped.set()
        return "unreachable"

    @activity.defn
    async def call_model() -> str:
        return await heartbeat_while(hung_provider(), interval=0.01)

    env = ActivityEnvironment()
    env.on_heartbeat = on_heartbeat
    running = asyncio.create_task(env.run(call_model))
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(beating.wait(), 5)
    env.cancel()
    await asyncio.wait_for(stopped.wait(), 5)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
