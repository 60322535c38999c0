"""A deliberately incompatible AgentRunWorkflow, for tests/test_replay_check.py: the same
workflow name, one more activity before the run's first step, as a careless change would add.
Its own module: the workflow sandbox re-imports the module that defines a workflow."""

from datetime import timedelta

from temporalio import workflow

from contracts import WORKFLOW_NAME
from contracts.snapshot import RunResult
from contracts.spec import RunSpec
from workflows.run.agent_run import AgentRunWorkflow
from workflows.run.state_machine import IllegalTransition

EXTRA_ACTIVITY = "check_the_weather_first"


@workflow.defn(name=WORKFLOW_NAME, failure_exception_types=[IllegalTransition])
class AgentRunWithAnExtraActivity(AgentRunWorkflow):
    @workflow.run
    async def run(self, spec: RunSpec) -> RunResult:
        await workflow.execute_activity(EXTRA_ACTIVITY, start_to_close_timeout=timedelta(seconds=5))
        return await super().run(spec)
