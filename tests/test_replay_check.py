"""`overseer replay-check`: real histories from the server, replayed against this code,
pass; against a deliberately incompatible AgentRunWorkflow, each run fails by name."""

import asyncio
import subprocess
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.states import RunState
from starters.client.replay_check import replay_check
from tests.conftest import venv_binary
from tests.helpers import make_spec, start, wait_for_state
from tests.replay_check_workflows import AgentRunWithAnExtraActivity
from workers.sandbox import WORKFLOW_CLASSES


async def record_runs(client: Client, task_queue: str, tmp_path: Path) -> list[str]:
    """Two real runs: one approved to the end, one still waiting for its approval."""
    (tmp_path / "done").mkdir()
    (tmp_path / "waiting").mkdir()
    done = await start(client, make_spec(tmp_path / "done"), task_queue)
    waiting = await start(client, make_spec(tmp_path / "waiting"), task_queue)
    pending = await wait_for_state(done, RunState.WAITING_FOR_APPROVAL)
    request = pending.pending_approvals[0]
    await done.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
    )
    await done.result()
    await wait_for_state(waiting, RunState.WAITING_FOR_APPROVAL)
    await listed(client, f"TaskQueue = '{task_queue}'", 2)
    return sorted([done.id, waiting.id])


async def listed(client: Client, query: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await client.count_workflows(query)).count >= count:
            return
        await asyncio.sleep(0.2)  # visibility catching up, polled with a deadline
    raise AssertionError(f"visibility never listed {count} runs for {query}")


async def test_recorded_runs_replay_on_this_code_and_fail_on_an_incompatible_change(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    runs = await record_runs(client, worker.task_queue, tmp_path)
    query = f"TaskQueue = '{worker.task_queue}'"

    report = await replay_check(client, last=10, query=query)
    assert (report.summary(), report.failures) == ("2 replayed, 0 failed", [])

    changed = [AgentRunWithAnExtraActivity, *WORKFLOW_CLASSES[1:]]
    report = await replay_check(client, last=10, query=query, workflows=changed)
    assert report.summary() == "2 replayed, 2 failed"
    assert sorted(f.workflow_id for f in report.failures) == runs
    for failure in report.failures:
        # The recorded first task scheduled the first model call (step-1); the changed
        # code schedules another activity first.
        assert failure.mismatch == (
            "Nondeterminism error: Activity id of scheduled event 'step-1' does not match "
            "activity id of activity command '1'"
        )
        assert failure.line().startswith(f"FAILED {failure.workflow_id} (run {failure.run_id}): ")
        assert "\n" not in failure.line()

    # --last bounds what is downloaded: the newest run only.
    assert (await replay_check(client, last=1, query=query)).summary() == "1 replayed, 0 failed"


async def test_the_command_prints_a_summary_and_refuses_a_bad_query_in_one_line(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    await record_runs(client, worker.task_queue, tmp_path)
    cli_env = {
        "PATH": str(Path(venv_binary("overseer")).parent),
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
    }
    query = f"TaskQueue = '{worker.task_queue}'"

    def overseer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [venv_binary("overseer"), *args],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    passed = await asyncio.to_thread(overseer, "replay-check", "--query", query)
    assert (passed.returncode, passed.stdout) == (0, "2 replayed, 0 failed\n")

    bad = await asyncio.to_thread(overseer, "replay-check", "--query", "TaskQueue ==== x")
    assert bad.returncode == 1
    assert bad.stderr.startswith("overseer: error: --query: ")
    assert bad.stderr.count("\n") == 1
