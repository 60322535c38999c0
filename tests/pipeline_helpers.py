"""Building and watching pipelines, for tests. Waits are on history events, with a deadline."""

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from contracts.model_io import ModelSpec, ScriptTurn
from contracts.pipeline import (
    PIPELINE_WORKFLOW_NAME,
    PipelineResult,
    PipelineSnapshot,
    PipelineSpec,
)
from contracts.spec import RunSpec
from tests.helpers import make_spec

ITEM_SCHEMA = {
    "type": "object",
    "required": ["item"],
    "properties": {"item": {"type": "string"}},
}


def scripted_agent(workspace: Path, name: str, *answers: str, **overrides: Any) -> RunSpec:
    """An agent whose model gives these answers in turn (`{goal}` is its goal)."""
    script = [ScriptTurn(say=answer) for answer in answers]
    fields: dict[str, Any] = {"agent": name, "tools": [], "model": ModelSpec(script=script)}
    return make_spec(workspace, **{**fields, **overrides})


def echo_agent(workspace: Path, name: str = "echo", **overrides: Any) -> RunSpec:
    """Answers with its goal: a step's rendered input (JSON) comes back as its output."""
    return scripted_agent(workspace, name, "{goal}", **overrides)


async def start_pipeline(
    client: Client, spec: PipelineSpec, task_queue: str
) -> WorkflowHandle[Any, PipelineResult]:
    return await client.start_workflow(
        PIPELINE_WORKFLOW_NAME,
        spec,
        id=f"test-pipe-{uuid.uuid4().hex[:10]}",
        task_queue=task_queue,
        result_type=PipelineResult,
    )


async def pipeline_snapshot(handle: WorkflowHandle[Any, Any]) -> PipelineSnapshot:
    result: PipelineSnapshot = await handle.query("snapshot", result_type=PipelineSnapshot)
    return result


async def wait_for_pipeline(
    handle: WorkflowHandle[Any, Any],
    condition: Callable[[PipelineSnapshot], bool],
    within: float = 30.0,
) -> PipelineSnapshot:
    async def watch() -> PipelineSnapshot:
        async for _ in handle.fetch_history_events(wait_new_event=True):
            current = await pipeline_snapshot(handle)
            if condition(current):
                return current
        current = await pipeline_snapshot(handle)
        if condition(current):
            return current
        raise AssertionError(f"pipeline closed in state {current.state} without the condition")

    return await asyncio.wait_for(watch(), within)


CHILD_CLOSED = {
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
}


async def most_children_at_once(handle: WorkflowHandle[Any, Any], prefix: str) -> int:
    """From the pipeline's history: the most children (ids starting with prefix) in flight."""
    running, most = 0, 0
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child_id = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
            running += child_id.startswith(prefix)
        elif event.event_type in CHILD_CLOSED:
            attributes = next(
                getattr(event, field)
                for field in (
                    "child_workflow_execution_completed_event_attributes",
                    "child_workflow_execution_failed_event_attributes",
                    "child_workflow_execution_canceled_event_attributes",
                    "child_workflow_execution_terminated_event_attributes",
                    "child_workflow_execution_timed_out_event_attributes",
                )
                if event.HasField(field)
            )
            running -= attributes.workflow_execution.workflow_id.startswith(prefix)
        most = max(most, running)
    return most


async def wait_across_segments(
    client: Client,
    pipeline_id: str,
    condition: Callable[[PipelineSnapshot], bool],
    within: float = 60.0,
) -> PipelineSnapshot:
    """Like wait_for_pipeline, following the pipeline's runs as it continues as new."""
    latest = client.get_workflow_handle(pipeline_id)  # no run id: the current run

    async def watch() -> PipelineSnapshot:
        while True:
            # Ends when the run it began on closes (e.g. continued as new).
            async for _ in latest.fetch_history_events(wait_new_event=True):
                current = await pipeline_snapshot(latest)
                if condition(current):
                    return current
            current = await pipeline_snapshot(latest)
            if condition(current):
                return current
            if current.state.is_terminal:
                raise AssertionError(f"pipeline ended {current.state} without the condition")

    return await asyncio.wait_for(watch(), within)
