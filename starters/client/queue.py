"""Client-side access to the run queue: look, reprioritize, set limits, and decide whether a
new run must join. Errors become OverseerError."""

import os
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from contracts.errors import OverseerError
from contracts.queue import (
    DEFAULT_QUEUE_ID,
    LIMITS_MEMO,
    RUN_QUEUE_WORKFLOW,
    LimitsChange,
    QueuedRun,
    QueueLimits,
    QueueSpec,
    QueueState,
    QueueView,
    Reprioritize,
    SlotRelease,
)
from contracts.spec import RunSpec

QUEUE_ENV = "OVERSEER_RUN_QUEUE"
QUERY_TIMEOUT = timedelta(seconds=10)
LISTING_TIMEOUT = timedelta(seconds=3)


def queue_id() -> str:
    """The queue runs join and operators manage (OVERSEER_RUN_QUEUE, or the default)."""
    return os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE_ID


def queue_for_run(
    agent: str,
    queue: str,
    max_concurrent_runs: int | None,
    priority: int | None,
    limits: QueueLimits | None,
) -> QueueSpec | None:
    """How a new run joins the queue, or None when no limit or priority applies to it.

    A run joins when its agent file sets a limit, when it is given a priority, or when the
    queue has an operator limit that covers it (overall, or for its agent). Other runs start
    at once and never touch the queue; so an overall limit counts only runs that joined.
    """
    covered = limits is not None and (limits.overall is not None or agent in limits.per_agent)
    if max_concurrent_runs is None and priority is None and not covered:
        return None
    spec = QueueSpec(queue_id=queue, max_concurrent_runs=max_concurrent_runs)
    return spec if priority is None else spec.model_copy(update={"priority": priority})


async def joining_queue(
    client: Client, spec: RunSpec, max_concurrent_runs: int | None, priority: int | None
) -> RunSpec:
    """The spec of a new run, with `queue` set if it must wait for a slot (see queue_for_run)."""
    queue = queue_id()
    limits = await QueueClient(client, queue).published_limits()
    joining = queue_for_run(spec.agent, queue, max_concurrent_runs, priority, limits)
    return spec if joining is None else spec.model_copy(update={"queue": joining})


def _refusal(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, FailureError) else str(error)


async def queue_positions(client: Client, run_ids: list[str]) -> dict[str, int]:
    """Queue position of each of these runs that waits in the run queue. Best effort: a
    listing must not fail or hang because the queue is missing or its worker is down."""
    if not run_ids:
        return {}
    handle = client.get_workflow_handle(queue_id())
    try:
        view: QueueView = await handle.query(
            "queue", result_type=QueueView, rpc_timeout=LISTING_TIMEOUT
        )
    except RPCError:
        return {}
    wanted = set(run_ids)
    return {r.ticket.run_id: r.position for r in view.waiting if r.ticket.run_id in wanted}


class QueueClient:
    """One run queue, as the CLI sees it."""

    def __init__(self, client: Client, queue: str) -> None:
        self.queue_id = queue
        self._client = client
        self._handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(queue)

    async def view(self) -> QueueView:
        try:
            view: QueueView = await self._handle.query(
                "queue", result_type=QueueView, rpc_timeout=QUERY_TIMEOUT
            )
            return view
        except RPCError as error:
            raise self._problem(error) from None

    async def published_limits(self) -> QueueLimits | None:
        """The queue's limits as its memo says (no worker needed); None if no queue runs."""
        try:
            description = await self._handle.describe(rpc_timeout=QUERY_TIMEOUT)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise self._problem(error) from None
        if description.close_time is not None:
            return None
        memo = await description.memo()
        raw = memo.get(LIMITS_MEMO)
        return QueueLimits.model_validate(raw) if raw is not None else None

    async def reprioritize(self, change: Reprioritize) -> QueuedRun:
        try:
            queued: QueuedRun = await self._handle.execute_update(
                "reprioritize", change, result_type=QueuedRun, rpc_timeout=QUERY_TIMEOUT
            )
            return queued
        except WorkflowUpdateFailedError as error:
            raise OverseerError(f"reprioritize refused: {_refusal(error)}") from None
        except RPCError as error:
            raise self._problem(error) from None

    async def release(self, run_id: str) -> None:
        """Free a run's slot or place by hand: for a run that ended without telling the
        queue (terminated with `temporal workflow terminate`)."""
        view = await self.view()
        if not any(t.run_id == run_id for t in [*view.holders, *(r.ticket for r in view.waiting)]):
            raise OverseerError(f"run {run_id} holds no slot and is not waiting in {self.queue_id}")
        try:
            await self._handle.signal("release", SlotRelease(run_id=run_id))
        except RPCError as error:
            raise self._problem(error) from None

    async def set_limits(self, change: LimitsChange, task_queue: str) -> QueueLimits:
        """Change limits; starts the queue (on the workers' task queue) if none runs yet."""
        try:
            handle = await self._client.start_workflow(
                RUN_QUEUE_WORKFLOW,
                QueueState(),
                id=self.queue_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary="Overseer run queue: limits on concurrently active runs",
            )
            limits: QueueLimits = await handle.execute_update(
                "set_limits", change, result_type=QueueLimits, rpc_timeout=QUERY_TIMEOUT
            )
            return limits
        except WorkflowUpdateFailedError as error:
            raise OverseerError(f"set limits refused: {_refusal(error)}") from None
        except RPCError as error:
            raise self._problem(error) from None

    def _problem(self, error: RPCError) -> OverseerError:
        if error.status == RPCStatusCode.NOT_FOUND:
            return OverseerError(f"no run queue {self.queue_id!r}: no run has joined it yet")
        if error.status == RPCStatusCode.DEADLINE_EXCEEDED:
            return OverseerError(
                f"run queue {self.queue_id} did not answer in time: is `overseer worker` running?"
            )
        return OverseerError(f"run queue {self.queue_id}: {error.message}")
