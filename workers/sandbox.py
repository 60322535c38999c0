"""The workflow sandbox: which modules a workflow run imports once per process.

The sandbox re-imports (and compiles) every module a workflow imports, for every workflow
run, unless it is passed through. Contracts are pure pydantic models, activities are only
read for declarations, and the workflows' helper modules hold no state: pass them through.
The modules that define a workflow class stay sandboxed, and so does the agent run's own
code (AgentRun, which AgentRunWorkflow hands every handler to). The helper list is read off
the `workflows` package, so it follows the code when modules move.
"""

import pkgutil

from temporalio.worker.workflow_sandbox import SandboxRestrictions

import workflows
from workers.lean_sandbox import LeanSandboxedWorkflowRunner
from workflows.kill_switch import KillSwitchWorkflow
from workflows.pipeline.pipeline import PipelineWorkflow
from workflows.queue.run_queue import RunQueueWorkflow
from workflows.release import ReleaseWorkflow
from workflows.run.agent_run import AgentRunWorkflow
from workflows.run.engine import AgentRun

WORKFLOW_CLASSES = (
    AgentRunWorkflow,
    KillSwitchWorkflow,
    RunQueueWorkflow,
    PipelineWorkflow,
    ReleaseWorkflow,
)
_SANDBOXED = frozenset(cls.__module__ for cls in (*WORKFLOW_CLASSES, AgentRun))


def workflow_helpers() -> tuple[str, ...]:
    """Every module under workflows/ but the packages and the workflow classes' own."""
    found = pkgutil.walk_packages(workflows.__path__, prefix="workflows.")
    return tuple(sorted(m.name for m in found if not m.ispkg and m.name not in _SANDBOXED))


SANDBOX = LeanSandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        # cryptography verifies decision signatures (workflows.run.signatures); its Rust
        # extension may be initialized once per process, and it imports parts lazily.
        "contracts",
        "activities",
        "jsonschema",
        "cryptography",
        *workflow_helpers(),
    )
)
