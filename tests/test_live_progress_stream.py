"""The run's live-progress stream itself: read by query only (a poll update is refused and
writes nothing), bounded however much is published to it, and what is not a progress item
is skipped by readers. ModelSpec.stream stays out of history unless set."""

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.workflow_streams import (
    PollInput,
    PublishEntry,
    PublishInput,
    WorkflowStreamClient,
)
from temporalio.worker import Worker

from contracts.model_io import ModelSpec
from contracts.progress import PROGRESS_TOPIC, RETAINED_ITEMS, ProgressItem
from contracts.states import RunState
from starters.client.live import LiveReader
from tests.helpers import history_event_types, make_spec, start, wait_for_state
from workflows.run.live import READ_BY_QUERY

WORKFLOW_TASK_FAILED = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED


def item(n: int) -> dict[str, object]:
    return ProgressItem(
        kind="note", activity_id="7", label="tool x", attempt=1, text=f"note {n}"
    ).model_dump()


async def test_the_stream_is_bounded_read_by_query_and_skips_what_is_not_an_item(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    before = await history_event_types(handle)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("__temporal_workflow_stream_poll", PollInput())
    assert getattr(refused.value.cause, "type", None) == READ_BY_QUERY
    assert await history_event_types(handle) == before  # a refused update writes nothing

    # Entries that do not decode are dropped; the run's workflow task does not fail.
    bad = PublishInput(items=[PublishEntry(topic=PROGRESS_TOPIC, data="not base64!")])
    await handle.signal("__temporal_workflow_stream_publish", bad)

    publisher = WorkflowStreamClient.create(client, handle.id)
    topic = publisher.topic(PROGRESS_TOPIC)
    topic.publish({"kind": "text", "garbage": True})  # anyone who may signal may publish
    for n in range(RETAINED_ITEMS * 3):
        topic.publish(item(n))
    await publisher.flush()

    reader = LiveReader(client, handle.id)
    read = await reader.read()
    # Only the newest are kept; offsets still count everything published.
    assert [i.text for i in read] == [
        f"note {n}" for n in range(2 * RETAINED_ITEMS, 3 * RETAINED_ITEMS)
    ]
    assert reader.offset == 1 + 3 * RETAINED_ITEMS
    assert await reader.read() == []
    await handle.cancel()


def test_stream_is_left_out_of_a_model_spec_unless_set() -> None:
    assert "stream" not in ModelSpec(provider="openai", name="m").model_dump()
    assert ModelSpec(provider="openai", name="m", stream=True).model_dump()["stream"] is True
    with pytest.raises(ValueError):
        ModelSpec.model_validate({"provider": "openai", "name": "m", "stream": "yes"})
