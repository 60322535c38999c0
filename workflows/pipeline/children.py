"""Starting a pipeline's child runs, waiting for them, and halting them. Workflow code."""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError, ChildWorkflowError, FailureError

from contracts import WORKFLOW_NAME
from contracts.approvals import CancelRequest
from contracts.artifacts import ArtifactRef
from contracts.handoff import Handoff
from contracts.output_contract import contract_violation
from contracts.pipeline import ChildRole, ChildRun, PipelineSpec, StepItem
from contracts.references import JSON_MEDIA_TYPE as JSON
from contracts.references import by_reference
from contracts.snapshot import RunResult
from contracts.spec import RunSpec
from contracts.states import RunState
from workflows.common.failures import message_of
from workflows.common.references import stored_answer_violation
from workflows.pipeline.board import PipelineBoard


@dataclass(frozen=True)
class Attempt:
    """How one child run went, as far as the pipeline cares."""

    output: Any = None
    failure: str | None = None  # why there is no valid output
    canceled: bool = False  # the pipeline halted it (or it never started)
    handoff: Handoff | None = None  # it handed the task to another agent


class ChildRuns:
    def __init__(self, spec: PipelineSpec, board: PipelineBoard) -> None:
        self._spec = spec
        self._board = board
        self._running: dict[str, workflow.ChildWorkflowHandle[Any, RunResult]] = {}
        # What the rollback needs of a finished child: its spec and its result.
        carried = spec.carried
        self.specs: dict[str, RunSpec] = dict(carried.child_specs) if carried else {}
        self.results: dict[str, RunResult] = dict(carried.child_results) if carried else {}
        self.halt_request: CancelRequest | None = None
        # How children that ended canceled or failed ended, as they signalled it.
        self.ended: dict[str, RunResult] = {}
        self.started_in_segment = 0

    def segment_full(self) -> bool:
        """Time to continue as new: start no more items, let the running ones finish."""
        if self.started_in_segment == 0:  # a segment always makes progress
            return False
        limit = self._spec.continue_as_new_after_children
        full = limit is not None and self.started_in_segment >= limit
        return full or workflow.info().is_continue_as_new_suggested()

    def undo_records(self) -> tuple[dict[str, RunSpec], dict[str, RunResult]]:
        """What a later segment's rollback needs: the children with steps to undo."""
        keep = [run_id for run_id, result in self.results.items() if result.compensable]
        return (
            {run_id: self.specs[run_id] for run_id in keep},
            {run_id: self.results[run_id] for run_id in keep},
        )

    def halt(self, request: CancelRequest) -> None:
        """Start no more children and ask every running one to cancel (with who and why)."""
        if self.halt_request is not None:
            return
        self.halt_request = request
        for handle in self._running.values():
            asyncio.create_task(self._cancel(handle))  # noqa: RUF006  (awaited via the child)

    async def _cancel(self, handle: workflow.ChildWorkflowHandle[Any, RunResult]) -> None:
        assert self.halt_request is not None
        try:
            await handle.signal("cancel", self.halt_request)
        except Exception:
            workflow.logger.info("child %s ended before its cancel signal", handle.id)

    async def run(
        self,
        item: StepItem,
        spec: RunSpec,
        run_id: str,
        role: ChildRole,
        schema: dict[str, Any] | None,
    ) -> Attempt:
        if self.halt_request is not None:
            return Attempt(failure="not started: the pipeline halted", canceled=True)
        child = ChildRun(run_id=run_id, agent=spec.agent, role=role)
        item.children.append(child)
        self.specs[run_id] = spec
        self.started_in_segment += 1
        self._board.note("child_started", workflow.now(), item.label, run_id, f"agent {spec.agent}")
        handle = await workflow.start_child_workflow(
            WORKFLOW_NAME,
            spec,
            id=run_id,
            result_type=RunResult,
            static_summary=f"{self._spec.name} / {item.label}: {spec.agent}"[:200],
        )
        self._running[run_id] = handle
        if self.halt_request is not None:  # halted while it was starting
            await self._cancel(handle)
        try:
            result = await handle
        except ChildWorkflowError as error:
            if isinstance(error.cause, CancelledError) and _pipeline_being_canceled():
                # `temporal workflow cancel` on the pipeline reached the child first.
                self.halt(CancelRequest(by="temporal", reason="workflow cancellation requested"))
            # A child ending Canceled or Failed returns no result: it signalled its end first.
            ended = self.ended.pop(run_id, None)
            if ended is None:
                return self._lost(error, child)
            result = ended
        finally:
            del self._running[run_id]
            child.pending_approvals, child.blocked_reason = [], None
        self.results[run_id] = result
        child.state, child.reason, child.handoff = result.state, result.reason, result.handoff
        return await self._judge(item, child, result, schema)

    def _lost(self, error: ChildWorkflowError, child: ChildRun) -> Attempt:
        """A child that closed without saying how (terminated, timed out, or crashed)."""
        cause = error.cause
        reason = cause.message if isinstance(cause, FailureError) else str(error)
        child.state, child.reason = RunState.FAILED, reason
        return Attempt(failure=reason, canceled=self.halt_request is not None)

    async def _judge(
        self, item: StepItem, child: ChildRun, result: RunResult, schema: dict[str, Any] | None
    ) -> Attempt:
        if result.state is not RunState.COMPLETED:
            # Canceled by the pipeline's halt: no failure policy. Canceled by anyone else
            # (`overseer cancel` on the child): a failure like any other.
            failure = result.reason or f"run ended {result.state}"
            return Attempt(failure=failure, canceled=self.halt_request is not None)
        if result.handoff is not None:
            return Attempt(handoff=result.handoff)
        answer = result.final_answer or ""
        if result.answer_artifact is not None:
            return await self._judge_stored(item, child, result.answer_artifact, schema)
        if schema is None:
            return Attempt(output=answer)
        # The child already holds its answers to the contract; checked again here because
        # nothing reaches the next step unchecked (an agent file may loosen its own schema).
        violation = contract_violation(answer, schema)
        if violation is not None:
            detail = f"{violation}; answer: {answer[:300]}"
            self._board.note("output_invalid", workflow.now(), item.label, child.run_id, detail)
            return Attempt(failure=f"invalid_output: {violation}")
        return Attempt(output=json.loads(answer))

    async def _judge_stored(
        self, item: StepItem, child: ChildRun, answer: ArtifactRef, schema: dict[str, Any] | None
    ) -> Attempt:
        """A long answer stays in the artifact store: checked there by an activity, and
        passed on by reference (as JSON under a contract, else as text)."""
        if schema is None:
            return Attempt(output=by_reference(answer))
        try:
            violation = await stored_answer_violation(answer, schema)
        except ActivityError as error:
            return Attempt(failure=f"output contract check failed: {message_of(error)}")
        if violation is not None:
            detail = f"{violation}; answer: artifact {answer} ({answer.size} bytes)"
            self._board.note("output_invalid", workflow.now(), item.label, child.run_id, detail)
            return Attempt(failure=f"invalid_output: {violation}")
        return Attempt(output=by_reference(answer.model_copy(update={"media_type": JSON})))


def _pipeline_being_canceled() -> bool:
    """Temporal asked to cancel the pipeline: the SDK turned it into the child's cancel,
    and the task awaiting the child carries the request."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
