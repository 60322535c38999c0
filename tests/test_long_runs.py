"""Long and heavy runs: payloads by reference, flat history per model call, continue-as-new."""

import asyncio
import os
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import WRITE_ARGS, events, make_spec, snapshot, start, wait_for_state


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

    log = await events(latest)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))  # no gaps across segments
    continued = [e.detail for e in log if e.kind is EventKind.CONTINUED_AS_NEW]
    assert continued == ["segment 1 begins", "segment 2 begins", "segment 3 begins"]
    final = await snapshot(latest)
    assert (final.step, final.budget.tool_calls) == (7, 6)
    assert final.run_id == first.id
    described = await latest.describe()
    assert described.run_id != first.result_run_id  # a later segment answered
