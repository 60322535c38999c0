"""Client-side access to pipelines: start one, show its tree, route decisions to children."""

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from opentelemetry import trace
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from contracts.approvals import ApprovalRequest, CancelRequest
from contracts.errors import OverseerError
from contracts.pipeline import PIPELINE_WORKFLOW_NAME, PipelineSnapshot, PipelineSpec
from starters.client.runs import RunClient
from starters.files.pipeline_file import load_pipeline_file
from workers.telemetry import TRACER_NAME, current_trace_id

QUERY_TIMEOUT = timedelta(seconds=10)


async def is_pipeline(client: Client, run_id: str) -> bool:
    """True if the run id names a pipeline (a PipelineWorkflow), False for anything else."""
    try:
        described = await client.get_workflow_handle(run_id).describe(rpc_timeout=QUERY_TIMEOUT)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise OverseerError(f"no run {run_id!r} in this namespace") from None
        raise OverseerError(f"run {run_id}: {error.message}") from None
    return described.workflow_type == PIPELINE_WORKFLOW_NAME


async def agent_run(client: Client, run_id: str, command: str) -> RunClient:
    """The run to act on; a pipeline id is refused, naming what to use instead (its steps
    are the runs)."""
    if await is_pipeline(client, run_id):
        raise OverseerError(
            f"{run_id} is a pipeline, not a run: {command} takes one of its step runs "
            f"(ids {run_id}.<step>, listed by `overseer status {run_id}`)"
        )
    return RunClient(client, run_id)


async def start_pipeline(
    client: Client, path: Path, goal: str, requester: str, task_queue: str
) -> tuple[str, PipelineSpec]:
    if not goal.strip():
        raise OverseerError("--goal must not be empty")
    with trace.get_tracer(TRACER_NAME).start_as_current_span("overseer run pipeline"):
        trace_id = current_trace_id() or secrets.token_hex(16)
        spec = load_pipeline_file(path, goal=goal, requester=requester, trace_id=trace_id)
        pipeline_id = f"{spec.name}-{secrets.token_hex(4)}"
        steps = " -> ".join(
            step.name + (f" (for each {step.for_each})" if step.for_each else "")
            for step in spec.steps
        )
        await client.start_workflow(
            PIPELINE_WORKFLOW_NAME,
            spec,
            id=pipeline_id,
            task_queue=task_queue,
            static_summary=f"pipeline {spec.name}: {goal}"[:200],
            static_details=f"**Pipeline** {spec.name} · **requester** {requester}\n\n"
            f"**Steps** {steps}\n\n**Goal** {goal}\n\n**Trace** {trace_id}",
        )
    return pipeline_id, spec


class PipelineClient:
    def __init__(self, client: Client, pipeline_id: str) -> None:
        self.pipeline_id = pipeline_id
        self._handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(pipeline_id)

    async def snapshot(self) -> PipelineSnapshot:
        try:
            snapshot: PipelineSnapshot = await self._handle.query(
                "snapshot", result_type=PipelineSnapshot, rpc_timeout=QUERY_TIMEOUT
            )
            return snapshot
        except RPCError as error:
            raise OverseerError(f"pipeline {self.pipeline_id}: {error.message}") from None

    async def cancel(self, request: CancelRequest) -> PipelineSnapshot:
        try:
            snapshot: PipelineSnapshot = await self._handle.execute_update(
                "cancel", request, result_type=PipelineSnapshot, rpc_timeout=QUERY_TIMEOUT
            )
            return snapshot
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            why = cause.message if isinstance(cause, FailureError) else str(error)
            raise OverseerError(f"cancel refused: {why}") from None
        except RPCError as error:
            raise OverseerError(f"pipeline {self.pipeline_id}: {error.message}") from None

    async def owner_of(self, action: str | None) -> tuple[str, ApprovalRequest]:
        """The child run waiting for this action (its full id `CHILD_RUN/STEP.N`, or the
        short `STEP.N` if only one child has it), or the only pending one when none is named."""
        pending = (await self.snapshot()).pending_approvals
        matches = [
            (run_id, request)
            for run_id, request in pending
            if action in (None, request.action_id, request.short_id)
        ]
        if len(matches) == 1:
            return matches[0]
        listed = ", ".join(r.action_id for _, r in pending) or "none"
        if not matches:
            raise OverseerError(
                f"pipeline {self.pipeline_id} has no such pending action (pending: {listed})"
            )
        raise OverseerError(
            f"several actions wait in pipeline {self.pipeline_id}: name one of {listed}"
        )


def pipeline_tree(snapshot: PipelineSnapshot) -> str:
    """The pipeline, its steps and their children, as a tree for the terminal."""
    lines = [
        f"pipeline:  {snapshot.pipeline_id}   [{snapshot.state}]",
        f"name:      {snapshot.name}   requester: {snapshot.requester}",
        f"goal:      {snapshot.goal}",
    ]
    if snapshot.segment:  # it continued as new: one workflow id, several runs
        lines.append(f"segment:   {snapshot.segment} (continued as new {snapshot.segment}x)")
    for index, item in enumerate(snapshot.items):
        last = index == len(snapshot.items) - 1
        branch, stem = ("└─", "   ") if last else ("├─", "│  ")
        why = f"  ({item.reason})" if item.reason else ""
        lines.append(f"{branch} {item.label:<16} {item.state:<12}{why}")
        for child in item.children:
            lines.append(
                f"{stem}  · {child.role:<8} {child.run_id}  {child.agent}  [{child.shown_state}]"
            )
            for request in child.pending_approvals:
                lines.append(
                    f"{stem}      waiting for approval: {request.tool} (action "
                    f"{request.short_id}): overseer approve {snapshot.pipeline_id} "
                    f"{request.action_id} --as YOU"
                )
            if child.blocked_reason:
                lines.append(
                    f"{stem}      blocked: {child.blocked_reason}: overseer reply "
                    f'{child.run_id} --as YOU --text "..."'
                )
    if snapshot.failure_reason:
        lines.append(f"reason:    {snapshot.failure_reason}")
    if snapshot.uncompensated:
        lines.append("uncompensated: " + "; ".join(snapshot.uncompensated))
    return "\n".join(line.rstrip() for line in lines)
