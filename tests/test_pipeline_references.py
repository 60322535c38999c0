"""Long outputs between pipeline steps: a child's long final answer travels by reference
(checked against its contract where it is stored), and the next steps get its full content
without it ever entering the pipeline's history."""

import json
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from activities.artifacts import DirectoryStore
from contracts.events import EventKind
from contracts.hashing import canonical_json
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.pipeline import PipelineSpec, PipelineState, PipelineStep
from contracts.references import JSON_MEDIA_TYPE, reference_in
from tests.helpers import events, make_spec
from tests.pipeline_helpers import ITEM_SCHEMA, echo_agent, scripted_agent, start_pipeline

BIG = {"items": ["alpha", "beta", "gamma"], "notes": "n" * 11_000}  # > 10 KiB as JSON
BIG_SCHEMA = {
    "type": "object",
    "required": ["items", "notes"],
    "properties": {"items": {"type": "array"}, "notes": {"type": "string"}},
}
REVIEW_SCHEMA = {"type": "object", "required": ["data"], "properties": {"data": BIG_SCHEMA}}


async def stored(store: DirectoryStore, value: Any) -> Any:
    ref = reference_in(value)
    assert ref is not None, f"expected a reference, got {str(value)[:200]}"
    text = (await store.get(ref.sha256)).decode("utf-8")
    return json.loads(text) if ref.media_type == JSON_MEDIA_TYPE else text


async def test_a_long_json_output_flows_to_the_next_steps_by_reference_under_contracts(
    client: Client, worker: Worker, tmp_path: Path, artifact_store: Path
) -> None:
    missing_items = json.dumps({"notes": BIG["notes"]})  # long, and breaks the contract
    researcher = scripted_agent(tmp_path, "researcher", missing_items, json.dumps(BIG))
    spec = PipelineSpec(
        name="long-outputs",
        goal="release notes",
        steps=[
            PipelineStep(name="research", agent=researcher, output_schema=BIG_SCHEMA),
            # The whole stored output as input: the child's goal is stored too, and its
            # (echoed, long) answer is checked against the contract where it is stored.
            PipelineStep(
                name="review",
                agent=echo_agent(tmp_path),
                input={"data": "research"},
                output_schema=REVIEW_SCHEMA,
            ),
            # A fan-out over a list inside a stored output.
            PipelineStep(
                name="draft",
                agent=echo_agent(tmp_path),
                for_each="review.data.items",
                output_schema=ITEM_SCHEMA,
            ),
            # A long part of a stored output, passed on as text (no contract).
            PipelineStep(
                name="final", agent=echo_agent(tmp_path), input={"notes": "review.data.notes"}
            ),
        ],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    store = DirectoryStore(artifact_store)
    assert await stored(store, result.outputs["research"]) == BIG
    assert await stored(store, result.outputs["review"]) == {"data": BIG}
    assert result.outputs["draft"] == [{"item": "alpha"}, {"item": "beta"}, {"item": "gamma"}]
    assert await stored(store, result.outputs["final"]) == canonical_json({"notes": BIG["notes"]})
    research = client.get_workflow_handle(f"{handle.id}.research")
    invalid = [e for e in await events(research) if e.kind is EventKind.OUTPUT_INVALID]
    assert len(invalid) == 1 and "'items' is a required property" in invalid[0].detail
    # The long outputs never entered the pipeline's history (only the researcher's script,
    # which holds the long answer, does: in the pipeline's input and the child's).
    with_spec = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    }
    sizes = [
        len(event.SerializeToString())
        async for event in handle.fetch_history_events()
        if event.event_type not in with_spec
    ]
    assert max(sizes) < 8 * 1024


async def test_a_handoff_keeps_a_long_goal_whole_and_adds_its_note(
    client: Client, worker: Worker, tmp_path: Path, artifact_store: Path
) -> None:
    call = ScriptedCall(tool="handoff", args={"to": "echo", "reason": "needs an echo"})
    triage = make_spec(
        tmp_path,
        [ScriptTurn(say="Handing off.", tool_calls=[call])],
        agent="triage",
        tools=["handoff"],
    )
    spec = PipelineSpec(
        name="long-handoff",
        goal="release notes",
        agents={"echo": echo_agent(tmp_path)},
        steps=[
            PipelineStep(
                name="research",
                agent=scripted_agent(tmp_path, "researcher", json.dumps(BIG)),
                output_schema=BIG_SCHEMA,
            ),
            PipelineStep(name="triage", agent=triage, input={"data": "research"}),
        ],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    echoed = await stored(DirectoryStore(artifact_store), result.outputs["triage"])
    assert echoed == canonical_json({"data": BIG}) + "\n\nHanded over by triage: needs an echo"
