"""Hostile paths and artifact references against a real server and worker: the model is
told and the run goes on; a forged artifact reference never reaches the store."""

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Worker

from contracts import WORKFLOW_NAME
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import events, make_spec, start

LONG_NAME = "n" * 300


@pytest.mark.parametrize(
    ("path", "refusal"),
    [
        (".", "path '.' is the workspace itself, not a file"),
        (LONG_NAME, f"path '{LONG_NAME[:118]}… has a name over 255 bytes"),
        ("d/" * 40 + "f", f"path {'d/' * 40 + 'f'!r} is more than 32 levels deep"),
        (
            ".tracker/tickets.sqlite",
            "path '.tracker/tickets.sqlite' leads into Overseer's own files",
        ),
    ],
)
async def test_a_refused_write_is_told_to_the_model_and_the_run_completes(
    client: Client, worker: Worker, tmp_path: Path, path: str, refusal: str
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    call = ScriptedCall(tool="write_file", args={"path": path, "content": "the model's text"})
    # No approval needed: the write reaches the tool, which must refuse it itself.
    spec = make_spec(
        workspace, [ScriptTurn(tool_calls=[call])], policy=PolicySpec(require_approval=[])
    )
    handle = await start(client, spec, worker.task_queue)

    result = await asyncio.wait_for(handle.result(), 60)

    assert result.state is RunState.COMPLETED
    assert result.final_answer is not None and result.final_answer.endswith(f"error: {refusal}")
    failed = [e.detail for e in await events(handle) if e.kind is EventKind.TOOL_FAILED]
    assert failed == [f"write_file: {refusal}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]
    assert list(workspace.iterdir()) == []


FORGED = {
    "agent": "tester",
    "goal": "summarize",
    "goal_artifact": {"sha256": "/" * 54 + "etc/passwd", "size": 100},
    "workspace": ".",
}


async def start_forged(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    """A run started as `temporal workflow start` can: raw JSON, no client-side model."""
    return await client.start_workflow(
        WORKFLOW_NAME, FORGED, id=f"forged-{uuid.uuid4().hex[:12]}", task_queue=task_queue
    )


async def first_outcome(handle: WorkflowHandle[Any, Any]) -> int:
    """The first workflow task failure or close of the run, as a history event type."""
    outcomes = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    }

    async def watch() -> int:
        async for event in handle.fetch_history_events(wait_new_event=True):
            if event.event_type in outcomes:
                return event.event_type
        raise AssertionError("the history closed without an outcome")

    return await asyncio.wait_for(watch(), 30)


async def stop(handle: WorkflowHandle[Any, Any]) -> None:
    """Terminate a wedged run, so its worker stops retrying it (a closed run is left alone)."""
    with contextlib.suppress(RPCError):
        await handle.terminate("test over")


async def test_a_forged_goal_artifact_is_never_read(client: Client, worker: Worker) -> None:
    handle = await start_forged(client, worker.task_queue)
    try:
        await first_outcome(handle)
        history = [event async for event in handle.fetch_history_events()]
        scheduled = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        assert not [e for e in history if e.event_type == scheduled]
        assert b"root:" not in b"".join(e.SerializeToString() for e in history)
    finally:
        await stop(handle)


async def test_a_forged_goal_artifact_fails_the_run_instead_of_wedging_it(
    client: Client, worker: Worker
) -> None:
    # contracts/data_converter.py: an input that does not fit RunSpec fails the workflow
    # with one line naming the field, instead of failing its first task for ever.
    handle = await start_forged(client, worker.task_queue)
    try:
        assert await first_outcome(handle) == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.type == "InvalidInput"
        assert cause.message.startswith("invalid RunSpec: goal_artifact.sha256:"), cause.message
        assert "\n" not in cause.message
    finally:
        await stop(handle)
