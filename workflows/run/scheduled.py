"""A run a schedule started: its goal filled in at the start (the schedule's time, the
previous run's result), and at its end how it counts toward pausing the schedule. A part of
AgentRun (engine.py); a run without `spec.schedule` does nothing here and adds no history.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.common import RetryPolicy

from contracts import search_attributes as sa
from contracts.events import EventKind
from contracts.schedules import (
    UNSUCCESSFUL,
    FailureCheck,
    FailureVerdict,
    PreviousRun,
    filled_goal,
)
from contracts.snapshot import RunResult, RunSnapshot
from workflows.run.parts import RunParts

with workflow.unsafe.imports_passed_through():
    from activities.schedules import pause_if_failing, previous_run

SYSTEM = "system"
# Visibility reads: quick, retried a few times; a schedule never waits long on them.
READ_TIMEOUT = timedelta(seconds=30)
READ_RETRIES = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=10))


class ScheduledRuns(RunParts):
    if TYPE_CHECKING:  # provided by AgentRun (engine.py)

        @property
        def _run_id(self) -> str: ...

        def snapshot(self) -> RunSnapshot: ...

    async def _fill_scheduled_goal(self) -> None:
        """Fill the goal's placeholders once, at the run's start (not on later segments)."""
        scheduled = self._spec.schedule
        if scheduled is None or self._spec.carried is not None:
            return
        at = workflow.info().typed_search_attributes.get(sa.SCHEDULED_START_TIME)
        previous = PreviousRun()
        if scheduled.reads_previous:
            previous = await workflow.execute_activity(
                previous_run,
                args=[scheduled.schedule_id, workflow.info().workflow_id],
                start_to_close_timeout=READ_TIMEOUT,
                retry_policy=READ_RETRIES,
                summary=f"read the last run of schedule {scheduled.schedule_id}",
            )
        goal = filled_goal(scheduled.goal_template, at or workflow.now(), previous)
        self._spec = self._spec.model_copy(update={"goal": goal})

    async def _tell_schedule(self, result: RunResult) -> None:
        """Record how the run ended for its schedule (OverseerOutcome), and pause the
        schedule if this makes too many unsuccessful runs in a row."""
        scheduled = self._spec.schedule
        if scheduled is None:
            return
        # OverseerOutcome is set with the run's last state (workflows.run.publishing).
        outcome = self.snapshot().outcome or "ok"
        threshold = scheduled.pause_after_failures
        if threshold is None or outcome not in UNSUCCESSFUL:
            return
        verdict: FailureVerdict = await workflow.execute_activity(
            pause_if_failing,
            FailureCheck(
                schedule_id=scheduled.schedule_id,
                run_id=workflow.info().workflow_id,
                outcome=outcome,
                threshold=threshold,
            ),
            start_to_close_timeout=READ_TIMEOUT,
            retry_policy=READ_RETRIES,
            summary=f"pause schedule {scheduled.schedule_id} if it keeps failing",
        )
        if verdict.paused:
            detail = f"schedule {scheduled.schedule_id} {verdict.note}"
            self._note(EventKind.SCHEDULE_PAUSED, SYSTEM, detail)
