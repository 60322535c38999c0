"""Recurring runs on Temporal Schedules: create, update, describe, list, pause, trigger,
backfill, delete. Each scheduled run is an ordinary supervised run of its agent; its run id
is the schedule's name plus the scheduled time, and it carries OverseerSchedule.

The schedule's memo says what it runs (agent, goal, policy, timing) for the Web UI's
Schedules page, and keeps the definition so `update` can change one option at a time.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from contracts import WORKFLOW_NAME
from contracts import search_attributes as sa
from contracts.errors import OverseerError, one_line
from contracts.schedules import ScheduledRun
from contracts.states import RunState
from starters.client.listing import quoted
from starters.client.queue import joining_queue
from starters.files.agent_file import load_agent_file, run_spec
from starters.files.schedule_file import ScheduleDefinition, duration
from starters.files.size import check_size

MEMO_KEY = "overseer"
OVERLAP = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer_one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer_all": ScheduleOverlapPolicy.BUFFER_ALL,
    "cancel_other": ScheduleOverlapPolicy.CANCEL_OTHER,
    "terminate_other": ScheduleOverlapPolicy.TERMINATE_OTHER,
    "allow_all": ScheduleOverlapPolicy.ALLOW_ALL,
}
RECENT_RUNS = 10


async def _schedule(
    client: Client, definition: ScheduleDefinition, requester: str, task_queue: str
) -> tuple[Schedule, dict[str, Any]]:
    """The Temporal schedule for a definition, and its memo; the agent file is read now."""
    agent, workspace = load_agent_file(Path(definition.agent))
    requester = definition.requester or requester
    spec = run_spec(agent, workspace, goal=definition.goal, requester=requester, trace_id="")
    spec = spec.model_copy(
        update={
            "schedule": ScheduledRun(
                schedule_id=definition.name,
                goal_template=definition.goal,
                pause_after_failures=definition.pause_after_failures,
            )
        }
    )
    spec = await joining_queue(client, spec, agent.max_concurrent_runs, None)
    check_size(spec, definition.agent, "run spec")
    action = ScheduleActionStartWorkflow(
        WORKFLOW_NAME,
        spec,
        id=definition.name,  # Temporal appends the scheduled time: one run id per firing
        task_queue=task_queue,
        typed_search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.RUN_STATE, RunState.CREATED.value),
                SearchAttributePair(sa.PENDING_APPROVAL, False),
                SearchAttributePair(sa.AGENT, spec.agent),
                SearchAttributePair(sa.REQUESTER, requester),
                SearchAttributePair(sa.SCHEDULE, definition.name),
            ]
        ),
        static_summary=f"{spec.agent} (schedule {definition.name}): {definition.goal}"[:200],
        static_details=(
            f"**Schedule** {definition.name} · {definition.timing} · **agent** {spec.agent} · "
            f"**policy** {spec.policy.version} · **requester** {requester}\n\n"
            f"**Goal** {definition.goal}"
        ),
    )
    timing = ScheduleSpec(
        cron_expressions=[definition.cron] if definition.cron else [],
        intervals=[ScheduleIntervalSpec(every=duration(definition.every))]
        if definition.every
        else [],
        jitter=duration(definition.jitter) if definition.jitter else None,
        time_zone_name=definition.timezone,
    )
    policy = SchedulePolicy(
        overlap=OVERLAP[definition.overlap],
        catchup_window=duration(definition.catchup) if definition.catchup else None,
    )
    memo = {
        MEMO_KEY: {
            "agent": spec.agent,
            "goal": definition.goal,
            "policy": spec.policy.version,
            "requester": requester,
            "timing": definition.timing,
            "overlap": definition.overlap,
            "pause_after_failures": definition.pause_after_failures,
            "definition": definition.model_dump(mode="json", exclude_none=True),
        }
    }
    return Schedule(action=action, spec=timing, policy=policy), memo


def _problem(name: str, error: RPCError) -> OverseerError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return OverseerError(f"no schedule {name!r} (see: overseer schedule ls)")
    return OverseerError(one_line(f"schedule {name}: {error.message}"))


async def create_schedule(
    client: Client, definition: ScheduleDefinition, requester: str, task_queue: str
) -> None:
    schedule, memo = await _schedule(client, definition, requester, task_queue)
    await _create(client, definition.name, schedule, memo)


async def _create(client: Client, name: str, schedule: Schedule, memo: dict[str, Any]) -> None:
    try:
        await client.create_schedule(
            name,
            schedule,
            memo=memo,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(sa.AGENT, memo[MEMO_KEY]["agent"])]
            ),
        )
    except ScheduleAlreadyRunningError:
        raise OverseerError(
            f"schedule {name!r} exists: change it with `overseer schedule update`"
        ) from None
    except RPCError as error:
        raise _problem(name, error) from None


async def stored_definition(client: Client, name: str) -> ScheduleDefinition:
    try:
        description = await client.get_schedule_handle(name).describe()
    except RPCError as error:
        raise _problem(name, error) from None
    memo = await description.memo()
    stored = memo.get(MEMO_KEY, {}).get("definition")
    if stored is None:
        raise OverseerError(f"schedule {name!r} was not made by Overseer")
    return ScheduleDefinition.model_validate(stored)


async def update_schedule(
    client: Client, definition: ScheduleDefinition, requester: str, task_queue: str
) -> None:
    """Replace the schedule's action, timing and policy; its paused state and note stay.

    A schedule's memo is set when it is created and no update changes it: when what the memo
    says changes (almost every update), the schedule is made again (its runs stay listed
    by OverseerSchedule); otherwise it is updated in place."""
    schedule, memo = await _schedule(client, definition, requester, task_queue)
    handle = client.get_schedule_handle(definition.name)
    try:
        description = await handle.describe()
        state = description.schedule.state
        schedule.state = ScheduleState(note=state.note, paused=state.paused)
        if (await description.memo()).get(MEMO_KEY) == json.loads(json.dumps(memo[MEMO_KEY])):
            await handle.update(lambda _: ScheduleUpdate(schedule))
            return
        await handle.delete()
    except RPCError as error:
        raise _problem(definition.name, error) from None
    await _create(client, definition.name, schedule, memo)


def _handle(client: Client, name: str) -> ScheduleHandle:
    return client.get_schedule_handle(name)


async def pause_schedule(client: Client, name: str, note: str) -> None:
    try:
        await _handle(client, name).pause(note=note)
    except RPCError as error:
        raise _problem(name, error) from None


async def unpause_schedule(client: Client, name: str, note: str) -> None:
    try:
        await _handle(client, name).unpause(note=note)
    except RPCError as error:
        raise _problem(name, error) from None


async def trigger_schedule(client: Client, name: str) -> None:
    """Run now, under the schedule's overlap policy (a run still waiting may skip it)."""
    try:
        await _handle(client, name).trigger()
    except RPCError as error:
        raise _problem(name, error) from None


async def backfill_schedule(
    client: Client, name: str, start: datetime, end: datetime, overlap: str | None
) -> None:
    if end <= start:
        raise OverseerError("backfill: --to must be after --from")
    backfill = ScheduleBackfill(
        start_at=start, end_at=end, overlap=OVERLAP[overlap] if overlap else None
    )
    try:
        await _handle(client, name).backfill(backfill)
    except RPCError as error:
        raise _problem(name, error) from None


async def delete_schedule(client: Client, name: str) -> None:
    try:
        await _handle(client, name).delete()
    except RPCError as error:
        raise _problem(name, error) from None


@dataclass
class ScheduledRunView:
    run_id: str
    # Temporal's id of this execution: two firings in one second share a run id.
    execution_id: str
    state: str  # Overseer's listed state
    outcome: str  # as the schedule counts it ("" while running)
    waiting_for_approval: bool
    started: datetime


@dataclass
class ScheduleView:
    name: str
    agent: str
    goal: str
    timing: str
    overlap: str
    paused: bool
    note: str
    next_times: list[datetime]
    runs: list[ScheduledRunView] = field(default_factory=list)
    skipped_overlap: int = 0
    pause_after_failures: int | None = None

    @property
    def waiting(self) -> int:
        return sum(1 for run in self.runs if run.waiting_for_approval)


async def schedule_runs(
    client: Client, name: str, limit: int | None = None
) -> list[ScheduledRunView]:
    """The schedule's runs, newest first."""
    query = (
        f'WorkflowType = "{WORKFLOW_NAME}" AND {sa.SCHEDULE.name} = {quoted(name)} '
        'AND ExecutionStatus != "ContinuedAsNew"'
    )
    runs = [
        ScheduledRunView(
            run_id=execution.id,
            execution_id=execution.run_id,
            state=execution.typed_search_attributes.get(sa.RUN_STATE) or "?",
            outcome=execution.typed_search_attributes.get(sa.OUTCOME) or "",
            waiting_for_approval=bool(execution.typed_search_attributes.get(sa.PENDING_APPROVAL)),
            started=execution.start_time,
        )
        async for execution in client.list_workflows(query, limit=limit)
    ]
    return sorted(runs, key=lambda run: run.started, reverse=True)


async def describe_schedule(client: Client, name: str) -> ScheduleView:
    try:
        description = await _handle(client, name).describe()
    except RPCError as error:
        raise _problem(name, error) from None
    memo = (await description.memo()).get(MEMO_KEY, {})
    state = description.schedule.state
    return ScheduleView(
        name=name,
        agent=memo.get("agent", "?"),
        goal=memo.get("goal", "?"),
        timing=memo.get("timing", "?"),
        overlap=memo.get("overlap", "?"),
        paused=state.paused,
        note=state.note or "",
        next_times=list(description.info.next_action_times[:5]),
        runs=await schedule_runs(client, name, limit=100),
        skipped_overlap=description.info.num_actions_skipped_overlap,
        pause_after_failures=memo.get("pause_after_failures"),
    )


async def list_schedules(client: Client) -> list[ScheduleView]:
    """Overseer's schedules (those whose memo it wrote), by name."""
    views = []
    async for listed in await client.list_schedules():
        memo = (await listed.memo()).get(MEMO_KEY)
        if memo is None:
            continue
        state = listed.schedule.state if listed.schedule else None
        views.append(
            ScheduleView(
                name=listed.id,
                agent=memo.get("agent", "?"),
                goal=memo.get("goal", "?"),
                timing=memo.get("timing", "?"),
                overlap=memo.get("overlap", "?"),
                paused=bool(state and state.paused),
                note=(state.note if state else None) or "",
                next_times=list(listed.info.next_action_times[:1]) if listed.info else [],
                pause_after_failures=memo.get("pause_after_failures"),
            )
        )
    return sorted(views, key=lambda view: view.name)
