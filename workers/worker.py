"""The Overseer worker: runs AgentRunWorkflow, PipelineWorkflow, the run queue, the kill
switches and their activities on one task queue; model calls and tools routed to a pool run
on that pool's own task queue."""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities import all_activities
from activities.llm import ModelActivities
from activities.mcp.call import call_mcp_tool
from activities.notifications import notify_approval
from activities.providers.breaker import BreakerBoard
from activities.tools.activity import tool_activities
from activities.tools.registry import TOOLS, load_installed_tools
from contracts.errors import OverseerError
from workers.config import ModelPool, ToolPool, WorkerConfig
from workers.heap import settle_heap
from workers.sandbox import SANDBOX, WORKFLOW_CLASSES
from workers.versioning import deployment_config

log = logging.getLogger("overseer.worker")

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
    load_tools(config)  # the user's tools, before their activities are built
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOW_CLASSES),
        # Pooled tools are not registered here: only their pool's workers can run them.
        activities=[*all_activities(models, config.tool_routes()), notify_approval],
        workflow_runner=SANDBOX,
        max_concurrent_activities=config.max_concurrent_activities,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        deployment_config=deployment_config(config.versioning),
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


def build_tool_pool_worker(client: Client, pool: ToolPool, config: WorkerConfig) -> Worker:
    """A worker serving only a tool pool's tools (and their compensations) on its queue: the
    tools it names, the MCP call activity for its servers, every tool for its agents."""
    load_tools(config)
    everything = bool(pool.agents)
    mcp = [call_mcp_tool] if pool.mcp_servers or everything else []
    return Worker(
        client,
        task_queue=pool.task_queue,
        activities=[*tool_activities(lambda name: everything or name in pool.tools), *mcp],
        max_concurrent_activities=pool.max_concurrent,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


def load_tools(config: WorkerConfig) -> None:
    """Load the user's tools; a pool naming a tool no package declares stops the worker."""
    known = load_installed_tools(config.tools)
    for pool in config.tool_pools:
        if unknown := [tool for tool in pool.tools if tool not in TOOLS]:
            raise OverseerError(
                f"tool_pools: {pool.task_queue}: no tool {unknown[0]!r} "
                f"(known tools: {', '.join(known)})"
            )


def build_workers(client: Client, task_queue: str, config: WorkerConfig) -> list[Worker]:
    # One set of providers and breakers for the process: a pool and the main queue
    # calling the same endpoint see the same circuit.
    models = ModelActivities(BreakerBoard(config.breaker.settings()))
    main = [build_worker(client, task_queue, config, models)] if config.serve == "all" else []
    return [
        *main,
        *(build_pool_worker(client, pool, models) for pool in config.model_pools),
        *(build_tool_pool_worker(client, pool, config) for pool in config.tool_pools),
    ]


async def run_until_signalled(workers: list[Worker]) -> None:
    """Run until SIGTERM or SIGINT, then let in-flight activities finish (up to a limit)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Before any worker polls: no run's objects are in the heap yet to be frozen with it.
    settle_heap()
    async with contextlib.AsyncExitStack() as running:
        for worker in workers:
            await running.enter_async_context(worker)
            log.info("worker started on task queue %s%s", worker.task_queue, _version(worker))
        await stop.wait()
        log.info("shutting down: finishing in-flight activities")
    log.info("worker stopped")


def _version(worker: Worker) -> str:
    deployment = worker.config().get("deployment_config")
    return f" as version {deployment.version.to_canonical_string()}" if deployment else ""
