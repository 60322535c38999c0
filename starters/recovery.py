"""Restart boundaries and dead letters, from the client: steps, reset, retry."""

import secrets
import uuid
from typing import Any

from opentelemetry import trace
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyExcludeType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError

from activities.artifacts import default_store
from contracts.approvals import ResetNote
from contracts.spec import RunSpec
from contracts.steps import StepRecord
from starters.errors import OverseerError
from starters.run_log import whole_step_list
from starters.runs import RunClient, start_spec
from workers.telemetry import TRACER_NAME, current_trace_id


async def run_steps(client: Client, run_id: str) -> list[StepRecord]:
    return await RunClient(client, run_id).steps()


def _unsafe_after(steps: list[StepRecord], to_step: int) -> list[StepRecord]:
    return [step for step in steps[to_step - 1 :] if not step.safe_to_rerun]


async def _scheduling_task(client: Client, run_id: str, index: int) -> tuple[str, int]:
    """The run id and the workflow task that scheduled the run's `index`-th activity."""
    handle = client.get_workflow_handle(run_id)
    seen = 0
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            seen += 1
            if seen == index:
                scheduled = event.activity_task_scheduled_event_attributes
                described = await handle.describe()
                return described.run_id, scheduled.workflow_task_completed_event_id
    raise OverseerError(f"run {run_id} has no step {index} in its current history")


async def reset_run(
    client: Client, run_id: str, to_step: int, by: str, reason: str, force: bool
) -> str:
    """Re-run from step `to_step` with Temporal's reset; returns the new Temporal run id.

    Refused when an irreversible step from there on has completed (re-running it would
    repeat its effect), unless forced; a forced reset names those steps in its record.
    """
    log = await RunClient(client, run_id).log()
    steps = await whole_step_list(default_store(), run_id, log)
    if not 1 <= to_step <= len(steps):
        raise OverseerError(f"run {run_id} has steps 1 to {len(steps)}, not {to_step}")
    first = log.segment_first_step
    if to_step < first:  # Temporal resets within one history; earlier ones are closed
        raise OverseerError(
            f"step {to_step} of run {run_id} is in an earlier history segment (the run "
            f"continued as new); reset can go back to steps {first} to {len(steps)}"
        )
    unsafe = _unsafe_after(steps, to_step)
    over = [f"{step.index} ({step.summary})" for step in unsafe]
    if unsafe and not force:
        raise OverseerError(
            f"refusing to reset {run_id} to step {to_step}: irreversible step(s) "
            f"{', '.join(over)} completed after it and would run again; "
            "use --force --reason to do it anyway"
        )
    temporal_run_id, task_id = await _scheduling_task(client, run_id, to_step - first + 1)
    request = ResetWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=run_id, run_id=temporal_run_id),
        reason=f"overseer reset to step {to_step} by {by}: {reason}",
        workflow_task_finish_event_id=task_id,
        request_id=str(uuid.uuid4()),
        # Decisions made after the reset point must not carry over: each re-run action
        # waits for a fresh approval.
        reset_reapply_exclude_types=[
            ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
            ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
        ],
    )
    try:
        response = await client.workflow_service.reset_workflow_execution(request)
    except RPCError as error:
        raise OverseerError(f"reset of {run_id} refused by Temporal: {error.message}") from None
    note = ResetNote(by=by, reason=reason, to_step=to_step, forced_over=over)
    await client.get_workflow_handle(run_id, run_id=response.run_id).signal("record_reset", note)
    return response.run_id


async def original_spec(client: Client, run_id: str) -> RunSpec:
    handle = client.get_workflow_handle(run_id)
    try:
        async for event in handle.fetch_history_events():
            started = event.workflow_execution_started_event_attributes
            decoded: list[Any] = await client.data_converter.decode(
                started.input.payloads, [RunSpec]
            )
            spec: RunSpec = decoded[0]
            return spec
    except RPCError as error:
        raise OverseerError(f"run {run_id}: {error.message}") from None
    raise OverseerError(f"run {run_id} has no history")


async def retry_run(client: Client, run_id: str, task_queue: str) -> str:
    """Start a fresh run from a run's spec, linked to it (a dead letter's way back)."""
    spec = await original_spec(client, run_id)
    new_id = f"{spec.agent}-{secrets.token_hex(4)}"
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        "overseer retry", attributes={"overseer.run_id": new_id, "overseer.retry_of": run_id}
    ):
        trace_id = current_trace_id() or secrets.token_hex(16)
        retry = spec.model_copy(update={"retry_of": run_id, "trace_id": trace_id})
        await start_spec(client, new_id, retry, task_queue)
    return new_id
