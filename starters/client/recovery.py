"""Restart boundaries and dead letters, from the client: steps, reset, retry."""

import secrets
import uuid
from typing import Any

from opentelemetry import trace
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyExcludeType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from contracts.approvals import ResetNote
from contracts.errors import OverseerError
from contracts.spec import RunSpec
from contracts.steps import StepRecord
from starters.client.runs import RunClient, start_spec
from workers.telemetry import TRACER_NAME, current_trace_id


def _unsafe_from(steps: list[StepRecord], to_step: int) -> list[StepRecord]:
    return [step for step in steps if step.index >= to_step and not step.safe_to_rerun]


async def _scheduling_task(handle: WorkflowHandle[Any, Any], step: int) -> int:
    """The workflow task that scheduled step `step`'s activity (its id is `step-<n>`)."""
    async for event in handle.fetch_history_events():
        scheduled = event.activity_task_scheduled_event_attributes
        if (
            event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and scheduled.activity_id == f"step-{step}"
        ):
            return scheduled.workflow_task_completed_event_id
    raise OverseerError(f"run {handle.id} has no step {step} in its current history")


async def reset_run(
    client: Client, run_id: str, to_step: int, by: str, reason: str, force: bool
) -> str:
    """Re-run from step `to_step` with Temporal's reset; returns the new Temporal run id.

    Refused when an irreversible step from there on has completed (re-running it would
    repeat its effect), unless forced; a forced reset names those steps in its record.
    Temporal resets within one history: only this segment's steps (with a continued run)
    can be reset to, and every one of them is in the `log` query's live steps.
    """
    log = await RunClient(client, run_id).log()
    first, last = log.segment_first_step, max((s.index for s in log.steps), default=0)
    if not first <= to_step <= last:
        where = f"steps {first} to {last}" if first <= last else "no steps yet"
        earlier = " (earlier ones are in closed segments: it continued as new)" if first > 1 else ""
        raise OverseerError(f"run {run_id} can be reset to {where}{earlier}, not {to_step}")
    unsafe = _unsafe_from(log.steps, to_step)
    over = [f"{step.index} ({step.summary})" for step in unsafe]
    if unsafe and not force:
        raise OverseerError(
            f"refusing to reset {run_id} to step {to_step}: irreversible step(s) "
            f"{', '.join(over)} completed after it and would run again; "
            "use --force --reason to do it anyway"
        )
    # The segment the steps were read from: if the run has continued as new since, its
    # steps have changed, and Temporal would reset a closed run.
    segment = client.get_workflow_handle(run_id, run_id=log.temporal_run_id)
    task_id = await _scheduling_task(segment, to_step)
    if (await client.get_workflow_handle(run_id).describe()).run_id != log.temporal_run_id:
        raise OverseerError(f"run {run_id} continued as new meanwhile: try again")
    request = ResetWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=run_id, run_id=log.temporal_run_id),
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
    # Built before the reset, so a note that cannot be sent never leaves a half-done reset.
    note = ResetNote(by=by, reason=reason, to_step=to_step, forced_over=over)
    try:
        response = await client.workflow_service.reset_workflow_execution(request)
    except RPCError as error:
        raise OverseerError(f"reset of {run_id} refused by Temporal: {error.message}") from None
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
