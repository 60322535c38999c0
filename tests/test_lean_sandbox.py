"""The worker's sandbox runner (workers/lean_sandbox.py): every payload gets the serialization
context the SDK's own runner gives it, and the sandbox still refuses what it refuses."""

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.sandbox_probe_workflows import ProbeOneActivity, ProbeReadsTheClock, echo
from workers.lean_sandbox import LeanSandboxedWorkflowRunner, lean_supported
from workers.sandbox import SANDBOX, workflow_helpers

CONTEXTS: list[tuple[str, SerializationContext | None]] = []


@dataclass(frozen=True)
class RecordingCodec(PayloadCodec, WithSerializationContext):
    """Notes the context of every payload it encodes (and changes nothing)."""

    context: SerializationContext | None = field(default=None)

    def with_context(self, context: SerializationContext) -> Self:
        return type(self)(context)

    async def encode(self, payloads: Any) -> list[Payload]:
        CONTEXTS.extend((payload.data.decode(), self.context) for payload in payloads)
        return list(payloads)

    async def decode(self, payloads: Any) -> list[Payload]:
        return list(payloads)


def test_the_lean_runner_is_the_workers_runner_on_this_sdk() -> None:
    # On another temporalio version it steps aside (the SDK's own runner runs workflows):
    # re-read workers/lean_sandbox.py against the new SDK, then extend WRITTEN_FOR.
    assert lean_supported(), "workers/lean_sandbox.py was written for another temporalio"
    assert isinstance(SANDBOX, LeanSandboxedWorkflowRunner)


def test_the_runs_own_code_stays_sandboxed() -> None:
    passed_through = set(workflow_helpers())
    assert "workflows.run.engine" not in passed_through
    assert "workflows.run.agent_run" not in passed_through
    assert "workflows.run.handlers" in passed_through  # only delegates


async def _activity_input_contexts(env: WorkflowEnvironment, runner: WorkflowRunner) -> list[Any]:
    client = await Client.connect(
        env.client.service_client.config.target_host,
        data_converter=DataConverter(payload_codec=RecordingCodec()),
    )
    queue = f"lean-{uuid.uuid4().hex[:8]}"
    marker = f'"probe {uuid.uuid4().hex}"'
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ProbeOneActivity],
        activities=[echo],
        workflow_runner=runner,
    ):
        result = await client.execute_workflow(
            ProbeOneActivity.run, marker.strip('"'), id=queue, task_queue=queue
        )
    assert result == marker.strip('"')
    return [context for data, context in CONTEXTS if data == marker]


async def test_payloads_get_the_same_serialization_context_as_with_the_sdks_runner(
    env: WorkflowEnvironment,
) -> None:
    restrictions = SandboxRestrictions.default
    stock = await _activity_input_contexts(env, SandboxedWorkflowRunner(restrictions))
    lean = await _activity_input_contexts(env, LeanSandboxedWorkflowRunner(restrictions))
    # The workflow's input and result, the activity's input and result; the activity's
    # input is encoded by the workflow's worker, with the activity's context.
    assert any(isinstance(context, ActivitySerializationContext) for context in stock)
    assert [comparable(context) for context in lean] == [comparable(c) for c in stock]


def comparable(context: SerializationContext | None) -> tuple[str, dict[str, Any]] | None:
    """A context without what differs from run to run (the workflow id, its task queue)."""
    if context is None:
        return None
    fields = {
        name: value
        for name, value in dataclasses.asdict(context).items()  # type: ignore[call-overload]
        if name not in {"workflow_id", "activity_task_queue"}
    }
    return type(context).__name__, fields


async def test_the_sandbox_still_refuses_a_workflow_reading_the_clock(
    env: WorkflowEnvironment, client: Client
) -> None:
    queue = f"lean-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ProbeReadsTheClock],
        workflow_runner=LeanSandboxedWorkflowRunner(SandboxRestrictions.default),
    ):
        handle = await client.start_workflow(ProbeReadsTheClock.run, id=queue, task_queue=queue)
        async with asyncio.timeout(30):
            while True:
                events = [e async for e in handle.fetch_history_events()]
                failed = [
                    e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
                ]
                if failed:
                    break
                await asyncio.sleep(0.05)  # polling, under the deadline above
        failure = failed[0].workflow_task_failed_event_attributes.failure
        assert failure.application_failure_info.type == "RestrictedWorkflowAccessError"
        assert "Cannot access datetime.datetime.now" in failure.message
        await handle.terminate("probe done")
