"""The workflow sandbox: which modules a workflow run imports once per process.

The sandbox re-imports every module a workflow imports, for every workflow run, unless it
is passed through. Contracts are pure pydantic models, activities are only read for
declarations, and the workflows' other modules hold no state: pass them through, as
Temporal advises for deterministic code. The modules that define a workflow class stay
sandboxed. The list is read off the `workflows` package, so it follows the code when
modules move.

What a passed-through module loses is the sandbox's check of the module's own references
(`datetime.now`, `random`, `os`): it imported the real ones once. workflows/ruff.toml
refuses those for every module under workflows/ instead, before the code runs, and `make
test` runs it; the builtins the sandbox restricts (`open`, ...) stay restricted during
every activation, whichever module calls them. AgentRun (workflows/run/engine.py) was
sandboxed until 2026-11-30: re-importing it cost each run about 3 ms of worker CPU
(BENCHMARKS.md), 10 % of a bare workflow's whole cost.
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

WORKFLOW_CLASSES = (
    AgentRunWorkflow,
    KillSwitchWorkflow,
    RunQueueWorkflow,
    PipelineWorkflow,
    ReleaseWorkflow,
)
_SANDBOXED = frozenset(cls.__module__ for cls in WORKFLOW_CLASSES)


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
