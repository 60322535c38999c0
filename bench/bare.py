"""The baseline: bare Temporal workflows doing the same number of activities, no Overseer."""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

# Overseer's search attributes that a run upserts, named here: importing contracts would
# load pydantic and the models into this worker, and its memory is a baseline too.
RUN_STATE = SearchAttributeKey.for_keyword("OverseerState")
AGENT_VERSION = SearchAttributeKey.for_keyword("OverseerAgentVersion")
OUTCOME = SearchAttributeKey.for_keyword("OverseerOutcome")
COST_USD = SearchAttributeKey.for_float("OverseerCostUsd")
STEPS = SearchAttributeKey.for_int("OverseerSteps")


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


@workflow.defn(name="ListedBareWorkflow")
class ListedBareWorkflow:
    """The bare workflow listed as an Overseer run is: started with a run's search
    attributes, summary and details (the benchmark starts it with start_listing's), its
    activities summarized, `running` upserted in its first workflow task and its end's
    attributes in its last. What it costs beyond the bare workflow is what being listed
    costs, without any of Overseer's own work (tests/test_bench_listing.py holds it to an
    Overseer run's listing)."""

    @workflow.run
    async def run(self, activities: int, payload: str, agent_version: str) -> int:
        workflow.upsert_search_attributes([RUN_STATE.value_set("running")])
        for step in range(activities):
            await workflow.execute_activity(
                bare_step,
                payload,
                start_to_close_timeout=timedelta(seconds=60),
                summary=f"bare step {step + 1}",
            )
        workflow.upsert_search_attributes(
            [
                RUN_STATE.value_set("completed"),
                AGENT_VERSION.value_set(agent_version),
                OUTCOME.value_set("ok"),
                COST_USD.value_set(0.0),
                STEPS.value_set(activities - 1),
            ]
        )
        return activities


async def main() -> None:
    """`python -m bench.bare`: a worker for the baseline, like `overseer worker` for runs."""
    import os

    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    async with Worker(
        client,
        task_queue=os.environ["OVERSEER_TASK_QUEUE"],
        workflows=[BareWorkflow, ListedBareWorkflow],
        activities=[bare_step],
    ):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
