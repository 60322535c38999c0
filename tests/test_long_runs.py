"""Long and heavy runs: payloads by reference, flat history per model call, continue-as-new."""

import asyncio
import itertools
import os
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.artifacts import DirectoryStore
from activities.llm import ModelActivities
from contracts.approvals import CancelRequest, Decision
from contracts.artifacts import ArtifactRef
from contracts.errors import OverseerError
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.run_log import RUN_LOG_MEDIA_TYPE
from contracts.snapshot import RunResult
from contracts.spec import PolicySpec, RunSpec
from contracts.states import RunState
from contracts.steps import StepRecord
from starters.client.recovery import reset_run
from starters.client.runs import RunClient
from tests.conftest import venv_binary
from tests.helpers import WRITE_ARGS, closed, events, make_spec, snapshot, start, wait_for_state
from workers.worker import build_worker


def turn(tool: str, **args: object) -> ScriptTurn:
    return ScriptTurn(tool_calls=[ScriptedCall(tool=tool, args=args)])


async def model_request_sizes(handle: WorkflowHandle[object, object]) -> list[int]:
    return [
        sum(len(p.data) for p in e.activity_task_scheduled_event_attributes.input.payloads)
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "llm.complete"
    ]


async def history_bytes(handle: WorkflowHandle[object, object]) -> int:
    described = await handle.describe()
    return int(described.raw_description.workflow_execution_info.history_size_bytes)


async def test_a_10mb_tool_result_flows_through_a_run_by_reference(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    content = ("0123456789abcdef" * 64 + "\n") * 10_000  # 10.25 MB
    (tmp_path / "big.log").write_text(content)
    script = [turn("read_file", path="big.log", max_bytes=16 * 1024 * 1024), ScriptTurn(say="ok")]
    handle = await start(client, make_spec(tmp_path, script), worker.task_queue)
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    assert await history_bytes(handle) < 64 * 1024

    [read] = [e for e in await events(handle) if e.kind is EventKind.TOOL_RESULT]
    ref = read.evidence[1]
    assert ref.startswith("sha256:")
    out = tmp_path / "fetched.log"
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        "artifact",
        "get",
        ref,
        "--out",
        str(out),
        env={**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host},
    )
    assert await process.wait() == 0
    assert out.read_text() == content


async def test_history_per_model_call_stays_flat_as_context_grows(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    per_call: dict[int, list[int]] = {}
    for size in (1_000, 100_000, 1_000_000):
        workspace = tmp_path / str(size)
        workspace.mkdir()
        (workspace / "context.txt").write_text("y" * size)
        script = [
            turn("read_file", path="context.txt", max_bytes=2_000_000),
            turn("list_files"),
            turn("list_files"),
            ScriptTurn(say="done"),
        ]
        handle = await start(client, make_spec(workspace, script), worker.task_queue)
        await handle.result()
        per_call[size] = await model_request_sizes(handle)
        assert await history_bytes(handle) / len(per_call[size]) < 8 * 1024
    for sizes in per_call.values():
        assert len(sizes) == 4
        assert max(sizes[2:]) <= sizes[1]  # later calls carry only their new messages
    largest = [max(sizes) for sizes in per_call.values()]
    assert max(largest) - min(largest) < 3 * 1024  # 1 KB and 1 MB of context cost the same
    assert max(largest) < 8 * 1024


async def test_a_run_continues_as_new_and_keeps_answering(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [turn("list_files")] * 5 + [turn("write_file", **WRITE_ARGS), ScriptTurn(say="end")]
    spec = make_spec(tmp_path, script, continue_as_new_after_steps=2)
    spec.budget.max_steps = 10
    first = await start(client, spec, worker.task_queue)
    latest = client.get_workflow_handle(first.id, result_type=RunResult)  # follows new runs
    waiting = await wait_for_state(latest, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    assert (request.action_id, request.tool) == (f"{first.id}/6.1", "write_file")
    await latest.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"),
    )
    result: RunResult = await latest.result()
    assert result.state is RunState.COMPLETED
    assert (tmp_path / "out" / "hello.txt").read_text() == WRITE_ARGS["content"]

    log = await RunClient(client, first.id).events()
    assert [e.seq for e in log] == list(range(1, len(log) + 1))  # no gaps across segments
    continued = [e.detail for e in log if e.kind is EventKind.CONTINUED_AS_NEW]
    assert continued == ["segment 1 begins", "segment 2 begins", "segment 3 begins"]
    final = await snapshot(latest)
    assert (final.step, final.budget.tool_calls) == (7, 6)
    assert final.run_id == first.id
    described = await latest.describe()
    assert described.run_id != first.result_run_id  # a later segment answered


async def segment_inputs(client: Client, run_id: str) -> list[RunSpec]:
    """The spec each segment of the run started with, oldest first."""
    segments = [wf.run_id async for wf in client.list_workflows(f"WorkflowId = '{run_id}'")]
    specs = []
    for segment in reversed(segments):  # the visibility list is newest first
        handle = client.get_workflow_handle(run_id, run_id=segment)
        async for event in handle.fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            [spec] = await client.data_converter.decode(payloads, [RunSpec])
            specs.append(spec)
            break
    return specs


async def test_a_long_run_pages_its_log_out_and_still_rolls_back_across_segments(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    looks = ScriptTurn(tool_calls=[ScriptedCall(tool="list_files")], repeat=8)
    script = [turn("create_ticket", title="Rotate keys"), looks]
    policy = PolicySpec(version="p", require_approval=["write_file"])
    spec = make_spec(
        tmp_path,
        [*script, turn("write_file", **WRITE_ARGS)],
        policy=policy,
        tools=["list_files", "write_file", "create_ticket"],
        continue_as_new_after_steps=2,
    )
    spec.budget.max_steps = 20
    first = await start(client, spec, worker.task_queue)
    latest = client.get_workflow_handle(first.id, result_type=RunResult)
    await wait_for_state(latest, RunState.WAITING_FOR_APPROVAL)

    carried = [s.carried for s in (await segment_inputs(client, first.id))[1:]]
    assert len(carried) == 4  # turns 1-2, 3-4, 5-6, 7-8, 9-10
    sizes = [len(c.model_dump_json()) for c in carried if c is not None]
    # Each segment carries one more page reference, not the events and steps behind it.
    assert max(b - a for a, b in itertools.pairwise(sizes)) < 400
    last = carried[-1]
    assert last is not None and len(last.archived) == 4 and len(last.events) <= 1
    assert [(s.index, s.name) for s in last.steps] == [(2, "create_ticket")]  # kept to undo

    run = RunClient(client, first.id)
    steps = await run.steps()
    assert [s.index for s in steps] == list(range(1, 20))  # 10 model turns, 9 tools so far
    assert len(await latest.query("steps", result_type=list[StepRecord])) < 10
    log = await run.events()
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert sum(e.kind is EventKind.CONTINUED_AS_NEW for e in log) == 4
    assert [e.seq for e in await run.events(after_seq=3)] == [e.seq for e in log[3:]]

    with pytest.raises(OverseerError) as too_far:
        await reset_run(client, first.id, 3, "olga", "too far back", force=True)
    assert str(too_far.value) == (
        f"run {first.id} can be reset to steps 17 to 19 (earlier ones are in closed "
        "segments: it continued as new), not 3"
    )

    await latest.execute_update("cancel", CancelRequest(by="carol", reason="enough"))
    status, final = await closed(latest)  # rolled back after a cancel: Canceled in Temporal
    assert (status, final.state) == (WorkflowExecutionStatus.CANCELED, RunState.ROLLED_BACK)
    undone = [e.detail for e in await run.events() if e.kind is EventKind.COMPENSATED]
    assert undone == ["step 2 (tool create_ticket Rotate keys): canceled ticket #1"]


class StoreRefusingLogPages(DirectoryStore):
    async def put(self, data: bytes, media_type: str) -> ArtifactRef:
        if media_type == RUN_LOG_MEDIA_TYPE:
            raise OSError("disk full")
        return await super().put(data, media_type)


async def test_when_the_log_cannot_be_archived_it_is_carried_in_full(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    store = StoreRefusingLogPages(Path(os.environ["OVERSEER_ARTIFACTS"]))
    script = [turn("list_files"), turn("list_files"), ScriptTurn(say="done")]
    spec = make_spec(tmp_path, script, continue_as_new_after_steps=2)
    async with build_worker(client, task_queue, models=ModelActivities(store=store)):
        first = await start(client, spec, task_queue)
        latest = client.get_workflow_handle(first.id, result_type=RunResult)
        result: RunResult = await latest.result()
        log = await RunClient(client, first.id).events()  # a closed run's query needs a worker
    assert result.state is RunState.COMPLETED
    [_, second] = await segment_inputs(client, first.id)
    assert second.carried is not None and second.carried.archived == []
    assert [e.seq for e in second.carried.events] == list(range(1, second.carried.last_seq + 1))
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    [failed] = [e for e in log if e.kind is EventKind.ARCHIVE_FAILED]
    assert failed.detail.startswith("log carried in full:")
