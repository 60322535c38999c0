"""The worker's sandbox runner (workers/lean_sandbox.py): every payload gets the serialization
context the SDK's own runner gives it, and the sandbox still refuses what it refuses."""

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

from temporalio import workflow
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _fake_info
from temporalio.workflow import _Definition

from contracts.data_converter import overseer_data_converter
from contracts.snapshot import RunResult
from contracts.spec import RunSpec
from tests.sandbox_probe_workflows import ProbeOneActivity, ProbeReadsTheClock, echo
from workers.lean_sandbox import LeanSandboxedWorkflowRunner
from workers.sandbox import SANDBOX, WORKFLOW_CLASSES, workflow_helpers
from workflows.common.defn_once import _same_shape, sdk_internals_supported
from workflows.run.agent_run import AgentRunWorkflow
from workflows.run.handlers import AgentRunHandlers

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
    assert sdk_internals_supported(), "workers/lean_sandbox.py was written for another temporalio"
    assert isinstance(SANDBOX, LeanSandboxedWorkflowRunner)


def test_the_workflow_classes_modules_stay_sandboxed() -> None:
    passed_through = set(workflow_helpers())
    assert {cls.__module__ for cls in WORKFLOW_CLASSES}.isdisjoint(passed_through)
    assert "workflows.run.agent_run" not in passed_through
    # The run's code is passed through: workflows/ruff.toml checks it instead
    # (tests/test_workflow_lint.py).
    assert {"workflows.run.engine", "workflows.run.handlers"} <= passed_through


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
        async with asyncio.timeout(30):  # the first workflow task fails at once
            async for event in handle.fetch_history_events(wait_new_event=True):
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    break
        failure = event.workflow_task_failed_event_attributes.failure
        assert failure.application_failure_info.type == "RestrictedWorkflowAccessError"
        assert "Cannot access datetime.datetime.now" in failure.message
        await handle.terminate("probe done")


async def test_each_runs_class_reuses_the_definition_validated_at_worker_start() -> None:
    validated = _Definition.must_from_class(AgentRunWorkflow)
    instance = SANDBOX.create_instance(
        WorkflowInstanceDetails(
            payload_converter_factory=overseer_data_converter._new_payload_converter,
            failure_converter_class=overseer_data_converter.failure_converter_class,
            interceptor_classes=[],
            defn=validated,
            info=_fake_info,
            randomness_seed=0,
            extern_functions={},
            disable_eager_activity_execution=False,
            worker_level_failure_exception_types=[],
            patch_activation_callback=None,
            last_completion_result=Payloads(),
            last_failure=Failure(),
        )
    )
    in_sandbox = instance.globals_and_locals["__temporal_workflow_class"]  # type: ignore[attr-defined]
    run_copy = _Definition.must_from_class(in_sandbox)
    assert in_sandbox is not AgentRunWorkflow  # the sandbox's own copy of the class
    assert run_copy.cls is in_sandbox and run_copy.run_fn is vars(in_sandbox)["run"]
    assert run_copy.updates is validated.updates and run_copy.signals is validated.signals


class SameShape(AgentRunHandlers):
    @workflow.init
    def __init__(self, spec: RunSpec) -> None:
        pass

    @workflow.run
    async def run(self, spec: RunSpec) -> RunResult:
        raise NotImplementedError


def _extra(self: AgentRunHandlers) -> str:
    return "mine"


# SameShape's own methods, and a query of its own.
WithAHandlerOfItsOwn = type(
    "WithAHandlerOfItsOwn",
    (AgentRunHandlers,),
    {
        "__init__": vars(SameShape)["__init__"],
        "run": vars(SameShape)["run"],
        "extra": workflow.query(name="extra")(_extra),
    },
)


def test_only_a_class_of_the_same_shape_reuses_a_definition() -> None:
    assert _same_shape(AgentRunWorkflow, SameShape)
    assert not _same_shape(AgentRunWorkflow, WithAHandlerOfItsOwn)  # a handler of its own
    assert not _same_shape(SameShape, type("Subclassed", (SameShape,), {}))  # other bases
