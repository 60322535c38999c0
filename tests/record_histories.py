"""Re-record the saved histories that tests/test_replay.py replays: `make histories`.

Run it only on purpose: when a change to AgentRunWorkflow or PipelineWorkflow is meant
to break replay of runs recorded before it (allowed before the first release; after it, use
workflow.patched()). Say so in the commit.
"""

import asyncio
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from contracts import WORKFLOW_NAME
from contracts.approvals import CancelRequest, Decision
from contracts.data_converter import overseer_data_converter
from contracts.model_io import ModelSpec, ScriptTurn
from contracts.pipeline import PIPELINE_WORKFLOW_NAME, PipelineResult, PipelineSpec, PipelineStep
from contracts.queue import QueueSpec
from contracts.search_attributes import ALL_KEYS
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import LOOK_THEN_WRITE, closed_status, make_spec, wait_for_state
from tests.pipeline_helpers import ITEM_SCHEMA, echo_agent, scripted_agent, wait_for_pipeline
from tests.sse_server import SseServer, StreamScript, openai_call_chunks, openai_chunks
from workers.worker import build_worker

HISTORIES = Path(__file__).resolve().parent / "histories"
Scenario = Callable[[WorkflowHandle[Any, Any]], Awaitable[None]]


async def _decide(handle: WorkflowHandle[Any, Any], name: str, approver: str) -> None:
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    decision = Decision(
        action_id=request.action_id,
        args_sha256=request.args_sha256,
        approver=approver,
        reason="recorded",
    )
    await handle.execute_update(name, decision)


async def approved(handle: WorkflowHandle[Any, Any]) -> None:
    await handle.signal("approve", {"action_id": "9.9"})  # a refused signal, recorded
    await _decide(handle, "approve", "alice")
    await handle.result()


async def rejected(handle: WorkflowHandle[Any, Any]) -> None:
    await _decide(handle, "reject", "bob")
    await handle.result()


async def canceled(handle: WorkflowHandle[Any, Any]) -> None:
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="recorded"))
    await closed_status(handle)  # Canceled in Temporal: no result


SCENARIOS: dict[str, Scenario] = {"approved": approved, "rejected": rejected, "canceled": canceled}

# A history file is named `<workflow id>[@<segment>].json`: replay names the workflow after
# the part before `@` (a run's action ids and a pipeline's child ids contain its id).
Histories = dict[str, WorkflowHistory]
Recording = Callable[[Client, str, Path], Awaitable[Histories]]


async def run_scenarios(client: Client, task_queue: str, workspace: Path) -> Histories:
    recorded = {}
    for name, scenario in SCENARIOS.items():
        handle = await client.start_workflow(
            WORKFLOW_NAME, make_spec(workspace / name), id=name, task_queue=task_queue
        )
        await scenario(handle)
        recorded[name] = await handle.fetch_history()
    return recorded


async def queued_run(client: Client, task_queue: str, workspace: Path) -> Histories:
    """A run that waits for a slot of a run queue, runs, and gives the slot back."""
    script = [LOOK_THEN_WRITE[0], ScriptTurn(say="Looked.")]
    spec = make_spec(workspace, script, tools=["list_files"], queue=QueueSpec(queue_id="record"))
    handle = await client.start_workflow(WORKFLOW_NAME, spec, id="queued", task_queue=task_queue)
    await handle.result()
    await client.get_workflow_handle("record").terminate("recorded")
    return {"queued": await handle.fetch_history()}


async def run_segments(client: Client, task_queue: str, workspace: Path) -> Histories:
    """A run over two segments: its log paged out to the artifact store at the boundary."""
    script = [LOOK_THEN_WRITE[0], LOOK_THEN_WRITE[0], ScriptTurn(say="Looked twice.")]
    spec = make_spec(workspace, script, tools=["list_files"], continue_as_new_after_steps=2)
    handle = await client.start_workflow(
        WORKFLOW_NAME, spec, id="run-segments", task_queue=task_queue
    )
    await client.get_workflow_handle(handle.id).result()
    first = client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    return {
        "run-segments@1": await first.fetch_history(),
        "run-segments@2": await client.get_workflow_handle(handle.id).fetch_history(),
    }


STREAM_KEY_ENV = "OVERSEER_RECORD_STREAM_KEY"


async def streamed(client: Client, task_queue: str, workspace: Path) -> Histories:
    """A run whose model streams (live progress published to the run) over two segments:
    a tool call, the stream's offset carried over continue-as-new, the final answer."""
    os.environ[STREAM_KEY_ENV] = "sk-record"  # the local server checks nothing
    with SseServer() as server:
        server.scripts += [
            StreamScript(openai_call_chunks("Looking around.", "call_1", "list_files", "{}")),
            StreamScript(openai_chunks(["Looked: ", "nothing ", "there."])),
        ]
        model = ModelSpec(
            provider="openai",
            name="gpt-4o-mini",
            base_url=server.base_url,
            api_key_env=STREAM_KEY_ENV,
            stream=True,
        )
        spec = make_spec(
            workspace, model=model, tools=["list_files"], continue_as_new_after_steps=1
        )
        handle = await client.start_workflow(
            WORKFLOW_NAME, spec, id="streamed", task_queue=task_queue
        )
        await client.get_workflow_handle(handle.id).result()
    first = client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    return {
        "streamed@1": await first.fetch_history(),
        "streamed@2": await client.get_workflow_handle(handle.id).fetch_history(),
    }


async def pipeline(client: Client, task_queue: str, workspace: Path) -> Histories:
    """Contracts, a fan-out, a long output by reference, an approval inside a child
    forwarded by the pipeline, and a refused signal."""
    long_json = json.dumps({"items": ["alpha", "beta", "gamma"], "notes": "n" * 5000})
    spec = PipelineSpec(
        name="recorded",
        goal="release notes",
        steps=[
            PipelineStep(
                name="research",
                agent=scripted_agent(workspace, "researcher", long_json),
                output_schema={"type": "object", "required": ["items", "notes"]},
            ),
            PipelineStep(
                name="draft",
                agent=echo_agent(workspace),
                for_each="research.items",
                concurrency=2,
                output_schema=ITEM_SCHEMA,
            ),
            PipelineStep(
                name="write", agent=make_spec(workspace), input={"notes": "research.notes"}
            ),
        ],
    )
    handle = await start_pipeline_as(client, spec, "pipeline", task_queue)
    await handle.signal("cancel", {"not": "a cancel request"})  # refused, recorded
    waiting = await wait_for_pipeline(handle, lambda s: bool(s.pending_approvals), 60)
    [(_, request)] = waiting.pending_approvals
    decision = Decision(
        action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"
    )
    await handle.signal("approve", decision)
    await handle.result()
    return {"pipeline": await handle.fetch_history()}


async def pipeline_segments(client: Client, task_queue: str, workspace: Path) -> Histories:
    """A fan-out over two segments (continued as new after 3 children)."""
    spec = PipelineSpec(
        name="segmented",
        goal="every item",
        continue_as_new_after_children=3,
        steps=[
            PipelineStep(
                name="plan",
                agent=scripted_agent(workspace, "planner", '{"items": ["a", "b", "c", "d"]}'),
                output_schema={"type": "object"},
            ),
            PipelineStep(
                name="work",
                agent=echo_agent(workspace),
                for_each="plan.items",
                concurrency=2,
                output_schema=ITEM_SCHEMA,
            ),
        ],
    )
    handle = await start_pipeline_as(client, spec, "pipeline-segments", task_queue)
    await handle.result()
    first = client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    second = client.get_workflow_handle(handle.id)  # the run that ended it
    return {
        "pipeline-segments@1": await first.fetch_history(),
        "pipeline-segments@2": await second.fetch_history(),
    }


async def start_pipeline_as(
    client: Client, spec: PipelineSpec, pipeline_id: str, task_queue: str
) -> WorkflowHandle[Any, PipelineResult]:
    return await client.start_workflow(
        PIPELINE_WORKFLOW_NAME,
        spec,
        id=pipeline_id,
        task_queue=task_queue,
        result_type=PipelineResult,
    )


RECORDINGS: list[Recording] = [
    run_scenarios,
    queued_run,
    run_segments,
    pipeline,
    pipeline_segments,
    streamed,
]


async def record(client: Client, only: list[str]) -> None:
    """Record every history, or only those of the recordings named in `only`."""
    task_queue = f"record-{uuid.uuid4().hex[:8]}"
    chosen = [r for r in RECORDINGS if not only or r.__name__ in only]
    async with build_worker(client, task_queue):
        for recording in chosen:
            with tempfile.TemporaryDirectory() as workspace:
                for name in SCENARIOS:
                    (Path(workspace) / name).mkdir()
                recorded = await recording(client, task_queue, Path(workspace))
            for name, history in recorded.items():
                (HISTORIES / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    # Long outputs go to a throw-away artifact store, not the project's .overseer/.
    os.environ["OVERSEER_ARTIFACTS"] = tempfile.mkdtemp(prefix="overseer-record-")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=ALL_KEYS,
        data_converter=overseer_data_converter,
    )
    try:
        # `python -m tests.record_histories streamed` records only the new one.
        await record(env.client, sys.argv[1:])
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
