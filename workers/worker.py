"""The Overseer worker: runs AgentRunWorkflow, PipelineWorkflow, the run queue, the kill
switches and their activities on one task queue."""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import all_activities
from activities.llm import ModelActivities
from activities.providers.breaker import BreakerBoard
from workers.config import ModelPool, WorkerConfig
from workflows.agent_run import AgentRunWorkflow
from workflows.kill_switch import KillSwitchWorkflow
from workflows.pipeline import PipelineWorkflow
from workflows.run_queue import RunQueueWorkflow

log = logging.getLogger("overseer.worker")

# The sandbox re-imports (and compiles) every module a workflow imports, for every workflow
# run, unless it is passed through. Contracts are pure pydantic models, activities are only
# read for declarations, and the workflow's helper modules hold no state: pass them through.
# The workflow class's own module (workflows.agent_run) stays sandboxed.
WORKFLOW_HELPERS = (
    "workflows.activity_options",
    "workflows.approval_book",
    "workflows.budget_check",
    "workflows.child_progress",
    "workflows.details",
    "workflows.failures",
    "workflows.gate",
    "workflows.handoff",
    "workflows.ledger",
    "workflows.model_calls",
    "workflows.output_contract",
    "workflows.pipeline_board",
    "workflows.pipeline_children",
    "workflows.pipeline_details",
    "workflows.pipeline_inputs",
    "workflows.pipeline_rollback",
    "workflows.pipeline_step_inputs",
    "workflows.pipeline_steps",
    "workflows.publishing",
    "workflows.queue_book",
    "workflows.queue_slot",
    "workflows.references",
    "workflows.run_controls",
    "workflows.run_holds",
    "workflows.run_log",
    "workflows.run_metrics",
    "workflows.saga",
    "workflows.state_machine",
    "workflows.step_book",
)
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "contracts", "activities", "jsonschema", *WORKFLOW_HELPERS
    )
)
GRACEFUL_SHUTDOWN = timedelta(seconds=15)


def build_worker(
    client: Client,
    task_queue: str,
    config: WorkerConfig | None = None,
    models: ModelActivities | None = None,
) -> Worker:
    """The worker of the run's own task queue: workflows, tools and model calls."""
    config = config or WorkerConfig()
    models = models or ModelActivities(BreakerBoard(config.breaker.settings()))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AgentRunWorkflow, KillSwitchWorkflow, RunQueueWorkflow, PipelineWorkflow],
        activities=all_activities(models),
        workflow_runner=SANDBOX,
        max_concurrent_activities=config.max_concurrent_activities,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


def build_pool_worker(client: Client, pool: ModelPool, models: ModelActivities) -> Worker:
    """A worker serving only model calls on a pool's task queue, with its limits."""
    return Worker(
        client,
        task_queue=pool.task_queue,
        activities=[models.complete],
        max_concurrent_activities=pool.max_concurrent,
        max_task_queue_activities_per_second=pool.calls_per_second,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


def build_workers(client: Client, task_queue: str, config: WorkerConfig) -> list[Worker]:
    # One set of providers and breakers for the process: a pool and the main queue
    # calling the same endpoint see the same circuit.
    models = ModelActivities(BreakerBoard(config.breaker.settings()))
    return [
        build_worker(client, task_queue, config, models),
        *(build_pool_worker(client, pool, models) for pool in config.model_pools),
    ]


async def run_until_signalled(workers: list[Worker]) -> None:
    """Run until SIGTERM or SIGINT, then let in-flight activities finish (up to a limit)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as running:
        for worker in workers:
            await running.enter_async_context(worker)
            log.info("worker started on task queue %s", worker.task_queue)
        await stop.wait()
        log.info("shutting down: finishing in-flight activities")
    log.info("worker stopped")
