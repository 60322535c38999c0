"""A run's tools are pinned in its history by its first model call or, for a run that must
know them sooner, by the `tools.declare` local activity (workflows/run/declaring.py)."""

import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Worker

from activities.tools.activity import CHAOS_DELAY_ENV
from activities.tools.declare import declare_tools
from contracts import search_attributes as sa
from contracts.events import EventKind
from contracts.model_io import (
    ModelRequest,
    ModelResponse,
    ModelSpec,
    ScriptedCall,
    ScriptTurn,
    Usage,
)
from contracts.queue import QueueSpec
from contracts.states import RunState
from contracts.versions import agent_version
from tests.helpers import events, make_spec, snapshot, start
from workers.sandbox import SANDBOX, WORKFLOW_CLASSES
from workflows.run.publishing import ALONE_AFTER

LOOK_THEN_ANSWER = [
    ScriptTurn(say="Looking around.", tool_calls=[ScriptedCall(tool="list_files")]),
    ScriptTurn(say="Nothing to do."),
]


async def _model_calls(
    client: Client, handle: WorkflowHandle[Any, Any]
) -> tuple[list[ModelRequest], list[ModelResponse], list[int]]:
    """The model calls' requests and answers as recorded, and every event's type."""
    requests: list[ModelRequest] = []
    responses: list[ModelResponse] = []
    types: list[int] = []
    decode = client.data_converter.decode
    async for event in handle.fetch_history_events():
        types.append(event.event_type)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == "llm.complete":
                requests += await decode(scheduled.input.payloads, [ModelRequest])
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            result = event.activity_task_completed_event_attributes.result.payloads
            if b'"model_version"' in result[0].data:
                responses += await decode(result, [ModelResponse])
    return requests, responses, types


async def test_the_first_model_call_declares_the_tools_and_its_answer_pins_them(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, LOOK_THEN_ANSWER)
    handle = await start(client, spec, worker.task_queue)
    assert (await handle.result()).state is RunState.COMPLETED
    requests, responses, types = await _model_calls(client, handle)

    assert EventType.EVENT_TYPE_MARKER_RECORDED not in types  # no activity of its own
    first, *later = requests
    assert first.declare is not None and first.declare.names == spec.tools
    assert first.tool_names == []  # the workflow did not know them yet
    assert later and all(r.declare is None and r.tool_names == spec.tools for r in later)
    declared = responses[0].declared
    assert declared is not None and [tool.name for tool in declared] == spec.tools
    assert all(response.declared is None for response in responses[1:])
    assert (await snapshot(handle)).agent_version == agent_version(spec, declared)


async def test_a_queued_run_declares_before_it_waits_and_a_missing_tool_fails_it_there(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    queue = QueueSpec(queue_id=f"declaring-{uuid.uuid4().hex[:8]}")
    spec = make_spec(tmp_path, tools=["list_files", "open_pull_request"], queue=queue)
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    failed = await snapshot(handle)
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith("non_retryable: tool declarations: ")
    assert "the worker has no tool 'open_pull_request'" in failed.failure_reason
    requests, _, types = await _model_calls(client, handle)
    # Declared by the local activity (its marker), before the queue or a model was asked.
    assert EventType.EVENT_TYPE_MARKER_RECORDED in types
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in types and requests == []


async def test_a_version_sent_by_a_client_does_not_skip_the_declarations(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, LOOK_THEN_ANSWER, agent_version="v000000000000")
    handle = await start(client, spec, worker.task_queue)
    assert (await handle.result()).state is RunState.COMPLETED  # its tool calls went through
    _, responses, _ = await _model_calls(client, handle)
    declared = responses[0].declared
    assert declared is not None
    real = agent_version(spec.model_copy(update={"agent_version": ""}), declared)
    assert (await snapshot(handle)).agent_version == real != "v000000000000"


@activity.defn(name="llm.complete")
async def complete_as_an_older_worker(request: ModelRequest) -> ModelResponse:
    """A model activity from before model calls declared tools: it answers, declaring none
    (and, as the scripted planner does, says it is done once it is given the tools)."""
    usage = Usage(input_tokens=7)
    if not request.tool_names:
        return ModelResponse(text="no tools?", model="older", model_version="1", usage=usage)
    return ModelResponse(text="done", model="older", model_version="1", usage=usage)


async def test_an_answer_from_an_older_worker_is_not_used_the_run_declares_and_asks_again(
    client: Client, tmp_path: Path
) -> None:
    task_queue = f"older-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOW_CLASSES),
        activities=[complete_as_an_older_worker, declare_tools],
        workflow_runner=SANDBOX,
    ):
        spec = make_spec(tmp_path, LOOK_THEN_ANSWER)
        handle = await start(client, spec, task_queue)
        assert (await handle.result()).state is RunState.COMPLETED
        done = await snapshot(handle)
        logged = await events(handle)
    requests, _, types = await _model_calls(client, handle)
    # Asked without the tools (the older worker ignored `declare`), then with them.
    assert [r.declare is not None for r in requests] == [True, False]
    assert requests[1].tool_names == spec.tools
    assert EventType.EVENT_TYPE_MARKER_RECORDED in types  # declared by the run itself
    assert done.step == 1 and done.budget.input_tokens == 2 * 7  # both answers paid for
    assert done.agent_version
    noted = [e.detail for e in logged if e.kind is EventKind.MODEL_UNAVAILABLE]
    assert noted == [
        "the model's answer came from a worker that does not declare tools (an older "
        "version): the run declares them itself and asks again"
    ]


async def test_a_run_failing_before_its_model_answers_still_has_its_version(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, model=ModelSpec(provider="replay"))  # no cassette: refused
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    failed = await snapshot(handle)
    assert failed.failure_reason is not None and "cassette" in failed.failure_reason
    assert failed.agent_version  # declared on the way out: `overseer versions` counts it
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.AGENT_VERSION) == failed.agent_version


async def _upserts(handle: WorkflowHandle[Any, Any]) -> list[tuple[int, set[str]]]:
    """Each search-attribute upsert's event id and the attributes it set."""
    return [
        (
            e.event_id,
            set(
                e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            ),
        )
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]


async def test_a_quick_run_lists_its_version_with_its_end_not_in_an_upsert_of_its_own(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path, LOOK_THEN_ANSWER), worker.task_queue)
    await handle.result()
    upserts = await _upserts(handle)
    # Running, then the end: the version rides with the end (one visibility write fewer).
    [(_, running), (_, ended)] = upserts
    assert sa.AGENT_VERSION.name not in running
    assert {sa.AGENT_VERSION.name, sa.OUTCOME.name} <= ended
    described = await handle.describe()
    listed = described.typed_search_attributes.get(sa.AGENT_VERSION)
    assert listed == (await snapshot(handle)).agent_version != ""


async def test_a_run_at_work_lists_its_version_within_a_step_of_two_seconds(
    client: Client, worker: Worker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tool takes longer than ALONE_AFTER: the step after it lists the version.
    monkeypatch.setenv(CHAOS_DELAY_ENV, str(ALONE_AFTER.total_seconds() + 0.5))
    handle = await start(client, make_spec(tmp_path, LOOK_THEN_ANSWER), worker.task_queue)
    await handle.result()
    upserts = await _upserts(handle)
    tool_done = [
        e.event_id
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ][1]
    listed = [(event_id, names) for event_id, names in upserts if sa.AGENT_VERSION.name in names]
    # On its own, after the slow tool, before the run's end.
    assert [names for _, names in listed] == [{sa.AGENT_VERSION.name}]
    assert tool_done < listed[0][0] < upserts[-1][0]
