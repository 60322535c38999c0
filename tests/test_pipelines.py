"""Pipelines end to end on a real Temporal server: contracts between steps, fan-out with a
concurrency limit, failure policies, approvals inside children, cancel with rollback."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from contracts.approvals import CancelRequest, Decision
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.pipeline import ItemState, PipelineSpec, PipelineState, PipelineStep
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import closed_status, events, make_spec
from tests.pipeline_helpers import (
    ITEM_SCHEMA,
    echo_agent,
    most_children_at_once,
    pipeline_snapshot,
    scripted_agent,
    start_pipeline,
    wait_for_pipeline,
)

TOPICS_SCHEMA = {
    "type": "object",
    "required": ["topics"],
    "properties": {"topics": {"type": "array", "items": {"type": "string"}}},
}


async def test_a_contract_violation_is_caught_and_reprompted_before_the_next_step(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    researcher = scripted_agent(
        tmp_path, "researcher", "Topics: alpha and beta.", '{"topics": ["alpha", "beta"]}'
    )
    spec = PipelineSpec(
        name="research-then-echo",
        goal="release notes",
        steps=[
            PipelineStep(name="research", agent=researcher, output_schema=TOPICS_SCHEMA),
            PipelineStep(
                name="summarize",
                agent=echo_agent(tmp_path),
                input={"topics": "research.topics", "about": "goal"},
                output_schema=TOPICS_SCHEMA,
            ),
        ],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    assert result.outputs == {
        "research": {"topics": ["alpha", "beta"]},
        "summarize": {"about": "release notes", "topics": ["alpha", "beta"]},
    }
    research = client.get_workflow_handle(f"{handle.id}.research")
    invalid = [e for e in await events(research) if e.kind is EventKind.OUTPUT_INVALID]
    assert len(invalid) == 1
    assert "the answer is not JSON" in invalid[0].detail
    described = await client.get_workflow_handle(f"{handle.id}.summarize").describe()
    assert described.parent_id == handle.id  # the Web UI's Relationships view links them
    final = await pipeline_snapshot(handle)
    assert [(i.label, i.state) for i in final.items] == [
        ("research", ItemState.COMPLETED),
        ("summarize", ItemState.COMPLETED),
    ]


def fan_out_spec(workspace: Path, items: list[object], **work: Any) -> PipelineSpec:
    planner = scripted_agent(
        workspace, "planner", '{"items": ' + str(items).replace("'", '"') + "}"
    )
    return PipelineSpec(
        name="fan-out",
        goal="do every item",
        steps=[
            PipelineStep(name="plan", agent=planner, output_schema={"type": "object"}),
            PipelineStep(
                name="work",
                agent=echo_agent(workspace, "worker", output_retries=0),
                for_each="plan.items",
                input={"item": "item"},
                output_schema=ITEM_SCHEMA,
                **work,
            ),
            PipelineStep(name="gather", agent=echo_agent(workspace), input={"all": "work"}),
        ],
    )


async def test_fan_out_of_five_never_runs_more_than_two_children_at_once(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = fan_out_spec(tmp_path, ["a", "b", "c", "d", "e"], concurrency=2)
    handle = await start_pipeline(client, spec, worker.task_queue)
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    expected = [{"item": name} for name in "abcde"]
    assert result.outputs["work"] == expected
    assert (
        result.outputs["gather"]
        == '{"all":' + str(expected).replace("'", '"').replace(" ", "") + "}"
    )
    assert await most_children_at_once(handle, f"{handle.id}.work.") == 2
    final = await pipeline_snapshot(handle)
    assert [child.run_id for i in final.items if i.step == "work" for child in i.children] == [
        f"{handle.id}.work.{n}" for n in range(5)
    ]


@pytest.mark.parametrize("policy", ["fail", "skip", "fallback"])
async def test_one_failing_item_under_each_failure_policy(
    client: Client, worker: Worker, tmp_path: Path, policy: str
) -> None:
    rescuer = scripted_agent(tmp_path, "rescuer", '{"item": "rescued"}')
    extra: dict[str, object] = {"on_failure": policy, "concurrency": 1}
    if policy == "fallback":
        extra["fallback"] = rescuer
    spec = fan_out_spec(tmp_path, ["a", 7, "c"], **extra)
    handle = await start_pipeline(client, spec, worker.task_queue)

    if policy == "fail":
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        cause = failure.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.message.startswith("step work[1] failed: invalid_output:")
    else:
        result = await handle.result()
        assert result.state is PipelineState.COMPLETED
        second = (
            {"gap": {"step": "work[1]", "reason": result.outputs["work"][1]["gap"]["reason"]}}
            if policy == "skip"
            else {"item": "rescued"}
        )
        assert result.outputs["work"] == [{"item": "a"}, second, {"item": "c"}]

    final = await pipeline_snapshot(handle)
    work = {i.label: i for i in final.items if i.step == "work"}
    assert work["work[0]"].state is ItemState.COMPLETED
    expected_state = {
        "fail": ItemState.FAILED,
        "skip": ItemState.SKIPPED,
        "fallback": ItemState.COMPLETED,
    }[policy]
    assert work["work[1]"].state is expected_state
    assert work["work[2]"].state is (
        ItemState.CANCELED if policy == "fail" else ItemState.COMPLETED
    )
    first_try = work["work[1]"].children[0]
    assert (first_try.run_id, first_try.state) == (f"{handle.id}.work.1", RunState.FAILED)
    assert first_try.reason is not None
    assert first_try.reason.startswith("invalid_output: at item: 7 is not of type 'string'")
    if policy == "fallback":
        rescue = work["work[1]"].children[1]
        assert (rescue.run_id, rescue.role, rescue.agent) == (
            f"{handle.id}.work.1.fallback",
            "fallback",
            "rescuer",
        )
    if policy == "fail":
        assert final.state is PipelineState.FAILED
        assert [i.state for i in final.items if i.step == "gather"] == [ItemState.CANCELED]


async def test_an_approval_inside_a_child_is_decided_through_the_pipeline(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = PipelineSpec(
        name="write-through",
        goal="greet",
        steps=[PipelineStep(name="write", agent=make_spec(tmp_path))],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    waiting = await wait_for_pipeline(handle, lambda s: bool(s.pending_approvals))
    [(child_id, request)] = waiting.pending_approvals
    assert (child_id, request.action_id, request.tool) == (
        f"{handle.id}.write",
        f"{handle.id}.write/2.1",
        "write_file",
    )

    decision = Decision(
        action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"
    )
    await handle.signal("approve", decision)  # to the pipeline: it forwards to the child
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    assert result.outputs == {"write": "Done: wrote out/hello.txt."}
    assert (tmp_path / "out/hello.txt").exists()
    approved = [
        e
        for e in await events(client.get_workflow_handle(child_id))
        if e.kind is EventKind.APPROVED
    ]
    assert [e.actor for e in approved] == ["user:alice"]
    final = await pipeline_snapshot(handle)
    assert final.pending_approvals == []
    assert [e.kind for e in final.events if e.kind == "approve_forwarded"] == ["approve_forwarded"]


async def test_cancel_mid_pipeline_compensates_the_earlier_step(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    ticketing = make_spec(
        tmp_path,
        [
            ScriptTurn(
                tool_calls=[ScriptedCall(tool="create_ticket", args={"title": "release 1.2"})]
            ),
            ScriptTurn(say="Opened the ticket."),
        ],
        agent="ticketer",
        tools=["create_ticket"],
        policy=PolicySpec(require_approval=[]),
    )
    spec = PipelineSpec(
        name="ticket-then-write",
        goal="release",
        steps=[
            PipelineStep(name="ticket", agent=ticketing),
            PipelineStep(name="write", agent=make_spec(tmp_path)),
        ],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    await wait_for_pipeline(handle, lambda s: bool(s.pending_approvals))
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="wrong release"))
    # Rolled back after a cancel: Canceled in Temporal (the Web UI list, `overseer ls`).
    assert await closed_status(handle) is WorkflowExecutionStatus.CANCELED
    assert (await pipeline_snapshot(handle)).state is PipelineState.ROLLED_BACK
    with sqlite3.connect(tmp_path / ".tracker" / "tickets.sqlite") as db:
        assert db.execute("SELECT title, status FROM tickets").fetchall() == [
            ("release 1.2", "canceled")
        ]
    final = await pipeline_snapshot(handle)
    assert [(i.label, i.state) for i in final.items] == [
        ("ticket", ItemState.COMPENSATED),
        ("write", ItemState.CANCELED),
    ]
    assert final.items[1].children[0].state is RunState.CANCELED
    compensated = [e for e in final.events if e.kind == "compensated"]
    assert [(e.step, e.run_id) for e in compensated] == [("ticket", f"{handle.id}.ticket")]
    child_log = await events(client.get_workflow_handle(f"{handle.id}.write"))
    assert (child_log[-1].to_state, child_log[-1].actor) == (RunState.CANCELED, "user:carol")
    assert final.uncompensated == []


async def test_temporal_cancellation_of_the_pipeline_also_rolls_back(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    ticketing = make_spec(
        tmp_path,
        [
            ScriptTurn(tool_calls=[ScriptedCall(tool="create_ticket", args={"title": "t"})]),
            ScriptTurn(say="Opened."),
        ],
        agent="ticketer",
        tools=["create_ticket"],
        policy=PolicySpec(require_approval=[]),
    )
    spec = PipelineSpec(
        name="cancel-from-temporal",
        goal="release",
        steps=[
            PipelineStep(name="ticket", agent=ticketing),
            PipelineStep(name="write", agent=make_spec(tmp_path)),
        ],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    await wait_for_pipeline(handle, lambda s: bool(s.pending_approvals))
    await handle.cancel()  # `temporal workflow cancel`

    with pytest.raises(WorkflowFailureError):
        await handle.result()
    with sqlite3.connect(tmp_path / ".tracker" / "tickets.sqlite") as db:
        assert db.execute("SELECT status FROM tickets").fetchall() == [("canceled",)]
    final = await pipeline_snapshot(handle)
    assert final.state is PipelineState.ROLLED_BACK
    write_child = await client.get_workflow_handle(f"{handle.id}.write").describe()
    assert write_child.status is not None
    assert write_child.status.name == "CANCELED"
