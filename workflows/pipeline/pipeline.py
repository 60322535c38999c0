"""PipelineWorkflow: several agents, each step a child AgentRunWorkflow, joined by output
contracts. Sequential steps and fan-out (with a concurrency limit), a failure policy per
step, and one rollback across steps when the pipeline is canceled or fails."""

import asyncio
import contextlib
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from contracts.approvals import CancelRequest, Decision
from contracts.ending import CHILD_ENDED_SIGNAL, ChildEnded
from contracts.pipeline import (
    ChildProgress,
    ItemState,
    PipelineCarry,
    PipelineResult,
    PipelineSnapshot,
    PipelineSpec,
    PipelineState,
)
from workflows.common.bodies import BodyRefused, parse_body, parse_update_body
from workflows.common.child_progress import CHILD_PROGRESS_SIGNAL
from workflows.common.ending import end_as_canceled
from workflows.pipeline.board import PipelineBoard
from workflows.pipeline.children import ChildRuns
from workflows.pipeline.details import PublishedPipeline, publish_pipeline
from workflows.pipeline.rollback import anything_undone, roll_back_pipeline
from workflows.pipeline.steps import StepFailed, StepRunner
from workflows.run.approval_book import DecisionRefused
from workflows.run.controls import CANCEL_REPLY_WAIT

PIPELINE_FAILED = "PipelineFailed"


@workflow.defn(name="PipelineWorkflow")
class PipelineWorkflow:
    @workflow.init
    def __init__(self, spec: PipelineSpec) -> None:
        self._spec = spec
        self._board = PipelineBoard(spec)
        self._children = ChildRuns(spec, self._board)
        self._steps = StepRunner(spec, self._board, self._children)
        self._state = PipelineState.RUNNING
        self._cancel_request: CancelRequest | None = None
        self._failure_reason: str | None = None
        self._uncompensated: list[str] = []
        self._published: PublishedPipeline | None = None
        self._segment = spec.carried.segment if spec.carried else 0

    @workflow.run
    async def run(self, spec: PipelineSpec) -> PipelineResult:
        self._publish()
        try:
            await self._run_steps()
        except asyncio.CancelledError:  # `temporal workflow cancel`: children get it too
            self._children.halt(CancelRequest(by="temporal", reason="workflow cancellation"))
        if self._children.halt_request is None:
            self._end(PipelineState.COMPLETED, "every step completed")
        else:
            await self._wind_down()
        return await self._close()

    async def _close(self) -> PipelineResult:
        """Close with the Temporal status that tells the pipeline's end at a glance, as a
        run does (workflows/run/agent_run.py): rolled_back -> Canceled when a cancel halted
        it, Failed when a failed step did."""
        result = PipelineResult(
            state=self._state,
            outputs=self._board.outputs(),
            failure_reason=self._failure_reason,
            uncompensated=self._uncompensated,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)  # the cancel's reply
        if self._state is PipelineState.COMPLETED:
            return result
        if self._failure_reason is not None:  # failed, or rolled back after a failed step
            raise ApplicationError(
                self._failure_reason, result, type=PIPELINE_FAILED, non_retryable=True
            )
        await end_as_canceled(self._halt_reason)
        return result

    async def _run_steps(self) -> None:
        carried = self._spec.carried
        first = carried.next_step if carried else 0
        for index, step in enumerate(self._spec.steps[first:], start=first):
            if self._children.halt_request is not None:
                return
            if carried is None or index > carried.next_step:  # else it began earlier
                self._note("step_started", step.name)
            try:
                finished = await self._steps.run_step(step)
            except StepFailed as failed:
                self._failure_reason = failed.reason
                return
            if not finished and self._children.halt_request is None:
                await self._continue_as_new(index)
            self._publish()

    async def _continue_as_new(self, next_step: int) -> None:
        """A fresh history segment with the pipeline's state; no child is in flight."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._children.halt_request is not None:
            return  # canceled meanwhile: this run winds down, nothing is carried
        self._note("continued_as_new", "", detail=f"segment {self._segment + 1} begins")
        specs, results = self._children.undo_records()
        carried = PipelineCarry(
            segment=self._segment + 1,
            next_step=next_step,
            items=self._board.items,
            events=self._board.events,
            completed=[item.label for item in self._board.completed],
            child_specs=specs,
            child_results=results,
        )
        workflow.continue_as_new(self._spec.model_copy(update={"carried": carried}))

    async def _wind_down(self) -> None:
        """The pipeline halted (canceled or a step failed): undo what completed, then end."""
        for item in self._board.all_items():
            if item.state is ItemState.PENDING:
                self._board.fail(item, ItemState.CANCELED, "not started: the pipeline halted")
        self._uncompensated = await roll_back_pipeline(self._board, self._children, self._note)
        if self._uncompensated:
            left = "; ".join(self._uncompensated)
            why = self._failure_reason or self._halt_reason
            self._failure_reason = f"{why}; rollback incomplete, uncompensated: {left}"
            self._end(PipelineState.FAILED, self._failure_reason)
        elif anything_undone(self._board):
            self._end(PipelineState.ROLLED_BACK, f"{self._halt_reason}; every step undone")
        elif self._failure_reason is not None:
            self._end(PipelineState.FAILED, self._failure_reason)
        else:
            self._end(PipelineState.CANCELED, self._halt_reason)

    @property
    def _halt_reason(self) -> str:
        request = self._children.halt_request
        return f"halted by {request.by}: {request.reason}" if request else "halted"

    def _end(self, state: PipelineState, detail: str) -> None:
        self._state = state
        self._note("pipeline_ended", "", detail=f"{state}: {detail}")

    def _note(self, kind: str, step: str, run_id: str = "", detail: str = "") -> None:
        self._board.note(kind, workflow.now(), step, run_id, detail)
        self._publish()

    def _publish(self) -> None:
        self._published = publish_pipeline(self.snapshot(), self._published)

    # -- queries, updates, signals ---------------------------------------------------------

    @workflow.query(name="snapshot")
    def snapshot(self) -> PipelineSnapshot:
        return PipelineSnapshot.model_construct(
            pipeline_id=workflow.info().workflow_id,
            name=self._spec.name,
            goal=self._spec.goal,
            requester=self._spec.requester,
            state=self._state,
            items=self._board.all_items(),
            events=self._board.events,
            failure_reason=self._failure_reason,
            uncompensated=self._uncompensated,
            trace_id=self._spec.trace_id,
            segment=self._segment,
        )

    @workflow.update(name="cancel")
    async def cancel(self, body: Any) -> PipelineSnapshot:
        """Replies with the pipeline as the cancel left it: ended, or still halting its
        children (within CANCEL_REPLY_WAIT)."""
        self._request_cancel(parse_update_body(CancelRequest, body))
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._state.is_terminal, timeout=CANCEL_REPLY_WAIT
            )
        return self.snapshot()

    @cancel.validator
    def _validate_cancel(self, body: Any) -> None:
        parse_update_body(CancelRequest, body)
        self._check_running()

    @workflow.signal(name="cancel")
    def cancel_signal(self, body: Any = None) -> None:
        try:
            request = parse_body(CancelRequest, body)
            self._check_running()
        except (BodyRefused, DecisionRefused) as error:
            self._note("signal_rejected", "", detail=f"cancel signal refused: {error}")
            return
        self._request_cancel(request)

    def _check_running(self) -> None:
        if self._state.is_terminal:
            raise DecisionRefused(f"pipeline has already ended ({self._state})")
        if self._children.halt_request is not None:
            raise DecisionRefused(f"pipeline is halting ({self._halt_reason})")

    def _request_cancel(self, request: CancelRequest) -> None:
        self._cancel_request = request
        self._note("cancel_requested", "", detail=f"by {request.by}: {request.reason}")
        self._children.halt(request)

    @workflow.signal(name=CHILD_ENDED_SIGNAL)
    def child_ended(self, ended: ChildEnded) -> None:
        if self._board.child(ended.run_id) is not None:  # only a child of this pipeline
            self._children.ended[ended.run_id] = ended.result

    @workflow.signal(name=CHILD_PROGRESS_SIGNAL)
    def child_progress(self, progress: ChildProgress) -> None:
        found = self._board.child(progress.run_id)
        if found is None or found[1].state.is_terminal:
            return  # a late report from a child that has already ended
        _, child = found
        child.state = progress.state
        child.pending_approvals = progress.pending_approvals
        child.blocked_reason = progress.blocked_reason
        self._publish()

    # Decisions sent to the pipeline (e.g. the Web UI's "Send a Signal") go to the child
    # that waits for that action; the child validates and records them as usual.
    @workflow.signal(name="approve")
    async def approve_signal(self, body: Any = None) -> None:
        await self._forward_decision("approve", body)

    @workflow.signal(name="reject")
    async def reject_signal(self, body: Any = None) -> None:
        await self._forward_decision("reject", body)

    async def _forward_decision(self, name: str, body: Any) -> None:
        try:
            decision = parse_body(Decision, body)
        except BodyRefused as error:
            self._note("signal_rejected", "", detail=f"{name} signal refused: {error}")
            return
        # The action id in full or short (`3.1`): the short form names one action only if
        # one child waits for it (with this hash); the child gets the full id.
        owners = [
            (run_id, request.action_id)
            for run_id, request in self.snapshot().pending_approvals
            if decision.action_id in (request.action_id, request.short_id)
            and decision.args_sha256 == request.args_sha256
        ]
        if len(owners) != 1:
            detail = f"{name} signal refused: no single child waits for action {decision.action_id}"
            self._note("signal_rejected", "", detail=detail)
            return
        child, action_id = owners[0]
        self._note(f"{name}_forwarded", "", child, f"action {action_id}")
        forwarded = decision.model_copy(update={"action_id": action_id})
        await workflow.get_external_workflow_handle(child).signal(name, forwarded)
