"""A pipeline continues as new (here after a few children per segment) with its state
carried over: a fan-out spans segments, the snapshot answers across them, approvals still
reach the child waiting for them, and a rollback undoes steps of earlier segments."""

import sqlite3
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.approvals import CancelRequest, Decision
from contracts.data_converter import overseer_data_converter
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.pipeline import ItemState, PipelineSpec, PipelineState, PipelineStep
from contracts.search_attributes import ALL_KEYS
from contracts.spec import PolicySpec
from starters.client.pipelines import pipeline_tree
from tests.conftest import venv_binary
from tests.helpers import closed_status, make_spec
from tests.pipeline_helpers import (
    ITEM_SCHEMA,
    echo_agent,
    pipeline_snapshot,
    scripted_agent,
    start_pipeline,
    wait_across_segments,
)
from workers.worker import build_worker

NAMES = ["a", "b", "c", "d", "e", "f", "g"]


async def test_a_fan_out_spans_segments_and_the_snapshot_answers_across_them(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    planner = scripted_agent(tmp_path, "planner", '{"items": ["a","b","c","d","e","f","g"]}')
    spec = PipelineSpec(
        name="segmented",
        goal="do every item",
        continue_as_new_after_children=3,
        steps=[
            PipelineStep(name="plan", agent=planner, output_schema={"type": "object"}),
            PipelineStep(
                name="work",
                agent=echo_agent(tmp_path, "worker"),
                for_each="plan.items",
                concurrency=2,
                output_schema=ITEM_SCHEMA,
            ),
            PipelineStep(name="write", agent=make_spec(tmp_path)),  # waits for an approval
        ],
    )
    first = await start_pipeline(client, spec, worker.task_queue)

    # Children per segment: plan, work[0], work[1] | work[2..4] | work[5], work[6], write.
    waiting = await wait_across_segments(client, first.id, lambda s: bool(s.pending_approvals))
    assert waiting.segment == 2
    assert waiting.state is PipelineState.RUNNING
    assert "segment:   2 (continued as new 2x)" in pipeline_tree(waiting)  # overseer status
    work = [item for item in waiting.items if item.step == "work"]
    assert [(item.label, item.state) for item in work] == [
        (f"work[{n}]", ItemState.COMPLETED) for n in range(7)
    ]
    assert [item.output for item in work] == [{"item": name} for name in NAMES]
    kinds = [event.kind for event in waiting.events]
    assert kinds.count("continued_as_new") == 2
    assert kinds.count("child_started") == 9
    assert [event.seq for event in waiting.events] == list(range(1, len(kinds) + 1))

    [(child_id, request)] = waiting.pending_approvals
    assert child_id == f"{first.id}.write"
    latest = client.get_workflow_handle(first.id)
    decision = Decision(
        action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"
    )
    await latest.signal("approve", decision)  # forwarded by the current segment
    result = await first.result()  # follows the runs

    assert result.state is PipelineState.COMPLETED
    assert result.outputs["plan"] == {"items": NAMES}
    assert result.outputs["work"] == [{"item": name} for name in NAMES]
    assert result.outputs["write"] == "Done: wrote out/hello.txt."
    first_run = client.get_workflow_handle(first.id, run_id=first.first_execution_run_id)
    last_of_first_run = [event async for event in first_run.fetch_history_events()][-1]
    assert last_of_first_run.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


async def test_cancel_in_a_later_segment_compensates_a_step_of_an_earlier_one(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    ticketing = make_spec(
        tmp_path,
        [
            ScriptTurn(tool_calls=[ScriptedCall(tool="create_ticket", args={"title": "r 1.2"})]),
            ScriptTurn(say="Opened the ticket."),
        ],
        agent="ticketer",
        tools=["create_ticket"],
        policy=PolicySpec(require_approval=[]),
    )
    spec = PipelineSpec(
        name="segmented-rollback",
        goal="release",
        continue_as_new_after_children=2,
        steps=[
            PipelineStep(name="ticket", agent=ticketing),
            PipelineStep(name="note", agent=echo_agent(tmp_path)),
            PipelineStep(name="write", agent=make_spec(tmp_path)),  # waits for an approval
        ],
    )
    first = await start_pipeline(client, spec, worker.task_queue)
    waiting = await wait_across_segments(client, first.id, lambda s: bool(s.pending_approvals))
    assert waiting.segment == 1

    latest = client.get_workflow_handle(first.id)
    await latest.execute_update("cancel", CancelRequest(by="carol", reason="wrong release"))
    assert await closed_status(latest) is WorkflowExecutionStatus.CANCELED
    assert (await pipeline_snapshot(latest)).state is PipelineState.ROLLED_BACK
    with sqlite3.connect(tmp_path / ".tracker" / "tickets.sqlite") as db:
        assert db.execute("SELECT title, status FROM tickets").fetchall() == [("r 1.2", "canceled")]
    final = await pipeline_snapshot(latest)
    assert [(i.label, i.state) for i in final.items] == [
        ("ticket", ItemState.COMPENSATED),
        ("note", ItemState.COMPLETED),
        ("write", ItemState.CANCELED),
    ]


async def test_the_pipeline_continues_as_new_when_temporal_suggests_it(tmp_path: Path) -> None:
    # A server of its own that suggests continuing as new after 40 events (default: 4K).
    suggesting = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=ALL_KEYS,
        data_converter=overseer_data_converter,
        dev_server_extra_args=[
            "--dynamic-config-value",
            "limit.historyCount.suggestContinueAsNew=40",
        ],
    )
    try:
        client = suggesting.client
        planner = scripted_agent(tmp_path, "planner", '{"items": ["a","b","c","d","e","f","g"]}')
        spec = PipelineSpec(
            name="suggested",
            goal="do every item",
            steps=[
                PipelineStep(name="plan", agent=planner, output_schema={"type": "object"}),
                PipelineStep(
                    name="work",
                    agent=echo_agent(tmp_path, "worker"),
                    for_each="plan.items",
                    output_schema=ITEM_SCHEMA,
                ),
            ],
        )
        async with build_worker(client, f"suggest-{uuid.uuid4().hex[:8]}") as worker:
            handle = await start_pipeline(client, spec, worker.task_queue)
            result = await handle.result()
            final = await pipeline_snapshot(client.get_workflow_handle(handle.id))
    finally:
        await suggesting.shutdown()

    assert result.state is PipelineState.COMPLETED
    assert result.outputs["work"] == [{"item": name} for name in NAMES]
    assert final.segment >= 1
    assert [e.kind for e in final.events].count("continued_as_new") == final.segment
