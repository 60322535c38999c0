"""The baseline: bare Temporal workflows doing the same number of activities, no Overseer."""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare.step")
async def bare_step(payload: str) -> str:
    return payload


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self._go = False

    @workflow.run
    async def run(self, activities: int, payload: str, wait_for_go: bool) -> int:
        for _ in range(activities):
            await workflow.execute_activity(
                bare_step, payload, start_to_close_timeout=timedelta(seconds=60)
            )
        if wait_for_go:
            await workflow.wait_condition(lambda: self._go)
            await workflow.execute_activity(
                bare_step, payload, start_to_close_timeout=timedelta(seconds=60)
            )
        return activities

    @workflow.update
    def go(self) -> None:
        self._go = True

    @workflow.query
    def status(self) -> bool:
        return self._go


async def main() -> None:
    """`python -m bench.bare`: a worker for the baseline, like `overseer worker` for runs."""
    import os

    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    async with Worker(
        client,
        task_queue=os.environ["OVERSEER_TASK_QUEUE"],
        workflows=[BareWorkflow],
        activities=[bare_step],
    ):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
