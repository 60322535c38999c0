"""What a scheduled run asks of its schedule: the previous run's result (for the goal), and,
at its end, whether the schedule has failed often enough in a row to pause itself.

Both read Temporal's visibility (the runs carry OverseerSchedule and OverseerOutcome), so
nothing is kept beside Temporal.
"""

from temporalio import activity
from temporalio.client import Client, WorkflowExecution, WorkflowFailureError
from temporalio.service import RPCError

from contracts import WORKFLOW_NAME
from contracts import search_attributes as sa
from contracts.schedules import UNSUCCESSFUL, FailureCheck, FailureVerdict, PreviousRun
from contracts.snapshot import RunResult

# Closed runs looked at, newest first: far more than any pause_after_failures.
RECENT_RUNS = 200


def _closed_runs_query(schedule_id: str) -> str:
    name = '"' + schedule_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (
        f'WorkflowType = "{WORKFLOW_NAME}" AND {sa.SCHEDULE.name} = {name} '
        # Ended runs only: not the one asking (running), nor a run's earlier segments.
        'AND ExecutionStatus != "Running" AND ExecutionStatus != "ContinuedAsNew"'
    )


async def _recent_closed(client: Client, schedule_id: str) -> list[WorkflowExecution]:
    runs = [
        execution
        async for execution in client.list_workflows(
            _closed_runs_query(schedule_id), limit=RECENT_RUNS
        )
    ]
    return sorted(runs, key=lambda e: e.close_time or e.start_time, reverse=True)


@activity.defn(name="schedules.previous_run")
async def previous_run(schedule_id: str, run_id: str) -> PreviousRun:
    """The schedule's most recently ended run other than this one, with its final answer."""
    client = activity.client()
    recent = await _recent_closed(client, schedule_id)
    if not recent:
        return PreviousRun()
    last = recent[0]
    state = last.typed_search_attributes.get(sa.RUN_STATE) or "unknown"
    answer = ""
    try:
        result = await client.get_workflow_handle(
            last.id, run_id=last.run_id, result_type=RunResult
        ).result(follow_runs=False)
        answer = result.final_answer or ""
    except (WorkflowFailureError, RPCError):
        pass  # failed or canceled: it has no final answer, its state says why
    return PreviousRun(run_id=last.id, state=state, final_answer=answer)


@activity.defn(name="schedules.pause_if_failing")
async def pause_if_failing(check: FailureCheck) -> FailureVerdict:
    """Pause the schedule when this run and the ones before it make `threshold` unsuccessful
    runs in a row. Idempotent: pausing a paused schedule changes nothing but its note."""
    client = activity.client()
    streak: list[str] = [check.outcome]
    if check.outcome in UNSUCCESSFUL:
        for execution in await _recent_closed(client, check.schedule_id):
            if len(streak) >= check.threshold:
                break
            outcome = execution.typed_search_attributes.get(sa.OUTCOME) or "unknown"
            streak.append(outcome)
            if outcome not in UNSUCCESSFUL:
                break
    failing = len(streak) >= check.threshold and all(o in UNSUCCESSFUL for o in streak)
    if not failing:
        return FailureVerdict(paused=False, streak=streak)
    note = (
        f"paused after {check.threshold} unsuccessful runs in a row "
        f"({', '.join(streak)}; last: {check.run_id}); unpause with "
        f"`overseer schedule unpause {check.schedule_id} --reason ...`"
    )
    await client.get_schedule_handle(check.schedule_id).pause(note=note)
    activity.logger.warning("schedule %s %s", check.schedule_id, note)
    return FailureVerdict(paused=True, streak=streak, note=note)
