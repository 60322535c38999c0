"""`overseer inbox`, `overseer watch`, `overseer top` and `overseer ls`, as subprocesses
against a real server, while the test's worker serves the runs."""

import asyncio
import os
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.pipeline import PipelineSpec, PipelineStep
from contracts.spec import RunSpec
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import make_spec, start, wait_for_state
from tests.pipeline_helpers import echo_agent, start_pipeline, wait_for_pipeline

OVERSEER = venv_binary("overseer")


async def overseer(env: WorkflowEnvironment, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        OVERSEER,
        *args,
        env={**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_inbox_lists_exactly_the_pending_approvals_oldest_first(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = f"inboxed-{uuid.uuid4().hex[:6]}"
    handles = []
    for n in range(3):
        workspace = tmp_path / str(n)
        workspace.mkdir()
        handle = await start(client, make_spec(workspace, agent=agent), worker.task_queue)
        await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
        handles.append(handle)
    done = await start(
        client, make_spec(tmp_path, agent=agent, tools=["list_files"]), worker.task_queue
    )
    await done.result()

    lines: list[str] = []
    while len(lines) != 1 + 3 * 3:  # visibility catches up; the test's timeout bounds this
        lines = (await overseer(env, "inbox", "--agent", agent)).splitlines()
    assert lines[0].split() == ["AGE", "RUN", "ACTION", "TOOL", "ARGS"]
    runs = [line.split()[1] for line in lines[1::3]]
    assert runs == [handle.id for handle in handles]  # oldest first
    for line in lines[1::3]:
        assert line.split()[2:4] == ["2.1", "write_file"]
        assert '{"content":"hello from the agent","path":"out/hello.txt"}' in line
    # Each command works when pasted: a rejection needs its reason.
    assert [line.split("approve: ")[1] for line in lines[2::3]] == [
        f"overseer approve {handle.id} 2.1 --as YOU" for handle in handles
    ]
    assert [line.split("reject:  ")[1] for line in lines[3::3]] == [
        f'overseer reject {handle.id} 2.1 --as YOU --reason "..."' for handle in handles
    ]

    table = (await overseer(env, "top")).splitlines()
    header = table[0].split()
    row = next(line.split() for line in table if line.startswith(agent))
    assert row[header.index("waiting_for_approval")] == "3"
    assert row[header.index("completed")] == "1"
    for handle in handles:
        await handle.cancel()


async def test_watch_follows_a_run_until_it_ends(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    watching = asyncio.create_task(overseer(env, "watch", handle.id))
    request = waiting.pending_approvals[0]
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"),
    )
    view = await watching
    assert f"{handle.id}  [completed]  agent tester" in view
    assert "step 3/6  tool calls 2" in view
    assert "planning -> completed" in view


async def test_ls_and_top_list_pipelines_with_their_state(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    name = f"listed-{uuid.uuid4().hex[:6]}"
    done = await start_pipeline(client, one_step(name, echo_agent(tmp_path)), worker.task_queue)
    await done.result()
    waiting = await start_pipeline(client, one_step(name, make_spec(tmp_path)), worker.task_queue)
    await wait_for_pipeline(waiting, lambda snapshot: bool(snapshot.pending_approvals))

    agent = f"pipeline:{name}"
    expected = {done.id: "completed", waiting.id: "running"}
    listed: dict[str, str] = {}
    while listed != expected:  # visibility catches up; the test's timeout bounds this
        lines = (await overseer(env, "ls", "--agent", agent)).splitlines()
        listed = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert all(line.split()[2] == agent for line in lines[1:])
    running = (await overseer(env, "ls", "--agent", agent, "--state", "running")).splitlines()
    assert [line.split()[0] for line in running[1:]] == [waiting.id]

    table = (await overseer(env, "top")).splitlines()
    header = table[0].split()
    row = next(line.split() for line in table if line.startswith(agent))
    assert row[header.index("running")] == "1"
    assert row[header.index("completed")] == "1"
    assert row[-1] == "2"
    await waiting.cancel()


def one_step(name: str, agent: RunSpec) -> PipelineSpec:
    return PipelineSpec(name=name, goal="list me", steps=[PipelineStep(name="only", agent=agent)])
