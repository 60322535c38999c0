"""Building runs and waiting on them, for tests. Waits are on history events, with a deadline."""

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle

from contracts import WORKFLOW_NAME
from contracts.events import EventKind, RunEvent
from contracts.model_io import ModelSpec, ScriptedCall, ScriptTurn
from contracts.snapshot import EventsQuery, RunResult, RunSnapshot
from contracts.spec import BudgetSpec, PolicySpec, RunSpec
from contracts.states import RunState

WRITE_ARGS = {"path": "out/hello.txt", "content": "hello from the agent"}

LOOK_THEN_WRITE = [
    ScriptTurn(say="Looking around.", tool_calls=[ScriptedCall(tool="list_files")]),
    ScriptTurn(say="Writing.", tool_calls=[ScriptedCall(tool="write_file", args=WRITE_ARGS)]),
    ScriptTurn(say="Done: wrote out/hello.txt."),
]


def make_spec(workspace: Path, script: list[ScriptTurn] | None = None, **overrides: Any) -> RunSpec:
    fields: dict[str, Any] = {
        "agent": "tester",
        "goal": "write a greeting",
        "model": ModelSpec(script=LOOK_THEN_WRITE if script is None else script),
        "tools": ["list_files", "read_file", "write_file"],
        "policy": PolicySpec(version="test-policy-7"),
        "budget": BudgetSpec(max_steps=6),
        "requester": "rita",
        "workspace": str(workspace),
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
    }
    fields.update(overrides)
    return RunSpec(**fields)


async def start(client: Client, spec: RunSpec, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        WORKFLOW_NAME,
        spec,
        id=f"test-run-{uuid.uuid4().hex[:12]}",
        task_queue=task_queue,
        result_type=RunResult,
    )


async def snapshot(handle: WorkflowHandle[Any, Any]) -> RunSnapshot:
    result: RunSnapshot = await handle.query("snapshot", result_type=RunSnapshot)
    return result


async def events(handle: WorkflowHandle[Any, Any], after_seq: int = 0) -> list[RunEvent]:
    result: list[RunEvent] = await handle.query(
        "events", EventsQuery(after_seq=after_seq), result_type=list[RunEvent]
    )
    return result


async def wait_for(
    handle: WorkflowHandle[Any, Any],
    condition: Callable[[RunSnapshot], bool],
    within: float = 30.0,
) -> RunSnapshot:
    """Re-check the run's snapshot at each new history event until `condition` holds
    (following the run into its next segment when it continues as new)."""

    async def watch() -> RunSnapshot:
        while True:
            async for _ in handle.fetch_history_events(wait_new_event=True):
                current = await snapshot(handle)
                if condition(current):
                    return current
            current = await snapshot(handle)  # this history closed: one last look
            if condition(current):
                return current
            if current.state.is_terminal:
                raise AssertionError(f"run ended {current.state} without the condition")

    return await asyncio.wait_for(watch(), within)


async def wait_for_state(
    handle: WorkflowHandle[Any, Any], state: RunState, within: float = 30.0
) -> RunSnapshot:
    return await wait_for(handle, lambda s: s.state is state, within)


async def history_event_types(handle: WorkflowHandle[Any, Any]) -> list[int]:
    return [event.event_type async for event in handle.fetch_history_events()]


UPDATE_ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED


async def wait_for_event(
    handle: WorkflowHandle[Any, Any], kind: EventKind, within: float = 30.0
) -> RunEvent:
    """The run's first event of this kind, re-checked at each new history event."""

    async def watch() -> RunEvent:
        async for _ in handle.fetch_history_events(wait_new_event=True):
            found = [e for e in await events(handle) if e.kind is kind]
            if found:
                return found[0]
        raise AssertionError(f"run {handle.id} closed without a {kind} event")

    return await asyncio.wait_for(watch(), within)


async def closed_status(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionStatus:
    """Wait for the workflow to close, however it closes; its Temporal status. A canceled
    or failed run (or pipeline) returns no result: its queries tell its end."""
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    status = (await handle.describe()).status
    assert status is not None
    return status


async def closed(handle: WorkflowHandle[Any, Any]) -> tuple[WorkflowExecutionStatus, RunSnapshot]:
    """A run's Temporal status once closed, and its final snapshot (a query on it)."""
    return await closed_status(handle), await snapshot(handle)
