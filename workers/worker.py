"""The Overseer worker: runs AgentRunWorkflow and its activities on one task queue."""

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import all_activities
from workflows.agent_run import AgentRunWorkflow

log = logging.getLogger("overseer.worker")

# Contracts are pure pydantic models and activities are only read for declarations:
# passing them through saves re-importing them for every workflow run.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("contracts", "activities")
)
GRACEFUL_SHUTDOWN = timedelta(seconds=15)


def build_worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AgentRunWorkflow],
        activities=all_activities(),
        workflow_runner=SANDBOX,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def run_until_signalled(worker: Worker) -> None:
    """Run until SIGTERM or SIGINT, then let in-flight activities finish (up to a limit)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        log.info("worker started", extra={"task_queue": worker.task_queue})
        await stop.wait()
        log.info("shutting down: finishing in-flight activities")
    log.info("worker stopped")
