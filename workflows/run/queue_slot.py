"""A run's place in the run queue: join it before the run starts, wait in `created` until
the queue grants a slot, give the slot back when the run ends. A part of AgentRun (engine.py).

Only a run whose RunSpec has `queue` set takes part; any other run issues no command here,
so runs without a queue (and their saved histories) are exactly as before.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError, FailureError

from contracts.queue import JoinQueue, QueuePosition, QueueTicket, SlotGranted, SlotRelease
from workflows.run.parts import RunParts

with workflow.unsafe.imports_passed_through():
    from activities.run_queue import JOIN_ACTIVITY

JOIN_TIMEOUT = timedelta(seconds=30)


class QueueSlot(RunParts):
    # Class-level defaults (immutable), so the workflow's __init__ needs no extra line.
    _queue_position: int | None = None
    _slot_granted: bool = False

    # Provided by the run (engine.py).
    def _publish(self) -> None:
        raise NotImplementedError

    async def _wait_for_slot(self) -> None:
        """Join the queue and wait, in `created`, until it grants this run a slot."""
        queue = self._spec.queue
        if queue is None:
            return
        run_id = workflow.info().workflow_id
        ticket = QueueTicket(
            run_id=run_id,
            agent=self._spec.agent,
            priority=queue.priority,
            agent_limit=queue.max_concurrent_runs,
        )
        try:
            await workflow.execute_activity(
                JOIN_ACTIVITY,
                JoinQueue(queue_id=queue.queue_id, ticket=ticket),
                summary=f"join queue {queue.queue_id} (priority {queue.priority})",
                start_to_close_timeout=JOIN_TIMEOUT,
                # Retried until it gets through: a run cannot start without its slot.
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
            )
        except ActivityError as error:
            # Canceled while joining: end as a cancel (the run's cancel path), not a failure.
            if isinstance(error.cause, CancelledError):
                raise asyncio.CancelledError from None
            raise
        await workflow.wait_condition(lambda: self._slot_granted)

    async def _release_slot(self) -> None:
        """Give the slot (or the place in line) back once the run has ended.

        A run that continues as new keeps its slot: it is not ended, and its next segment
        does not join again (only a first segment joins), so the slot is carried with it.
        """
        queue = self._spec.queue
        if queue is None or not self._ledger.state.is_terminal:
            return
        release = SlotRelease(run_id=workflow.info().workflow_id)
        try:
            await workflow.get_external_workflow_handle(queue.queue_id).signal("release", release)
        except FailureError as error:
            # No queue to give it back to (terminated by an operator): nothing is held.
            workflow.logger.warning("could not release slot in %s: %s", queue.queue_id, error)

    def queue_granted(self, granted: SlotGranted) -> None:
        self._slot_granted = True
        self._queue_position = None
        self._publish()

    def queue_position(self, position: QueuePosition) -> None:
        if not self._slot_granted:
            self._queue_position = position.position
            self._publish()
