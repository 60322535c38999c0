"""Exactly-once effects, sagas, dead letters, output contracts, steps and reset."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.tools.activity import MAX_RESULT_ENV, tool_activity
from activities.tools.registry import TOOLS
from activities.tools.tickets import tracker_path
from contracts.approvals import CancelRequest
from contracts.errors import OverseerError
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.retries import ActivityPolicy, RetryConfig
from contracts.snapshot import RunResult
from contracts.spec import PolicySpec
from contracts.states import RunState
from contracts.tools import ToolInvocation, ToolResult
from starters.client.listing import list_runs
from starters.client.recovery import reset_run, retry_run
from starters.client.runs import RunClient
from tests.helpers import (
    closed,
    events,
    make_spec,
    snapshot,
    start,
    wait_for,
    wait_for_state,
)

FAST_RETRIES = RetryConfig(
    tool=ActivityPolicy(max_attempts=2, initial_interval_seconds=0.1, heartbeat_seconds=5)
)
NO_APPROVALS = PolicySpec(version="p", require_approval=[])
TOOLS_WITH_TICKETS = ["list_files", "read_file", "write_file", "create_ticket"]


def tickets(workspace: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tracker_path(workspace)) as db:
        return db.execute("SELECT title, status FROM tickets ORDER BY id").fetchall()


def turn(tool: str, **args: object) -> ScriptTurn:
    return ScriptTurn(tool_calls=[ScriptedCall(tool=tool, args=args)])


async def test_create_ticket_honours_its_idempotency_key(client: Client, tmp_path: Path) -> None:
    invocation = ToolInvocation(
        run_id="r",
        call_id="c",
        idempotency_key="k-1",
        workspace=str(tmp_path),
        args={"title": "Rotate keys"},
    )
    run = tool_activity(TOOLS["create_ticket"])
    # With a client: tool activities read the kill switches from the server first.
    first: ToolResult = await ActivityEnvironment(client).run(run, invocation)
    again: ToolResult = await ActivityEnvironment(client).run(run, invocation)  # a retry
    assert first.output == again.output == "ticket #1: Rotate keys"
    assert tickets(tmp_path) == [("Rotate keys", "open")]


async def test_cancel_after_irreversible_steps_rolls_them_back_in_reverse(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [
        turn("create_ticket", title="Rotate keys"),
        turn("write_file", path="notes.txt", content="new"),
        turn("list_files"),
    ]
    (tmp_path / "notes.txt").write_text("old")
    policy = PolicySpec(version="p", require_approval=["list_files"])
    handle = await start(
        client,
        make_spec(tmp_path, script, policy=policy, tools=TOOLS_WITH_TICKETS),
        worker.task_queue,
    )
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    assert (tmp_path / "notes.txt").read_text() == "new"
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="wrong goal"))

    # Rolled back after a cancel: Canceled in Temporal; the query tells the whole end.
    status, final = await closed(handle)
    assert (status, final.state) == (WorkflowExecutionStatus.CANCELED, RunState.ROLLED_BACK)
    assert (tmp_path / "notes.txt").read_text() == "old"
    assert tickets(tmp_path) == [("Rotate keys", "canceled")]
    undone = [e.detail for e in await events(handle) if e.kind is EventKind.COMPENSATED]
    assert undone == [
        "step 4 (tool write_file notes.txt): restored the previous notes.txt",
        "step 2 (tool create_ticket Rotate keys): canceled ticket #1",
    ]
    last = (await events(handle))[-1]
    assert (last.to_state, last.actor) == (RunState.ROLLED_BACK, "user:carol")
    kinds = [(s.kind, s.name, s.status) for s in await RunClient(client, handle.id).steps()][-2:]
    assert kinds == [
        ("compensation", "write_file", "completed"),
        ("compensation", "create_ticket", "completed"),
    ]


async def test_a_failed_compensation_ends_failed_with_what_is_left(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [turn("create_ticket", title="Rotate keys"), turn("list_files")]
    policy = PolicySpec(version="p", require_approval=["list_files"])
    spec = make_spec(
        tmp_path, script, policy=policy, retries=FAST_RETRIES, tools=TOOLS_WITH_TICKETS
    )
    handle = await start(client, spec, worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    tracker = tracker_path(tmp_path)
    tracker.unlink()
    tracker.mkdir()  # the tracker is gone: the ticket cannot be canceled
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="stop"))

    with pytest.raises(WorkflowFailureError) as failure:  # Failed in Temporal too
        await handle.result()
    assert isinstance(failure.value.cause, ApplicationError)
    [result] = failure.value.cause.details  # the run's result rides in the failure
    assert RunResult.model_validate(result).state is RunState.FAILED
    final = await snapshot(handle)
    assert len(final.uncompensated) == 1
    assert final.uncompensated[0].startswith("step 2 (tool create_ticket Rotate keys): ")
    assert final.failure_reason is not None
    assert final.failure_reason.startswith("stop; rollback incomplete, uncompensated: step 2")


async def test_a_poison_input_is_a_dead_letter_and_retry_starts_a_linked_run(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [turn("create_ticket", title="x" * 300)]
    spec = make_spec(
        tmp_path, script, policy=NO_APPROVALS, retries=FAST_RETRIES, tools=TOOLS_WITH_TICKETS
    )
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await snapshot(handle)
    assert final.state is RunState.FAILED
    assert final.failure_reason == (
        "retries_exhausted: tool create_ticket: CHECK constraint failed: "
        "length(title) BETWEEN 1 AND 200"
    )
    assert (await RunClient(client, handle.id).steps())[-1].status == "failed"

    new_id = await retry_run(client, handle.id, worker.task_queue)
    retried = client.get_workflow_handle(new_id)
    again = await wait_for(retried, lambda s: s.state.is_terminal)
    assert again.retry_of == handle.id
    assert again.run_id == new_id != handle.id


async def test_an_oversized_result_fails_once_instead_of_retrying_forever(
    client: Client, worker: Worker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_RESULT_ENV, str(1024 * 1024))
    (tmp_path / "big.txt").write_text("x" * (2 * 1024 * 1024))
    script = [turn("read_file", path="big.txt", max_bytes=4 * 1024 * 1024)]
    handle = await start(client, make_spec(tmp_path, script), worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await snapshot(handle)
    assert final.failure_reason == (
        "result_too_large: tool read_file: read_file returned 2097152 bytes, over the "
        "1048576 byte limit for a tool result"
    )
    attempts = [
        event.activity_task_started_event_attributes.attempt
        async for event in handle.fetch_history_events()
        if event.HasField("activity_task_started_event_attributes")
    ]
    assert attempts == [1, 1]  # the model call, the tool call: once each


SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "items": {"type": "integer"}},
    "required": ["summary", "items"],
}


async def test_an_invalid_answer_is_reprompted_then_accepted(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [
        ScriptTurn(say="Three open items."),
        ScriptTurn(say='{"summary": "open items", "items": "three"}'),
        ScriptTurn(say='{"summary": "open items", "items": 3}'),
    ]
    spec = make_spec(tmp_path, script, output_schema=SCHEMA)
    handle = await start(client, spec, worker.task_queue)
    result: RunResult = await handle.result()
    assert (result.state, result.final_answer) == (
        RunState.COMPLETED,
        '{"summary": "open items", "items": 3}',
    )
    invalid = [e.detail for e in await events(handle) if e.kind is EventKind.OUTPUT_INVALID]
    assert invalid == [
        "the answer is not JSON (Expecting value at position 0); answer: Three open items.",
        "at items: 'three' is not of type 'integer'; "
        'answer: {"summary": "open items", "items": "three"}',
    ]


async def test_invalid_answers_past_the_retries_fail_with_invalid_output(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [ScriptTurn(say='{"summary": "x"}')] * 3
    spec = make_spec(tmp_path, script, output_schema=SCHEMA, output_retries=1)
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await snapshot(handle)
    assert final.failure_reason == (
        "invalid_output: at (the whole answer): 'items' is a required property (after 2 answers)"
    )
    assert len([e for e in await events(handle) if e.kind is EventKind.OUTPUT_INVALID]) == 2


async def test_steps_and_reset(client: Client, worker: Worker, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a")
    script = [turn("list_files"), turn("read_file", path="a.md"), turn("create_ticket", title="T")]
    spec = make_spec(tmp_path, script, policy=NO_APPROVALS, tools=TOOLS_WITH_TICKETS)
    handle = await start(client, spec, worker.task_queue)
    await handle.result()

    steps = await RunClient(client, handle.id).steps()
    assert [(s.index, s.kind, s.name, s.side_effect, s.status, s.safe_to_rerun) for s in steps] == [
        (1, "model", "scripted-planner", "none", "completed", True),
        (2, "tool", "list_files", "read", "completed", True),
        (3, "model", "scripted-planner", "none", "completed", True),
        (4, "tool", "read_file", "read", "completed", True),
        (5, "model", "scripted-planner", "none", "completed", True),
        (6, "tool", "create_ticket", "irreversible", "completed", False),
        (7, "model", "scripted-planner", "none", "completed", True),
    ]
    with pytest.raises(OverseerError) as refused:
        await reset_run(client, handle.id, 4, "olga", "re-read", force=False)
    assert str(refused.value) == (
        f"refusing to reset {handle.id} to step 4: irreversible step(s) "
        "6 (tool create_ticket T) completed after it and would run again; "
        "use --force --reason to do it anyway"
    )

    new_run = await reset_run(client, handle.id, 7, "olga", "answer again", force=False)
    assert new_run != handle.result_run_id
    reset = client.get_workflow_handle(handle.id)
    final = await wait_for(reset, lambda s: s.state.is_terminal)
    assert final.state is RunState.COMPLETED
    noted = [e for e in await events(reset) if e.kind is EventKind.RESET]
    assert [(e.actor, e.detail) for e in noted] == [("user:olga", "reset to step 7: answer again")]
    assert tickets(tmp_path) == [("T", "open")]  # the ticket was not made twice

    await reset_run(client, handle.id, 4, "olga", "re-read on purpose", force=True)
    final = await wait_for(client.get_workflow_handle(handle.id), lambda s: s.state.is_terminal)
    forced = [
        e.detail
        for e in await events(client.get_workflow_handle(handle.id))
        if e.kind is EventKind.RESET
    ]
    assert forced == ["reset to step 4: re-read on purpose; forced over: 6 (tool create_ticket T)"]

    # Two resets leave three executions of this run id; `overseer ls` lists the run once.
    query = f"WorkflowId = '{handle.id}'"

    async def executions() -> int:
        return len([e async for e in client.list_workflows(query)])

    async def listed() -> list[tuple[str, str]]:
        runs = await list_runs(client, agent=spec.agent)
        return [(r.run_id, r.state) for r in runs if r.run_id == handle.id]

    async with asyncio.timeout(30):
        # Each listing is a round trip: visibility catches up with the last close.
        while await executions() < 3 or [state for _, state in await listed()] != ["completed"]:
            continue
    assert await listed() == [(handle.id, "completed")]
