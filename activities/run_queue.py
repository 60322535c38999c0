"""Joining the run queue. A workflow cannot signal-with-start another workflow, so a run
asks for its slot through this activity: it starts the queue if none runs, and signals it."""

from temporalio import activity

from contracts.queue import RUN_QUEUE_WORKFLOW, JoinQueue, QueueState

JOIN_ACTIVITY = "run_queue.join"


@activity.defn(name=JOIN_ACTIVITY)
async def join_run_queue(request: JoinQueue) -> None:
    """Signal-with-start: a retry re-sends `acquire`, which the queue ignores for a run it knows."""
    await activity.client().start_workflow(
        RUN_QUEUE_WORKFLOW,
        QueueState(),
        id=request.queue_id,
        # The queue lives where the runs' workers are.
        task_queue=activity.info().task_queue,
        start_signal="acquire",
        start_signal_args=[request.ticket],
        static_summary="Overseer run queue: limits on concurrently active runs",
    )
