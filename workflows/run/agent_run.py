"""AgentRunWorkflow: one supervised agent run, as Temporal sees it.

The run itself (its loop, lifecycle, approvals and controls) is AgentRun
(workflows/run/engine.py). This module is imported inside the sandbox for every run; the
run's code and its handlers (workflows/run/handlers.py) are passed through, imported once
per worker, like every module under workflows/ but the workflow classes' own
(workers/sandbox.py says why, and what checks their determinism instead).

Why the split: `workflow.defn` inspects every member of the class and of each class it
inherits from, and each handler's decorator reads its signature. With the run's nine parts
as bases (about 500 members) and its 29 handlers declared here, that was the costliest
thing a worker did per run (BENCHMARKS.md). The class is now validated once per worker
(defn_once).
"""

from temporalio import workflow

from contracts.snapshot import RunResult
from contracts.spec import RunSpec
from workflows.common.defn_once import defn_once
from workflows.run.engine import AgentRun
from workflows.run.handlers import AgentRunHandlers
from workflows.run.state_machine import IllegalTransition


@defn_once(name="AgentRunWorkflow", failure_exception_types=[IllegalTransition])
class AgentRunWorkflow(AgentRunHandlers):
    @workflow.init
    def __init__(self, spec: RunSpec) -> None:
        self._run = AgentRun(spec)

    @workflow.run
    async def run(self, spec: RunSpec) -> RunResult:
        return await self._run.run(spec)
