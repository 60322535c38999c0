"""What the Temporal Web UI shows without opening payloads: current details, summaries."""

import asyncio
import json
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.worker import Worker

from contracts import search_attributes as sa
from contracts.approvals import Decision
from contracts.states import RunState
from tests.helpers import make_spec, start, wait_for_state


async def test_details_show_the_pending_approval_and_the_command_to_decide(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]

    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    details = metadata.current_details
    assert "state **waiting_for_approval** · step 2/6" in details
    assert f"SHA-256: `{request.args_sha256}`" in details
    assert f"`overseer approve {handle.id} 2.1 --as YOU`" in details
    assert (
        f"`temporal workflow update execute --workflow-id {handle.id} --name approve --input "
        f'\'{{"action_id":"{handle.id}/2.1","args_sha256":"{request.args_sha256}","approver":"YOU"}}\'`'
    ) in details
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.PENDING_APPROVAL) is True
    assert attributes.get(sa.RUN_STATE) == "waiting_for_approval"
    assert attributes.get(sa.TRACE_ID) == "0af7651916cd43dd8448eb211c80319c"

    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"),
    )
    await handle.result()
    # (The first model call declares the run's tools: no activity of its own.)
    summaries = [
        json.loads(event.user_metadata.summary.data)
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert summaries == [
        "model scripted-planner step 1",
        "tool list_files .",
        "model scripted-planner step 2",
        "tool write_file out/hello.txt",
        "model scripted-planner step 3",
    ]


async def test_the_default_page_names_the_action_waiting_for_approval(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    """The Web UI opens a run on its Timeline, which shows pending timers with their
    summaries: the wait for a decision runs on one (deadline or not), naming the action."""
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]

    async def timer_summaries() -> list[str]:
        return [
            json.loads(event.user_metadata.summary.data)
            async for event in handle.fetch_history_events()
            if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
        ]

    async with asyncio.timeout(30):  # the timer starts in the same workflow task as the wait
        while not (summaries := await timer_summaries()):
            async for _ in handle.fetch_history_events(wait_new_event=True):
                break
    assert summaries == [
        f"waiting for approval: write_file, action {handle.id}/2.1. "
        f"Approve: overseer approve {handle.id} 2.1 --as YOU"
    ]
    assert request.action_id == f"{handle.id}/2.1"
