"""Workflows that probe the sandbox runner, for tests/test_lean_sandbox.py. Their own module:
the sandbox imports the module that defines a workflow afresh for every run."""

import datetime
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="probe.echo")
async def echo(text: str) -> str:
    return text


@workflow.defn(name="ProbeOneActivity")
class ProbeOneActivity:
    @workflow.run
    async def run(self, text: str) -> str:
        echoed: str = await workflow.execute_activity(
            echo, text, start_to_close_timeout=timedelta(seconds=10)
        )
        return echoed


@workflow.defn(name="ProbeReadsTheClock")
class ProbeReadsTheClock:
    @workflow.run
    async def run(self) -> str:
        # What the sandbox exists to refuse: a workflow reading the wall clock.
        return datetime.datetime.now().isoformat()
