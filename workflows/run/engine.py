"""AgentRun: one supervised agent run, its lifecycle and its wiring (AgentRunWorkflow, in
workflows/run/agent_run.py, is its face to Temporal and hands every handler to it).

The loop is plan -> gate -> act -> record, each a named step (workflows/run/turn.py). This
class starts a run, continues it as new, ends it (with a saga if it must) and answers
queries; its parts (the mixins) take approvals, controls, handoffs and the run queue.
"""

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

from contracts.approvals import CancelRequest
from contracts.artifacts import ArtifactRef
from contracts.budget import OperatorNote
from contracts.carry import CarriedState
from contracts.events import EventKind, RunEvent
from contracts.kill_switch import KillSwitches
from contracts.model_io import Message
from contracts.run_log import ArchivedPage, RunLog
from contracts.snapshot import EventsQuery, RunResult, RunSnapshot
from contracts.spec import RunSpec
from contracts.states import RunState
from contracts.steps import StepRecord
from contracts.tools import ToolDeclaration
from contracts.versions import agent_version
from workflows.common.ending import end_as_canceled, tell_parent
from workflows.common.failures import local_failure_reason
from workflows.run.approval_book import ApprovalBook
from workflows.run.approval_wait import ApprovalWait
from workflows.run.budget_check import initial_usage
from workflows.run.controls import RunControls
from workflows.run.decisions import RunDecisions
from workflows.run.declaring import declare_request, declares_before_first_call
from workflows.run.handoff import HandedOff, Handoffs
from workflows.run.holds import RunFailed, RunHolds
from workflows.run.ledger import RunLedger
from workflows.run.live import LiveStream
from workflows.run.log_archive import ArchiveFailed, archive
from workflows.run.metrics import RunMetrics
from workflows.run.outcome import run_outcome
from workflows.run.publishing import Publisher
from workflows.run.queue_slot import QueueSlot
from workflows.run.released import ReleasedRuns
from workflows.run.saga import roll_back
from workflows.run.scheduled import ScheduledRuns
from workflows.run.step_book import StepBook
from workflows.run.turn import RunTurn, TurnInterrupted

SYSTEM = "system"
RUN_FAILED = "RunFailed"
DECLARE_TIMEOUT = timedelta(seconds=30)


class AgentRun(
    RunTurn,
    ApprovalWait,
    RunDecisions,
    RunControls,
    RunHolds,
    QueueSlot,
    Handoffs,
    ScheduledRuns,
    ReleasedRuns,
):
    def __init__(self, spec: RunSpec) -> None:
        if spec.carried is None and spec.agent_version:  # set by the run, never by a client
            spec = spec.model_copy(update={"agent_version": ""})
        self._spec = spec
        self._ledger = RunLedger(spec)
        self._approvals = ApprovalBook(workflow.info().workflow_id, spec.policy)
        carried = spec.carried
        self._budget = carried.budget if carried else initial_usage(spec.budget, workflow.now())
        self._paused: OperatorNote | None = carried.paused if carried else None
        self._kill_switches = (carried and carried.kill_switches) or KillSwitches(version=0)
        # Messages since the last model call; the conversation before them lives in the
        # artifact store (self._conversation), so it is not resent through history.
        self._unsent: list[Message] = list(carried.unsent) if carried else []
        self._conversation: ArtifactRef | None = carried.conversation if carried else None
        self._segment = carried.segment if carried else 0
        self._segment_start = self._budget.steps_used
        self._final_answer: str | None = None
        self._answer_artifact: ArtifactRef | None = None
        self._failure_reason: str | None = None
        self._blocked_reason: str | None = None
        self._cancel_request: CancelRequest | None = None
        self._drive_task: asyncio.Task[None] | None = None
        self._publishing: asyncio.Task[None] | None = None
        self._publisher = Publisher(spec.policy.redact_patterns)
        self._metrics = RunMetrics(spec.agent)
        self._steps = (
            StepBook(carried.steps, carried.steps_recorded, carried.steps_archived)
            if carried
            else StepBook()
        )
        self._archived: list[ArchivedPage] = list(carried.archived) if carried else []
        self._uncompensated: list[str] = []
        self._output_attempts = carried.output_attempts if carried else 0
        self._tools = {tool.name: tool for tool in carried.tools} if carried else {}
        # The live-progress stream (its handlers: handlers.py): a run nobody streams to adds
        # nothing to history.
        self.live = LiveStream(carried.stream_offset if carried else 0, spec.policy.redact_patterns)

    async def run(self, spec: RunSpec) -> RunResult:
        try:
            return await self._run_segment(spec)
        finally:
            await self._release_slot()  # run queue: only once the run has ended

    async def _run_segment(self, spec: RunSpec) -> RunResult:
        if spec.carried is None:
            self._metrics.started()
        self._publishing = asyncio.create_task(self._keep_published())
        self._drive_task = asyncio.create_task(self._drive())
        try:
            if self._cancel_request is not None:
                self._drive_task.cancel()
            await self._drive_task
        except asyncio.CancelledError:
            request = self._cancel_request
            if request is None:  # `temporal workflow cancel`
                await self._end(RunState.CANCELED, "temporal", "workflow cancellation requested")
            else:
                await self._end(RunState.CANCELED, f"user:{request.by}", request.reason)
        except RunFailed as failure:
            self._failure_reason = failure.reason
            await self._declare_for_the_record()
            await self._end(RunState.FAILED, SYSTEM, failure.reason)
        return await self._close()

    async def _close(self) -> RunResult:
        """Close with the Temporal status that tells the run's end at a glance (the Web UI
        list, `overseer ls`): completed -> Completed, failed -> Failed, canceled -> Canceled.
        rolled_back -> Canceled when a cancel caused it, Failed when a failure did: the work
        asked for was not done (its effects were undone), which Completed would hide, and
        what stopped it is what a person scanning the list needs. The result (also in a
        failure's details, and signalled to a parent pipeline) and the queries still give
        the whole end."""
        await self._tell_schedule(self._result())  # a scheduled run: its outcome, maybe a pause
        await self._tell_release()  # a run under a release: how its side did
        result = self._result()
        # Replies first (the cancel update answers with the end): a closed run takes none.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if result.state is RunState.COMPLETED:
            return result
        await tell_parent(self._run_id, result)
        if self._failure_reason is not None:  # failed, or rolled back after a failure
            raise ApplicationError(
                self._failure_reason, result, type=RUN_FAILED, non_retryable=True
            ) from None
        request = self._cancel_request
        await end_as_canceled(f"{request.by}: {request.reason}" if request else "canceled")
        return result

    def _result(self) -> RunResult:
        return RunResult(
            state=self._ledger.state,
            final_answer=self._final_answer,
            answer_artifact=self._answer_artifact,
            reason=self._failure_reason,
            steps=self._budget.steps_used,
            last_event_seq=self._ledger.last_seq,
            # For a pipeline: how this run handed off, and what its rollback must undo.
            handoff=self._handoff,
            compensable=(
                self._steps.completed_irreversible()
                if self._ledger.state is RunState.COMPLETED
                else []
            ),
        )

    # -- the loop -------------------------------------------------------------------------

    async def _drive(self) -> None:
        if self._spec.carried is None:
            await self._fill_scheduled_goal()  # a scheduled run's {scheduled_time}, {previous.*}
            if declares_before_first_call(self._spec):
                await self._declare_tools()  # else the first model call declares them
            await self._wait_for_slot()  # run queue: in `created`, if the spec says so
            self._load_context()
        while True:
            if self._time_to_continue_as_new():
                await self._continue_as_new()
            response = await self._plan()
            if not response.tool_calls:
                if await self._answer_breaks_contract(response):
                    continue
                self._final_answer, self._answer_artifact = response.text, response.text_artifact
                self._move(RunState.COMPLETED, self._agent_actor, "final answer given")
                return
            try:
                for index, call in enumerate(response.tool_calls, start=1):
                    await self._handle_call(call, index)
            except TurnInterrupted:
                self._skip_unanswered(response.tool_calls)
            except HandedOff:  # to another agent (workflows/run/handoff.py)
                return

    def _time_to_continue_as_new(self) -> bool:
        every = self._spec.continue_as_new_after_steps
        due = every is not None and self._budget.steps_used - self._segment_start >= every
        return due or workflow.info().is_continue_as_new_suggested()

    async def _continue_as_new(self) -> None:
        """Start a fresh history segment with the run's state; the run id stays the same.

        The segment's events and steps go to the artifact store first, so what the next
        segment carries does not grow with the run."""
        self._note(EventKind.CONTINUED_AS_NEW, SYSTEM, f"segment {self._segment + 1} begins")
        last_seq, last_step = self._ledger.last_seq, self._steps.recorded
        try:
            self._archived += await archive(self._ledger.events, self._steps.unarchived())
            self._ledger.archived_through(last_seq)
            self._steps.archived_through(last_step)
        except ArchiveFailed as failure:  # nothing is lost: the log is carried in full
            self._note(EventKind.ARCHIVE_FAILED, SYSTEM, f"log carried in full: {failure}")
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._publisher.flush(self.snapshot(), closing=True)  # the next segment starts with them
        carried = CarriedState(
            state=self._ledger.state,
            events=self._ledger.events,
            steps=self._steps.steps,
            archived=self._archived,
            last_seq=self._ledger.last_seq,
            steps_recorded=self._steps.recorded,
            steps_archived=self._steps.archived,
            budget=self._budget,
            conversation=self._conversation,
            unsent=self._unsent,
            model_version=self._ledger.model_version,
            output_attempts=self._output_attempts,
            segment=self._segment + 1,
            paused=self._paused,
            kill_switches=self._kill_switches,
            tools=list(self._tools.values()),
            stream_offset=self.live.offset(),
        )
        workflow.continue_as_new(self._spec.model_copy(update={"carried": carried}))

    async def _declare_tools(self) -> None:
        """Learn the agent's tools from the worker before the first model call, as data
        pinned in this history (workflows/run/declaring.py says which runs do)."""
        try:
            # A local activity: run by the worker running this task, its answer recorded in
            # the same task (a marker), with no round trip to the server.
            declared: list[ToolDeclaration] = await workflow.execute_local_activity(
                "tools.declare",
                declare_request(self._spec),
                result_type=list[ToolDeclaration],
                summary=f"declare tools: {', '.join(self._spec.tools) or 'none'}"[:200],
                start_to_close_timeout=DECLARE_TIMEOUT,
            )
        except FailureError as error:
            raise RunFailed(local_failure_reason("tool declarations", error)) from None
        self._pin_tools(declared)

    async def _declare_for_the_record(self) -> None:
        """A run failing before its model first answered still gets its version (what
        `overseer versions` counts the failure under): its tools, declared on the way out."""
        if not self._tools_declared:
            with contextlib.suppress(RunFailed):  # a tool missing: the version stays unknown
                await self._declare_tools()

    @property
    def _tools_declared(self) -> bool:
        # The version is set exactly when the tools are pinned (a forged one is cleared at
        # the run's start), and later segments carry it in their spec.
        return bool(self._spec.agent_version)

    def _pin_tools(self, declared: list[ToolDeclaration]) -> None:
        self._tools = {tool.name: tool for tool in declared}
        # Known now: what shapes this run's behaviour, its tools included (pinned in the
        # spec of later segments, recorded on every event from here on).
        version = agent_version(self._spec, declared)
        self._spec = self._spec.model_copy(update={"agent_version": version})
        self._ledger.agent_version = version

    def _load_context(self) -> None:
        spec = self._spec
        if spec.instructions:
            self._unsent.append(Message(role="system", content=spec.instructions))
        self._unsent.append(Message(role="user", content=spec.goal, artifact=spec.goal_artifact))
        self._move(RunState.CONTEXT_LOADED, SYSTEM, f"goal and instructions of {spec.agent}")

    # -- helpers --------------------------------------------------------------------------

    def _move(
        self, target: RunState, actor: str, detail: str = "", evidence: list[str] | None = None
    ) -> None:
        if self._ledger.state is target:
            return
        self._ledger.transition(
            target, at=workflow.now(), actor=actor, detail=detail, evidence=evidence or []
        )
        if target.is_terminal:
            self._metrics.finished(target.value)
        self._publish()

    def _note(
        self, kind: EventKind, actor: str, detail: str, evidence: list[str] | None = None
    ) -> RunEvent:
        event = self._ledger.note(
            kind, at=workflow.now(), actor=actor, detail=detail, evidence=evidence or []
        )
        self._publish()
        return event

    async def _end(self, state: RunState, actor: str, detail: str) -> None:
        """End the run; first undo its irreversible steps, if it has any (a saga)."""
        self._approvals.withdraw_all()
        if not self._steps.completed_irreversible():
            self._move(state, actor, detail)
            return
        self._uncompensated = await roll_back(
            self._steps,
            run_id=self._run_id,
            workspace=self._spec.workspace,
            policy_for=self._spec.retries.for_tool,
            record=lambda kind, text, evidence: self._note(kind, SYSTEM, text, evidence),
        )
        if not self._uncompensated:
            self._move(RunState.ROLLED_BACK, actor, f"{detail}; every irreversible step undone")
            return
        left = "; ".join(self._uncompensated)
        self._failure_reason = f"{detail}; rollback incomplete, uncompensated: {left}"
        self._move(RunState.FAILED, actor, self._failure_reason)

    def _publish(self) -> None:
        """The run changed: publish it at the end of this workflow task (now, if it ended)."""
        self._publisher.stale = True
        if self._ledger.state.is_terminal:
            self._publisher.flush(self.snapshot())

    async def _keep_published(self) -> None:
        while True:
            await workflow.wait_condition(lambda: self._publisher.stale)
            self._publisher.flush(self.snapshot())

    # -- queries --------------------------------------------------------------------------

    def snapshot(self) -> RunSnapshot:
        # Built on every event for the Web UI's details: every field is already valid,
        # so skip pydantic's validation.
        return RunSnapshot.model_construct(
            run_id=self._run_id,
            agent=self._spec.agent,
            goal=self._spec.goal,
            requester=self._spec.requester,
            state=self._ledger.state,
            step=self._budget.steps_used,
            pending_approvals=self._approvals.pending,
            budget=self._budget.model_copy(),
            paused_by=self._paused.by if self._paused else None,
            last_event_seq=self._ledger.last_seq,
            trace_id=self._spec.trace_id,
            agent_version=self._spec.agent_version,
            final_answer=self._final_answer,
            failure_reason=self._failure_reason,
            canceling=self._canceling(),
            blocked_reason=self._blocked_reason,
            retry_of=self._spec.retry_of,
            uncompensated=self._uncompensated,
            queue_position=self._queue_position,
            handoff=self._handoff,
            outcome=run_outcome(
                self._ledger.state,
                self._failure_reason,
                self._ledger.events,
                self._cancel_request is not None,
            ),
        )

    def _canceling(self) -> str | None:
        request = self._cancel_request
        if request is None or self._ledger.state.is_terminal:
            return None
        return f"by {request.by}: {request.reason}"

    def steps(self) -> list[StepRecord]:
        return self._steps.steps

    def events(self, query: EventsQuery | None = None) -> list[RunEvent]:
        """This segment's events; `log` says where the earlier ones are."""
        return self._ledger.after((query or EventsQuery()).after_seq)

    def log(self, query: EventsQuery | None = None) -> RunLog:
        """The whole log in one answer: where the archived pages are, and the live part
        (events after `after_seq`)."""
        after_seq = (query or EventsQuery()).after_seq
        return RunLog(
            archived=self._archived,
            events=self._ledger.after(after_seq),
            steps=self._steps.steps,
            segment_first_step=self._steps.segment_first_step,
            temporal_run_id=workflow.info().run_id,
        )
