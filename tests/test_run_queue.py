"""Queue control on a real server: limits on active runs, positions, priority, cancel.

Runs hold at their approval (write_file), so each test decides when a slot frees up.
"""

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import (
    Client,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts import search_attributes as sa
from contracts.approvals import CancelRequest, Decision
from contracts.errors import OverseerError
from contracts.events import EventKind
from contracts.queue import (
    RUN_QUEUE_WORKFLOW,
    LimitsChange,
    QueueSpec,
    QueueState,
    QueueView,
    Reprioritize,
)
from contracts.snapshot import RunSnapshot
from contracts.states import RunState
from starters.client.queue import QueueClient
from tests.conftest import venv_binary
from tests.helpers import closed, events, make_spec, snapshot, start, wait_for, wait_for_state

S = RunState
REPO = Path(__file__).resolve().parent.parent
OVERSEER = venv_binary("overseer")


@pytest_asyncio.fixture
async def queue_id(client: Client) -> AsyncIterator[str]:
    """A queue of the test's own (its worker goes away with the test), removed afterwards."""
    name = f"test-queue-{uuid.uuid4().hex[:8]}"
    yield name
    with contextlib.suppress(RPCError):  # never started
        await client.get_workflow_handle(name).terminate("test over")


async def start_queued(
    client: Client, worker: Worker, workspace: Path, queue: QueueSpec, agent: str = "tester"
) -> WorkflowHandle[Any, Any]:
    workspace.mkdir(exist_ok=True)
    spec = make_spec(workspace, agent=agent, queue=queue)
    return await start(client, spec, worker.task_queue)


async def approve(handle: WorkflowHandle[Any, Any]) -> None:
    waiting = await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    decision = Decision(
        action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"
    )
    await handle.execute_update("approve", decision)
    assert (await handle.result()).state is S.COMPLETED


async def cancel(*handles: WorkflowHandle[Any, Any]) -> None:
    """Cancel runs in this order (queued ones first, or a freed slot starts the next)."""
    for handle in handles:
        await handle.execute_update("cancel", CancelRequest(by="test", reason="test over"))
        await closed(handle)


def queued_at(position: int) -> Callable[[RunSnapshot], bool]:
    return lambda snapshot: snapshot.queue_position == position


async def waiting_ids(client: Client, queue_id: str) -> list[str]:
    view: QueueView = await QueueClient(client, queue_id).view()
    return [run.ticket.run_id for run in view.waiting]


async def test_a_third_run_over_an_agent_limit_of_two_waits_then_starts(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    queue = QueueSpec(queue_id=queue_id, max_concurrent_runs=2)
    first = await start_queued(client, worker, tmp_path / "1", queue)
    second = await start_queued(client, worker, tmp_path / "2", queue)
    for handle in (first, second):
        await wait_for_state(handle, S.WAITING_FOR_APPROVAL)
    third = await start_queued(client, worker, tmp_path / "3", queue)

    queued = await wait_for(third, lambda s: s.queue_position == 1)
    assert (queued.state, queued.step) == (S.CREATED, 0)
    view = await QueueClient(client, queue_id).view()
    assert {t.run_id for t in view.holders} == {first.id, second.id}
    assert [(r.position, r.ticket.run_id) for r in view.waiting] == [(1, third.id)]

    await approve(first)
    started = await wait_for_state(third, S.WAITING_FOR_APPROVAL)
    assert started.queue_position is None
    view = await QueueClient(client, queue_id).view()
    assert {t.run_id for t in view.holders} == {second.id, third.id}
    assert view.waiting == []
    await cancel(second, third)


async def test_reprioritize_changes_who_starts_next(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    queue = QueueSpec(queue_id=queue_id, max_concurrent_runs=1)
    holder = await start_queued(client, worker, tmp_path / "1", queue)
    await wait_for_state(holder, S.WAITING_FOR_APPROVAL)
    early = await start_queued(client, worker, tmp_path / "2", queue)
    await wait_for(early, lambda s: s.queue_position == 1)
    late = await start_queued(client, worker, tmp_path / "3", queue)
    await wait_for(late, lambda s: s.queue_position == 2)

    queue_client = QueueClient(client, queue_id)
    moved = await queue_client.reprioritize(Reprioritize(run_id=late.id, priority=1))
    assert (moved.position, moved.ticket.priority) == (1, 1)
    await wait_for(early, lambda s: s.queue_position == 2)
    assert await waiting_ids(client, queue_id) == [late.id, early.id]

    await approve(holder)
    await wait_for_state(late, S.WAITING_FOR_APPROVAL)
    waiting = await wait_for(early, lambda s: s.queue_position == 1)
    assert waiting.state is S.CREATED
    # Listed while it waits in the queue, not only once it leaves it.
    assert await listed_version(early) == waiting.agent_version != ""
    await cancel(early, late)


async def listed_version(handle: WorkflowHandle[Any, Any], within: float = 10) -> str | None:
    """The run's OverseerAgentVersion once its worker has upserted it (or None at the deadline)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        described = await handle.describe()
        listed = described.typed_search_attributes.get(sa.AGENT_VERSION)
        if listed or asyncio.get_running_loop().time() > deadline:
            return listed
        await asyncio.sleep(0.1)


async def test_a_queued_run_canceled_leaves_the_queue_and_never_runs_a_tool(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    queue = QueueSpec(queue_id=queue_id, max_concurrent_runs=1)
    holder = await start_queued(client, worker, tmp_path / "1", queue)
    await wait_for_state(holder, S.WAITING_FOR_APPROVAL)
    queued = await start_queued(client, worker, tmp_path / "2", queue)
    await wait_for(queued, queued_at(1))
    by_temporal = await start_queued(client, worker, tmp_path / "3", queue)
    await wait_for(by_temporal, queued_at(2))

    await cancel(queued)
    assert (await snapshot(queued)).state is S.CANCELED
    log = await events(queued)
    assert [(e.from_state, e.to_state) for e in log] == [(S.CREATED, S.CANCELED)]
    assert not any(e.kind is EventKind.TOOL_RESULT for e in log)
    assert await queued.query("steps") == []
    await wait_for(by_temporal, queued_at(1))

    await by_temporal.cancel()  # `temporal workflow cancel`: it leaves the queue as well
    with pytest.raises(WorkflowFailureError) as failure:
        await by_temporal.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert (await snapshot(by_temporal)).state is S.CANCELED
    view = await QueueClient(client, queue_id).view()
    assert ([t.run_id for t in view.holders], view.waiting) == ([holder.id], [])
    await cancel(holder)


async def test_reprioritizing_an_unknown_run_is_refused_in_one_line(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    holder = await start_queued(client, worker, tmp_path, QueueSpec(queue_id=queue_id))
    await wait_for_state(holder, S.WAITING_FOR_APPROVAL)
    queue = QueueClient(client, queue_id)
    with pytest.raises(OverseerError) as refused:
        await queue.reprioritize(Reprioritize(run_id="no-such-run", priority=0))
    assert str(refused.value) == (
        "reprioritize refused: run no-such-run is not waiting in this queue"
    )
    with pytest.raises(WorkflowUpdateFailedError):  # the same, straight from the workflow
        await client.get_workflow_handle(queue_id).execute_update(
            "reprioritize", Reprioritize(run_id=holder.id, priority=0)
        )
    await cancel(holder)


async def test_an_overall_limit_holds_runs_of_every_agent(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    limits = await QueueClient(client, queue_id).set_limits(
        LimitsChange(overall=1), worker.task_queue
    )
    assert limits.overall == 1
    queue = QueueSpec(queue_id=queue_id)
    first = await start_queued(client, worker, tmp_path / "1", queue, agent="writer")
    await wait_for_state(first, S.WAITING_FOR_APPROVAL)
    other = await start_queued(client, worker, tmp_path / "2", queue, agent="reviewer")
    assert (await wait_for(other, lambda s: s.queue_position == 1)).state is S.CREATED

    await approve(first)
    await wait_for_state(other, S.WAITING_FOR_APPROVAL)
    await cancel(other)


async def overseer(cli_env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        OVERSEER,
        *args,
        env=cli_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def limited_agent_file(tmp_path: Path, name: str) -> Path:
    """The demo agent, renamed, with its own workspace and at most one active run."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "notes.md").write_text("- one open item\n")
    text = (REPO / "agents" / "demo.yaml").read_text()
    text = text.replace("name: file-reporter", f"name: {name}")
    text = text.replace("workspace: demo-workspace", f"workspace: {workspace}")
    agent = tmp_path / "agent.yaml"
    agent.write_text(text + "max_concurrent_runs: 1\n")
    return agent


async def test_the_cli_starts_queued_runs_and_shows_and_changes_the_queue(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    cli_env = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
        "OVERSEER_RUN_QUEUE": queue_id,
    }
    agent = f"queued-{uuid.uuid4().hex[:6]}"
    agent_file = str(limited_agent_file(tmp_path, agent))

    async def run(*args: str) -> WorkflowHandle[Any, Any]:
        code, out, err = await overseer(cli_env, "run", agent_file, "--goal", "g", *args)
        assert code == 0, err
        started = re.search(r"started run (\S+)", out)
        assert started is not None
        return client.get_workflow_handle(started.group(1))

    active = await run()
    await wait_for_state(active, S.WAITING_FOR_APPROVAL)
    waiting = await run("--priority", "3")
    await wait_for(waiting, lambda s: s.queue_position == 1)

    code, out, _ = await overseer(cli_env, "queue", "ls")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [
        f"queue {queue_id}",
        "limits: overall none (and each agent file's max_concurrent_runs)",
    ]
    assert lines[3:5] == ["ACTIVE (1)", f"  {active.id:<32} {agent:<20} priority 5"]
    assert lines[6:] == ["WAITING (1)", f"  #1   {waiting.id:<32} {agent:<20} priority 3"]

    listed = ""
    while waiting.id not in listed:  # visibility catches up; the test's wait bounds it
        listed = (await overseer(cli_env, "ls", "--agent", agent))[1]
    row = next(line for line in listed.splitlines() if line.startswith(waiting.id))
    assert "created (queued #1)" in row
    status = (await overseer(cli_env, "status", waiting.id))[1]
    assert "queued:    position 1 in the run queue" in status

    code, _, err = await overseer(cli_env, "queue", "reprioritize", "no-such-run", "1")
    assert (code, err) == (
        1,
        "overseer: error: reprioritize refused: run no-such-run is not waiting in this queue\n",
    )
    code, out, _ = await overseer(cli_env, "queue", "reprioritize", waiting.id, "0")
    assert (code, out) == (0, f"run {waiting.id} now has priority 0: position 1\n")

    code, out, _ = await overseer(cli_env, "queue", "limits", "--all", "4", "--agent", agent, "2")
    assert (code, out) == (
        0,
        f"limits: overall 4; {agent} 2 (and each agent file's max_concurrent_runs)\n",
    )
    # The operator's agent limit (2) wins over the agent file's (1): the waiting run starts.
    await wait_for_state(waiting, S.WAITING_FOR_APPROVAL)
    await cancel(active, waiting)


async def test_a_terminated_waiting_run_is_passed_over(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    queue = QueueSpec(queue_id=queue_id, max_concurrent_runs=1)
    holder = await start_queued(client, worker, tmp_path / "1", queue)
    await wait_for_state(holder, S.WAITING_FOR_APPROVAL)
    gone = await start_queued(client, worker, tmp_path / "2", queue)
    await wait_for(gone, lambda s: s.queue_position == 1)
    following = await start_queued(client, worker, tmp_path / "3", queue)
    await wait_for(following, lambda s: s.queue_position == 2)
    await gone.terminate("operator cleanup")

    await approve(holder)
    await wait_for_state(following, S.WAITING_FOR_APPROVAL)
    view = await QueueClient(client, queue_id).view()
    assert ([t.run_id for t in view.holders], view.waiting) == ([following.id], [])
    await cancel(following)


async def test_the_queue_continues_as_new_with_its_state(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    first_segment = await client.start_workflow(
        RUN_QUEUE_WORKFLOW,
        QueueState(events_per_segment=20),
        id=queue_id,
        task_queue=worker.task_queue,
    )
    queue = QueueSpec(queue_id=queue_id, max_concurrent_runs=1)
    holder = await start_queued(client, worker, tmp_path / "0", queue)
    await wait_for_state(holder, S.WAITING_FOR_APPROVAL)
    waiting = []
    for position in (1, 2, 3):  # one at a time: runs join in the order they reach the queue
        run = await start_queued(client, worker, tmp_path / str(position), queue)
        await wait_for(run, queued_at(position))
        waiting.append(run)

    with pytest.raises(WorkflowContinuedAsNewError):
        await first_segment.result(follow_runs=False)
    await approve(holder)
    await wait_for_state(waiting[0], S.WAITING_FOR_APPROVAL)
    await wait_for(waiting[2], lambda s: s.queue_position == 2)
    assert await waiting_ids(client, queue_id) == [waiting[1].id, waiting[2].id]
    await cancel(*reversed(waiting))  # the queued ones first: none of them starts


async def test_an_operator_frees_the_slot_of_a_terminated_run(
    client: Client, worker: Worker, tmp_path: Path, queue_id: str
) -> None:
    queue = QueueSpec(queue_id=queue_id, max_concurrent_runs=1)
    holder = await start_queued(client, worker, tmp_path / "1", queue)
    await wait_for_state(holder, S.WAITING_FOR_APPROVAL)
    queued = await start_queued(client, worker, tmp_path / "2", queue)
    await wait_for(queued, queued_at(1))
    await holder.terminate("stuck")  # ends without telling the queue: its slot stays taken

    operator = QueueClient(client, queue_id)
    with pytest.raises(OverseerError, match="run no-such-run holds no slot and is not waiting"):
        await operator.release("no-such-run")
    await operator.release(holder.id)
    await wait_for_state(queued, S.WAITING_FOR_APPROVAL)
    await cancel(queued)
