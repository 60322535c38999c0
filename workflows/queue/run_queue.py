"""RunQueueWorkflow: the durable semaphore that limits how many runs are active at once.

One long-lived workflow per queue (id `overseer-run-queue` by default). Runs join it with
the `acquire` signal (sent by the `run_queue.join` activity, which starts the queue if need
be) and leave it with `release`; it tells each run when it may start (`queue_granted`) and
where it stands in line meanwhile (`queue_position`). Operators reprioritize and set limits
through validated updates, and read it with the `queue` query.
"""

import asyncio
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import FailureError

from contracts.queue import (
    LIMITS_MEMO,
    RUN_QUEUE_WORKFLOW,
    LimitsChange,
    QueuedRun,
    QueueLimits,
    QueuePosition,
    QueueState,
    QueueTicket,
    QueueView,
    Reprioritize,
    SlotGranted,
    SlotRelease,
)
from workflows.common.bodies import parse_update_body
from workflows.queue.book import QueueBook


@workflow.defn(name=RUN_QUEUE_WORKFLOW)
class RunQueueWorkflow:
    @workflow.init
    def __init__(self, state: QueueState) -> None:
        self._book = QueueBook(state)
        # A new segment may carry waiting runs that fit now: look at once.
        self._changed = True
        self._published_limits: QueueLimits | None = None

    @workflow.run
    async def run(self, state: QueueState) -> None:
        while not self._time_to_continue_as_new():
            await workflow.wait_condition(lambda: self._changed or self._time_to_continue_as_new())
            while self._changed:
                self._changed = False
                self._publish_limits()
                await self._send_news()
        await workflow.wait_condition(workflow.all_handlers_finished)
        # Whatever changed since the last news is in the state: the next segment sends it.
        workflow.continue_as_new(self._book.state)

    def _time_to_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._book.state.events_per_segment
        )

    async def _send_news(self) -> None:
        granted = self._book.grant()
        moved = self._book.moved()
        granted_body = SlotGranted(queue_id=self._id)
        await asyncio.gather(
            *(self._tell(ticket.run_id, "queue_granted", granted_body) for ticket in granted),
            *(self._tell(run.ticket.run_id, "queue_position", _place(run)) for run in moved),
        )

    async def _tell(self, run_id: str, signal: str, body: BaseModel) -> None:
        try:
            await workflow.get_external_workflow_handle(run_id).signal(signal, body)
        except FailureError as error:
            # The run is gone (ended, terminated, never existed): its place is free.
            workflow.logger.warning("run %s left the queue: %s", run_id, error)
            self._book.release(run_id)
            self._changed = True

    def _publish_limits(self) -> None:
        limits = self._book.state.limits
        if limits != self._published_limits:
            workflow.upsert_memo({LIMITS_MEMO: limits.model_dump(mode="json")})
            self._published_limits = limits.model_copy(deep=True)

    @property
    def _id(self) -> str:
        return workflow.info().workflow_id

    # -- runs -------------------------------------------------------------------------------

    @workflow.signal(name="acquire")
    def acquire(self, ticket: QueueTicket) -> None:
        self._book.acquire(ticket)
        self._changed = True

    @workflow.signal(name="release")
    def release(self, release: SlotRelease) -> None:
        self._book.release(release.run_id)
        self._changed = True

    # -- operators --------------------------------------------------------------------------

    @workflow.update(name="reprioritize")
    def reprioritize(self, body: Any) -> QueuedRun:
        queued = self._book.reprioritize(parse_update_body(Reprioritize, body))
        self._changed = True
        return queued

    @reprioritize.validator
    def _validate_reprioritize(self, body: Any) -> None:
        self._book.check_reprioritize(parse_update_body(Reprioritize, body))

    @workflow.update(name="set_limits")
    def set_limits(self, body: Any) -> QueueLimits:
        self._book.set_limits(parse_update_body(LimitsChange, body))
        self._changed = True
        return self._book.state.limits

    @set_limits.validator
    def _validate_set_limits(self, body: Any) -> None:
        change = parse_update_body(LimitsChange, body)
        if change.overall is None and not change.per_agent:
            raise ValueError("nothing to change: give an overall limit or per-agent limits")

    @workflow.query(name="queue")
    def queue(self) -> QueueView:
        return self._book.view()


def _place(run: QueuedRun) -> QueuePosition:
    return QueuePosition(position=run.position)
