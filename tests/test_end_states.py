"""Issue 15, items 5, 7 and 8: a run's Temporal status, a command's reply and the CLI's exit
code tell how the run ended (or what state a command left it in), never a stale story."""

import re
import subprocess
import time
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from contracts.approvals import CancelRequest
from contracts.budget import OperatorNote
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.pipeline import PipelineSpec, PipelineState, PipelineStep
from contracts.snapshot import RunResult, RunSnapshot
from contracts.spec import BudgetSpec, PolicySpec
from contracts.states import RunState
from starters.client.runs import RunClient
from tests.helpers import closed, closed_status, events, make_spec, start, wait_for_state
from tests.pipeline_helpers import pipeline_snapshot, start_pipeline, wait_for_pipeline
from tests.test_cli import agent_file, cli_env, overseer, worker_process

__all__ = ["agent_file", "cli_env", "worker_process"]  # fixtures, used by name

S = RunState
CANCELED, FAILED = WorkflowExecutionStatus.CANCELED, WorkflowExecutionStatus.FAILED


async def test_a_cancel_update_ends_canceled_in_temporal_and_replies_with_the_end(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    reply = await RunClient(client, handle.id).cancel(CancelRequest(by="carol", reason="stop"))
    assert (reply.state, reply.canceling) == (S.CANCELED, None)  # not the state before it

    status, final = await closed(handle)
    assert (status, final.state) == (CANCELED, S.CANCELED)  # the query answers a closed run
    assert (await events(handle))[-1].actor == "user:carol"


async def test_a_cancel_signal_ends_canceled_in_temporal(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    await handle.signal("cancel", {"by": "carol", "reason": "stop"})
    status, final = await closed(handle)
    assert (status, final.state) == (CANCELED, S.CANCELED)


async def test_a_failed_run_ends_failed_with_its_result_in_the_failure(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [ScriptTurn(tool_calls=[ScriptedCall(tool="list_files")])] * 3
    policy = PolicySpec(require_approval=[], on_budget_exhausted="fail")
    spec = make_spec(tmp_path, script, policy=policy, budget=BudgetSpec(max_steps=1))
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, ApplicationError)
    result = RunResult.model_validate(failure.value.cause.details[0])
    assert result.state is S.FAILED and result.reason and "max_steps" in result.reason
    assert await closed_status(handle) is FAILED


async def test_a_pipeline_learns_how_a_child_canceled_on_its_own_ended(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = PipelineSpec(
        name="one-step", goal="write", steps=[PipelineStep(name="write", agent=make_spec(tmp_path))]
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    await wait_for_pipeline(handle, lambda s: bool(s.pending_approvals))
    child = client.get_workflow_handle(f"{handle.id}.write")
    await child.execute_update("cancel", CancelRequest(by="dave", reason="not this one"))

    # The child closed Canceled (no result): the pipeline still knows its end and why.
    assert await closed_status(child) is CANCELED
    assert await closed_status(handle) is FAILED  # a step canceled by someone else fails it
    final = await pipeline_snapshot(handle)
    assert final.state is PipelineState.FAILED
    [ran] = final.items[0].children
    assert (ran.state, ran.reason) == (S.CANCELED, None)
    assert final.failure_reason is not None and "run ended canceled" in final.failure_reason


async def test_resume_replies_with_the_state_the_run_moves_to(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [ScriptTurn(tool_calls=[ScriptedCall(tool="list_files")]), ScriptTurn(say="Done.")]
    spec = make_spec(tmp_path, script, policy=PolicySpec(require_approval=[]))
    handle = await start(client, spec, worker.task_queue)
    note = OperatorNote(by="alice", reason="look first")
    run = RunClient(client, handle.id)
    # Paused before its first step: it holds in `blocked` as soon as it reaches it.
    await run.control("pause", note, RunSnapshot)
    held = await wait_for_state(handle, S.BLOCKED)
    assert held.blocked_reason and held.blocked_reason.startswith("paused by alice")

    reply = await run.control("resume", OperatorNote(by="alice", reason="ok"), RunSnapshot)
    assert reply.state is not S.BLOCKED, reply
    assert reply.blocked_reason is None
    assert any(e.kind is EventKind.RESUMED for e in await events(handle))


def test_the_cli_exit_code_and_replies_tell_the_end(
    cli_env: dict[str, str],
    worker_process: subprocess.Popen[str],
    agent_file: Path,
    tmp_path: Path,
) -> None:
    failing = tmp_path / "failing.yaml"
    text = agent_file.read_text().replace("max_steps: 8", "max_steps: 1")
    failing.write_text(
        text.replace("version: demo-policy-1", "version: p\n  on_budget_exhausted: fail")
    )
    failed = overseer(cli_env, "run", str(failing), "--goal", "x", "--as", "rita", "--watch")
    assert "ended: failed" in failed.stdout, failed.stdout + failed.stderr
    assert failed.returncode == 3

    started = overseer(cli_env, "run", str(agent_file), "--goal", "x", "--watch")
    run = re.search(r"started run (\S+)", started.stdout)
    assert run is not None and started.returncode == 0  # stopped at an approval
    canceled = overseer(cli_env, "cancel", run.group(1), "--reason", "wrong", "--as", "carol")
    assert canceled.returncode == 0, canceled.stderr
    assert "state: canceled" in canceled.stdout  # the state the cancel produced
    followed = overseer(cli_env, "events", run.group(1), "--follow")
    assert followed.returncode == 4
    # Listing is by visibility, which catches up with the close a moment later: look again
    # (each `ls` is a round trip) until the row shows the end, within a deadline.
    deadline = time.monotonic() + 30
    while True:
        listed = overseer(cli_env, "ls", "--limit", "50")
        rows = [row for row in listed.stdout.splitlines() if row.startswith(run.group(1))]
        if (rows and rows[0].endswith("canceled")) or time.monotonic() > deadline:
            break
    [line] = rows
    assert line.split()[1:2] == ["canceled"] and line.endswith("canceled")


def test_the_cli_resume_prints_the_state_the_run_moves_to(
    cli_env: dict[str, str],
    worker_process: subprocess.Popen[str],
    agent_file: Path,
) -> None:
    started = overseer(cli_env, "run", str(agent_file), "--goal", "x", "--watch")
    run = re.search(r"started run (\S+)", started.stdout)
    assert run is not None, started.stdout + started.stderr
    run_id = run.group(1)
    paused = overseer(cli_env, "pause", run_id, "--as", "alice", "--reason", "look")
    assert paused.returncode == 0, paused.stderr
    # Approved while paused: the run holds in `blocked` before it runs the tool.
    assert overseer(cli_env, "approve", run_id, "3.1", "--as", "bob").returncode == 0
    deadline = time.monotonic() + 30
    while "state:     blocked" not in overseer(cli_env, "status", run_id).stdout:
        assert time.monotonic() < deadline, "the paused run never held in blocked"

    resumed = overseer(cli_env, "resume", run_id, "--as", "alice", "--reason", "ok")
    assert resumed.returncode == 0, resumed.stderr
    state = re.search(r"^state: (\S+)", resumed.stdout, re.MULTILINE)
    assert state is not None and state.group(1) != "blocked", resumed.stdout
    assert "paused by" not in resumed.stdout
