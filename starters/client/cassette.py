"""Record a run's model calls as a cassette: they are already in its Temporal history."""

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError

from contracts.cassette import Cassette, CassetteEntry
from contracts.errors import OverseerError
from contracts.model_io import ModelRequest, ModelResponse

LLM_ACTIVITY = "llm.complete"


async def cassette_from_history(client: Client, run_id: str) -> Cassette:
    handle = client.get_workflow_handle(run_id)
    converter = client.data_converter
    requests: dict[int, ModelRequest] = {}
    entries: list[CassetteEntry] = []
    try:
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled = event.activity_task_scheduled_event_attributes
                if scheduled.activity_type.name == LLM_ACTIVITY:
                    [request] = await converter.decode(scheduled.input.payloads, [ModelRequest])
                    requests[event.event_id] = request
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                completed = event.activity_task_completed_event_attributes
                request = requests.get(completed.scheduled_event_id)
                if request is not None:
                    decoded: list[Any] = await converter.decode(
                        completed.result.payloads, [ModelResponse]
                    )
                    entries.append(
                        CassetteEntry(
                            turn=len(entries) + 1,
                            # Recorded by the model activity over the whole conversation.
                            request_fingerprint=decoded[0].request_fingerprint,
                            response=decoded[0],
                        )
                    )
    except RPCError as error:
        raise OverseerError(f"run {run_id}: {error.message}") from None
    if not entries:
        raise OverseerError(f"run {run_id} has no completed model calls to record")
    return Cassette(run_id=run_id, model=entries[0].response.model, entries=entries)
