"""Schedules on the real dev server: create, trigger, the previous run's answer in the goal,
overlap skip while a run waits for approval, pause after 3 unsuccessful runs, backfill, and
the CLI around them (`overseer schedule ...`, `overseer ls --schedule`)."""

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.errors import OverseerError
from contracts.events import EventKind
from contracts.states import RunState
from starters.client.schedules import (
    backfill_schedule,
    create_schedule,
    delete_schedule,
    describe_schedule,
    schedule_runs,
    trigger_schedule,
)
from starters.files.schedule_file import definition, load_schedule_file
from tests.helpers import events, snapshot, wait_for_state
from tests.test_readme_operator_cli import overseer

T = TypeVar("T")
ANSWERING = """\
name: reporter
workspace: ws
tools: [list_files, write_file]
model:
  provider: scripted
  script:
    - say: "Done: {goal}"
policy: {version: sched-1}
"""
WRITING = """\
name: writer
workspace: ws
tools: [write_file]
model:
  provider: scripted
  script:
    - say: Writing.
      tool_calls: [{tool: write_file, args: {path: out.txt, content: hi}}]
    - say: Done.
"""
FAILING = """\
name: looper
workspace: ws
tools: [list_files]
model:
  provider: scripted
  script:
    - say: Looking.
      tool_calls: [{tool: list_files, args: {path: "."}}]
    - say: Done.
policy: {on_budget_exhausted: fail}
budget: {max_steps: 1}
"""


def _agent(tmp_path: Path, text: str, name: str) -> Path:
    (tmp_path / "ws").mkdir(exist_ok=True)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


async def _eventually(read: Callable[[], Awaitable[T]], holds: Callable[[T], bool]) -> T:
    """`read()` once `holds` is true of it, within 30 s. Visibility has no push: each read is
    a round trip, and the deadline bounds the wait."""
    async with asyncio.timeout(30):
        while not holds(value := await read()):
            continue
    return value


async def _closed_runs(client: Client, name: str, count: int) -> list[Any]:
    """The schedule's runs that have ended (with an outcome), once there are `count`, after
    the newest has closed (its end, pausing included, is done)."""
    runs = await _eventually(
        lambda: schedule_runs(client, name),
        lambda runs: len([r for r in runs if r.outcome]) >= count,
    )
    done = [run for run in runs if run.outcome]
    with contextlib.suppress(WorkflowFailureError):
        await _handle(client, done[0]).result()
    return done


def _handle(client: Client, run: Any) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(run.run_id, run_id=run.execution_id)


async def _runs(client: Client, name: str, count: int) -> list[Any]:
    return await _eventually(lambda: schedule_runs(client, name), lambda runs: len(runs) >= count)


async def test_a_scheduled_run_fills_its_goal_from_the_previous_run(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = _agent(tmp_path, ANSWERING, "reporter")
    made = definition(
        name="chain",
        agent=str(agent),
        goal="at {scheduled_time}, after [{previous.final_answer}] ({previous.state})",
        every="1d",
    )
    await create_schedule(client, made, "rita", worker.task_queue)
    try:
        await trigger_schedule(client, "chain")
        [first] = await _closed_runs(client, "chain", 1)
        assert first.run_id.startswith("chain-") and first.outcome == "ok"
        handle = _handle(client, first)
        goal = (await snapshot(handle)).goal
        assert goal.startswith(f"at {datetime.now(UTC):%Y-%m-%d}T")
        assert goal.endswith("after [] (none)")

        await trigger_schedule(client, "chain")
        runs = await _closed_runs(client, "chain", 2)
        second = next(run for run in runs if run.execution_id != first.execution_id)
        goal = (await snapshot(_handle(client, second))).goal
        assert f"after [Done: at {datetime.now(UTC):%Y-%m-%d}" in goal
        assert goal.endswith("(completed)")
    finally:
        await delete_schedule(client, "chain")


async def test_overlap_skip_holds_while_a_run_waits_for_approval(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = _agent(tmp_path, WRITING, "writer")
    made = definition(name="nightly", agent=str(agent), goal="write", every="1d")
    await create_schedule(client, made, "rita", worker.task_queue)
    try:
        await trigger_schedule(client, "nightly")
        [run] = await _runs(client, "nightly", 1)
        await wait_for_state(_handle(client, run), RunState.WAITING_FOR_APPROVAL)
        await trigger_schedule(client, "nightly")  # skipped: the first still waits

        view = await _eventually(
            lambda: describe_schedule(client, "nightly"), lambda view: view.skipped_overlap >= 1
        )
        assert [r.run_id for r in view.runs] == [run.run_id]
        assert view.waiting == 1
    finally:
        await delete_schedule(client, "nightly")


async def test_a_schedule_pauses_itself_after_three_unsuccessful_runs(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = _agent(tmp_path, FAILING, "looper")
    made = definition(
        name="flaky", agent=str(agent), goal="loop", every="1d", pause_after_failures=3
    )
    await create_schedule(client, made, "rita", worker.task_queue)
    try:
        for count in (1, 2, 3):
            await trigger_schedule(client, "flaky")
            done = await _closed_runs(client, "flaky", count)
            assert {run.outcome for run in done} == {"budget_exhausted"}
            view = await describe_schedule(client, "flaky")
            assert view.paused is (count == 3), view.note
        assert "paused after 3 unsuccessful runs in a row" in view.note
        last = done[0]
        paused = [
            e for e in await events(_handle(client, last)) if e.kind is EventKind.SCHEDULE_PAUSED
        ]
        assert paused and "budget_exhausted, budget_exhausted, budget_exhausted" in paused[0].detail
        status = (await _handle(client, last).describe()).status
        assert status is WorkflowExecutionStatus.FAILED
    finally:
        await delete_schedule(client, "flaky")


async def test_backfill_runs_the_missed_times(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = _agent(tmp_path, ANSWERING, "reporter")
    made = definition(
        name="hourly",
        agent=str(agent),
        goal="hour {scheduled_time}",
        every="1h",
        overlap="allow_all",
    )
    await create_schedule(client, made, "rita", worker.task_queue)
    try:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        await backfill_schedule(client, "hourly", end - timedelta(hours=3), end, None)
        runs = await _closed_runs(client, "hourly", 3)
        goals = {(await snapshot(_handle(client, run))).goal for run in runs}
        # The firings in the window (its ends included or not, as the server counts them),
        # each run's goal filled with its own scheduled time: never now's.
        window = {f"hour {end - timedelta(hours=h):%Y-%m-%dT%H:00:00Z}" for h in range(4)}
        assert len(goals) >= 3 and goals <= window, (goals, window)
    finally:
        await delete_schedule(client, "hourly")


def test_bad_schedule_definitions_are_refused_in_one_line(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"every": "1h", "cron": "* * * * *"}, "exactly one of cron and every"),
        ({"every": "soon"}, "not a duration"),
        ({"every": "1h", "timezone": "Mars/Olympus"}, "not a time zone"),
        ({"every": "1h", "goal": "x {previous.secret}"}, "unknown placeholder {previous.secret}"),
        ({"every": "1h", "name": "a b"}, "name"),
        ({"every": "1h", "pause_after_failures": 0}, "pause_after_failures"),
    ]
    for fields, expected in cases:
        with pytest.raises(OverseerError) as refused:
            definition(**{"name": "s", "agent": "a.yaml", "goal": "g", **fields})
        assert expected in str(refused.value) and "\n" not in str(refused.value)
    file = tmp_path / "schedules.yaml"
    file.write_text("schedules:\n  - {name: a, agent: x.yaml, goal: g, every: 1h}\n" * 1)
    assert load_schedule_file(file)[0].agent == str(tmp_path / "x.yaml")
    file.write_text(
        "schedules:\n  - {name: a, agent: x.yaml, goal: g, every: 1h}\n"
        "  - {name: a, agent: y.yaml, goal: g, every: 2h}\n"
    )
    with pytest.raises(OverseerError, match="defined twice"):
        load_schedule_file(file)


async def test_the_schedule_commands(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = _agent(tmp_path, ANSWERING, "reporter")
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    schedules = tmp_path / "schedules.yaml"
    schedules.write_text(
        "schedules:\n"
        "  - name: weekday-report\n"
        "    agent: reporter.yaml\n"
        "    goal: Summarize the week\n"
        '    cron: "0 7 * * 1-5"\n'
        "    timezone: Europe/Berlin\n"
        "    pause_after_failures: 3\n"
    )
    try:
        code, out, err = await overseer(cli, ["overseer", "schedule", "apply", str(schedules)])
        assert code == 0, err
        assert "created schedule weekday-report: cron 0 7 * * 1-5 (Europe/Berlin)" in out
        code, out, err = await overseer(
            cli,
            [
                "overseer",
                "schedule",
                "create",
                "weekday-report",
                str(agent),
                "--goal",
                "x",
                "--every",
                "1h",
            ],
        )
        assert code != 0 and "exists" in err and err.count("\n") == 1
        code, out, _ = await overseer(
            cli, ["overseer", "schedule", "update", "weekday-report", "--every", "2h"]
        )
        assert code == 0 and "every 2h" in out
        code, out, _ = await overseer(
            cli, ["overseer", "schedule", "pause", "weekday-report", "--reason", "holidays"]
        )
        assert code == 0
        code, out, _ = await overseer(cli, ["overseer", "schedule", "ls"])
        assert "weekday-report" in out and "holidays" in out and "every 2h" in out
        code, out, _ = await overseer(
            cli, ["overseer", "schedule", "unpause", "weekday-report", "--reason", "back"]
        )
        assert code == 0
        code, out, _ = await overseer(cli, ["overseer", "schedule", "trigger", "weekday-report"])
        assert code == 0
        [run] = await _closed_runs(client, "weekday-report", 1)
        code, out, _ = await overseer(cli, ["overseer", "ls", "--schedule", "weekday-report"])
        assert run.run_id in out
        code, out, _ = await overseer(cli, ["overseer", "schedule", "describe", "weekday-report"])
        assert "pauses itself after 3 unsuccessful runs" in out and run.run_id in out
        assert "(ok)" in out and "0 waiting for approval" in out
        code, out, err = await overseer(cli, ["overseer", "schedule", "describe", "nope"])
        assert code != 0 and "no schedule 'nope'" in err
        code, out, err = await overseer(
            cli,
            [
                "overseer",
                "schedule",
                "create",
                "badcron",
                str(agent),
                "--goal",
                "x",
                "--cron",
                "not a cron",
            ],
        )
        assert code != 0 and err.count("\n") == 1 and "badcron" in err
    finally:
        code, _, _ = await overseer(cli, ["overseer", "schedule", "delete", "weekday-report"])
        assert code == 0
