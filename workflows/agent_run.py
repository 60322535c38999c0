"""AgentRunWorkflow: one supervised agent run.

The loop is plan -> gate -> act -> record, each a named step. Humans talk to the run
through updates (synchronous, validated: a refused update leaves no history) and signals
of the same names (for tools that can only signal); both are plain JSON.
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

from contracts.approvals import CancelRequest
from contracts.artifacts import ArtifactRef
from contracts.budget import OperatorNote
from contracts.carry import CarriedState
from contracts.events import EventKind, RunEvent
from contracts.handoff import HANDOFF_TOOL
from contracts.hashing import action_hash, idempotency_key
from contracts.kill_switch import KillSwitches
from contracts.model_io import (
    Message,
    ModelRequest,
    ModelResponse,
    ModelSpec,
    ToolCall,
)
from contracts.run_log import ArchivedPage, RunLog
from contracts.snapshot import EventsQuery, RunResult, RunSnapshot
from contracts.spec import RunSpec
from contracts.states import RunState
from contracts.steps import StepRecord
from contracts.tools import ToolInvocation, ToolResult
from workflows.activity_options import activity_options
from workflows.approval_book import ApprovalBook, DecidedAction, action_id_for
from workflows.budget_check import (
    count_call,
    initial_usage,
    wall_clock_deadline,
)
from workflows.failures import dead_letter_reason, message_of
from workflows.gate import gate
from workflows.handoff import HandedOff, Handoffs
from workflows.ledger import RunLedger
from workflows.model_calls import NoModelAvailable, Unavailable, ask_models
from workflows.output_contract import contract_violation, reprompt
from workflows.publishing import Publisher
from workflows.queue_slot import QueueSlot
from workflows.references import stored_answer_violation
from workflows.run_controls import RunControls
from workflows.run_holds import RunFailed, RunHolds
from workflows.run_log import ArchiveFailed, archive
from workflows.run_metrics import RunMetrics
from workflows.saga import roll_back
from workflows.state_machine import IllegalTransition
from workflows.step_book import StepBook

with workflow.unsafe.imports_passed_through():
    from activities.errors import TOOL_INPUT_INVALID, TOOL_REFUSED
    from activities.kill_check import KILLED
    from activities.tools.base import ToolDefinition
    from activities.tools.registry import TOOLS

SYSTEM = "system"
KILL_RECHECK = timedelta(seconds=2)
RUN_FAILED = "RunFailed"
# Tool failures that are the model's mistake: it is told, the run goes on.
TOLD_TO_MODEL = frozenset({TOOL_REFUSED, TOOL_INPUT_INVALID})


class _TurnInterrupted(Exception):
    """A tool call of this turn did not go through; the model plans again."""


@workflow.defn(name="AgentRunWorkflow", failure_exception_types=[IllegalTransition])
class AgentRunWorkflow(RunControls, RunHolds, QueueSlot, Handoffs):
    @workflow.init
    def __init__(self, spec: RunSpec) -> None:
        self._spec = spec
        self._ledger = RunLedger(spec)
        self._approvals = ApprovalBook(workflow.info().workflow_id)
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

    @workflow.run
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
            if request is None:  # `temporal workflow cancel`: end as Temporal asks
                await self._end(RunState.CANCELED, "temporal", "workflow cancellation requested")
                raise
            await self._end(RunState.CANCELED, f"user:{request.by}", request.reason)
        except RunFailed as failure:
            self._failure_reason = failure.reason
            await self._end(RunState.FAILED, SYSTEM, failure.reason)
            reason = self._failure_reason or failure.reason
            raise ApplicationError(reason, type=RUN_FAILED, non_retryable=True) from None
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
            except _TurnInterrupted:
                self._skip_unanswered(response.tool_calls)
            except HandedOff:  # to another agent (workflows/handoff.py)
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
        self._publisher.flush(self.snapshot())  # the next segment starts with them
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
        )
        workflow.continue_as_new(self._spec.model_copy(update={"carried": carried}))

    def _load_context(self) -> None:
        spec = self._spec
        if spec.instructions:
            self._unsent.append(Message(role="system", content=spec.instructions))
        self._unsent.append(Message(role="user", content=spec.goal, artifact=spec.goal_artifact))
        self._move(RunState.CONTEXT_LOADED, SYSTEM, f"goal and instructions of {spec.agent}")

    async def _plan(self) -> ModelResponse:
        budget = self._budget
        self._move(RunState.PLANNING, SYSTEM)
        await self._checkpoint(None)
        budget.steps_used += 1
        response = await self._ask_model(budget.steps_used)
        budget.input_tokens += response.usage.input_tokens
        budget.output_tokens += response.usage.output_tokens
        budget.cost_usd = round(budget.cost_usd + response.cost_usd, 10)
        self._metrics.model_used(
            response.model,
            response.usage.input_tokens,
            response.usage.output_tokens,
            response.cost_usd,
        )
        self._ledger.model_version = response.model_version
        self._conversation = response.conversation  # it holds the messages sent, and the answer
        self._unsent = []
        asks = ", ".join(call.name for call in response.tool_calls) or "nothing (final answer)"
        self._note(EventKind.MODEL_TURN, self._agent_actor, f"asks for {asks}")
        return response

    async def _ask_model(self, step: int) -> ModelResponse:
        """The model's answer for this step; waits in `blocked` while no model can answer."""
        spec = self._spec
        while True:
            try:
                return await ask_models(
                    [spec.model, *spec.fallback_models],
                    lambda model: ModelRequest(
                        run_id=self._run_id,
                        step=step,
                        model=model,
                        messages=self._unsent,
                        conversation=self._conversation,
                        tool_names=[name for name in spec.tools if name in TOOLS],
                    ),
                    self._model_unavailable,
                    spec.retries.model,
                    self._steps,
                )
            except NoModelAvailable as none:
                await self._wait_blocked("circuit_open", none.retry_in)
            except ActivityError as error:
                raise RunFailed(dead_letter_reason(f"model {spec.model.name}", error)) from None

    def _model_unavailable(self, model: ModelSpec, unavailable: Unavailable) -> None:
        self._note(
            EventKind.MODEL_UNAVAILABLE,
            SYSTEM,
            f"{model.provider}/{model.name} {unavailable.reason}: {unavailable.detail}",
        )

    async def _wait_blocked(self, reason: str, duration: timedelta) -> None:
        resumes = self._ledger.state
        self._blocked_reason = reason
        self._move(RunState.BLOCKED, SYSTEM, f"{reason}: trying again in {duration}")
        await workflow.sleep(duration, summary=f"{reason}: wait {duration}")
        self._blocked_reason = None
        self._move(resumes, SYSTEM, f"{reason}: waited {duration}, trying again")

    async def _handle_call(self, call: ToolCall, index: int) -> None:
        verdict = gate(self._spec, call)
        if verdict.tool is None or verdict.denied_reason is not None:
            reason = verdict.denied_reason or "denied"
            self._note(EventKind.TOOL_DENIED, SYSTEM, reason, [call.id])
            self._tell_model(call, f"denied: {reason}", is_error=True)
            raise _TurnInterrupted
        if verdict.tool.name == HANDOFF_TOOL:  # carried out by the run (workflows/handoff.py)
            return await self._hand_off(call)
        actor = SYSTEM
        await self._checkpoint(call)  # no human is asked to approve what cannot run now
        if verdict.needs_approval:
            actor, call = await self._await_approval(call, index)
            await self._checkpoint(call)  # paused or killed while the approval waited?
        while not await self._act(call, verdict.tool, actor):
            # A worker found a kill switch on. Wait it out; if the run already knows it
            # is off again, give the workers' one-second cache time to see that too.
            if self._hold_reason(call) is None:
                await workflow.sleep(KILL_RECHECK, summary="kill switch: check again")
            await self._checkpoint(call)

    async def _await_approval(self, call: ToolCall, index: int) -> tuple[str, ToolCall]:
        """Wait for a decision on this exact call; returns the approver's actor name and
        the call to make (with the approver's edits, if any)."""
        request = self._approvals.open(
            action_id=action_id_for(self._run_id, self._budget.steps_used, index),
            call=call,
            step=self._budget.steps_used,
            policy=self._spec.policy,
            requester=self._spec.requester,
            now=workflow.now(),
        )
        self._move(
            RunState.WAITING_FOR_APPROVAL,
            SYSTEM,
            f"{call.name} needs approval (action {request.action_id})",
            [request.action_id, request.args_sha256],
        )
        self._metrics.approval_requested(call.name)
        decided = await self._decision_on(request.action_id, request.expires_at)
        if decided is None:  # expired, and the policy blocks: a human must still decide
            self._note(EventKind.APPROVAL_EXPIRED, SYSTEM, f"{request.action_id} expired")
            self._blocked_reason = f"approval_expired: action {request.action_id}"
            self._move(RunState.BLOCKED, SYSTEM, f"{self._blocked_reason} waits for a human")
            decided = await self._decision_on(request.action_id, None)
            assert decided is not None
            self._blocked_reason = None
        if decided.decision is None:  # expired, and the policy rejected it
            self._note(EventKind.APPROVAL_EXPIRED, SYSTEM, f"{request.action_id} expired: rejected")
            self._tell_model(call, "rejected: the approval request expired", True)
            self._move(RunState.PLANNING, SYSTEM, f"{call.name} not approved in time")
            raise _TurnInterrupted
        actor = f"user:{decided.decision.approver}"
        if decided.verdict == "rejected":
            why = decided.decision.reason or "no reason given"
            self._tell_model(call, f"rejected by {decided.decision.approver}: {why}", True)
            self._move(RunState.PLANNING, actor, f"{call.name} rejected: {why}")
            raise _TurnInterrupted
        edited = decided.decision.edited_args
        return actor, call if edited is None else call.model_copy(update={"arguments": edited})

    async def _decision_on(
        self, action_id: str, expires_at: datetime | None
    ) -> DecidedAction | None:
        """The decision, or None if the request expired and the policy blocks on expiry.

        The wait is also the run's wall-clock timer: when max_wall_seconds runs out first,
        the run blocks on its budget (or fails, per policy) while the request stays open."""
        while self._approvals.outcome(action_id) is None:
            wall_deadline = wall_clock_deadline(self._budget)
            deadline = min((d for d in (expires_at, wall_deadline) if d), default=None)
            timeout = max(deadline - workflow.now(), timedelta(0)) if deadline else None
            try:
                await workflow.wait_condition(
                    lambda: self._approvals.outcome(action_id) is not None,
                    timeout=timeout,
                    timeout_summary=f"approval of {action_id}: deadline" if timeout else None,
                )
            except TimeoutError:
                if expires_at and workflow.now() >= expires_at:
                    request = next(r for r in self._approvals.pending if r.action_id == action_id)
                    if request.on_expiry == "block":
                        return None
                    self._approvals.expire(action_id)
                else:
                    await self._hold_while(self._wall_clock_hold)  # blocked until extended
        return self._approvals.outcome(action_id)

    async def _act(self, call: ToolCall, tool: ToolDefinition, actor: str) -> bool:
        """Run the tool and record its result; False if a kill switch stopped it first."""
        self._move(RunState.EXECUTING, actor, f"running {tool.summary(call.arguments)}")
        invocation = ToolInvocation(
            run_id=self._run_id,
            call_id=call.id,
            idempotency_key=idempotency_key(self._run_id, self._budget.steps_used, call.id),
            workspace=self._spec.workspace,
            step=self._budget.steps_used,
            args=call.arguments,
            agent=self._spec.agent,
        )
        step = self._steps.begin(
            turn=self._budget.steps_used,
            kind="tool",
            name=tool.name,
            summary=tool.summary(call.arguments),
            side_effect=str(tool.side_effect),
            call_id=call.id,
            idempotency_key=invocation.idempotency_key,
            args=call.arguments,
        )
        try:
            result: ToolResult = await workflow.execute_activity(
                tool.activity_name,
                invocation,
                result_type=ToolResult,
                activity_id=step.activity_id,
                summary=step.summary,
                **activity_options(self._spec.retries.for_tool(tool.name)),
            )
        except ActivityError as error:
            self._steps.finish(step, "failed")
            if is_cancelled_exception(error):  # the run is being canceled, see run()
                raise asyncio.CancelledError from None
            cause = error.cause
            message = message_of(error)
            if isinstance(cause, ApplicationError) and cause.type == KILLED:
                self._learn_kill_switches(cause, message)
                return False
            self._metrics.tool_failed(tool.name)
            if isinstance(cause, ApplicationError) and cause.type in TOLD_TO_MODEL:
                self._note(EventKind.TOOL_FAILED, SYSTEM, f"{tool.name}: {message}", [call.id])
                self._tell_model(call, f"error: {message}", is_error=True)
                raise _TurnInterrupted from None
            raise RunFailed(dead_letter_reason(f"tool {tool.name}", error)) from None
        self._steps.finish(step, "completed")
        count_call(self._budget, action_hash(call.name, call.arguments))
        self._record(call, result)
        return True

    def _learn_kill_switches(self, error: ApplicationError, message: str) -> None:
        newer = KillSwitches.model_validate(error.details[0]) if error.details else None
        if newer is not None and newer.version > self._kill_switches.version:
            self._kill_switches = newer
        self._note(EventKind.KILL_SWITCHES, SYSTEM, f"the worker did not run the tool: {message}")

    def _record(self, call: ToolCall, result: ToolResult) -> None:
        self._budget.tool_calls += 1
        evidence = [call.id, *([str(result.artifact)] if result.artifact else [])]
        self._note(EventKind.TOOL_RESULT, SYSTEM, f"{call.name}: {result.summary}", evidence)
        self._tell_model(call, result.output, is_error=False, artifact=result.artifact)

    # -- helpers --------------------------------------------------------------------------

    @property
    def _run_id(self) -> str:
        return workflow.info().workflow_id

    @property
    def _agent_actor(self) -> str:
        return f"agent:{self._spec.agent}"

    def _tell_model(
        self, call: ToolCall, content: str, is_error: bool, artifact: ArtifactRef | None = None
    ) -> None:
        self._unsent.append(
            Message(
                role="tool",
                content=content,
                tool_call_id=call.id,
                is_error=is_error,
                artifact=artifact,
            )
        )

    def _skip_unanswered(self, calls: list[ToolCall]) -> None:
        answered = {m.tool_call_id for m in self._unsent if m.role == "tool"}
        for call in calls:
            if call.id not in answered:
                self._tell_model(call, "skipped: an earlier call in this turn did not run", True)

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

    async def _answer_breaks_contract(self, response: ModelResponse) -> bool:
        """True if the answer misses the output schema and the model is asked again."""
        schema, answer = self._spec.output_schema, response.text
        if schema is None:
            return False
        if response.text_artifact is None:
            violation = contract_violation(answer, schema)
        else:  # `text` is a preview: the whole answer is checked where it is stored
            try:
                violation = await stored_answer_violation(response.text_artifact, schema)
            except ActivityError as error:
                raise RunFailed(dead_letter_reason("output contract check", error)) from None
        if violation is None:
            return False
        self._note(
            EventKind.OUTPUT_INVALID, self._agent_actor, f"{violation}; answer: {answer[:500]}"
        )
        if self._output_attempts >= self._spec.output_retries:
            raise RunFailed(
                f"invalid_output: {violation} (after {self._output_attempts + 1} answers)"
            )
        self._output_attempts += 1
        self._unsent.append(Message(role="user", content=reprompt(violation, schema)))
        return True

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

    @workflow.query(name="snapshot")
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
            final_answer=self._final_answer,
            failure_reason=self._failure_reason,
            blocked_reason=self._blocked_reason,
            retry_of=self._spec.retry_of,
            uncompensated=self._uncompensated,
            queue_position=self._queue_position,
            handoff=self._handoff,
        )

    @workflow.query(name="steps")
    def steps(self) -> list[StepRecord]:
        return self._steps.steps

    @workflow.query(name="events")
    def events(self, query: EventsQuery | None = None) -> list[RunEvent]:
        """This segment's events; `log` says where the earlier ones are."""
        return self._ledger.after((query or EventsQuery()).after_seq)

    @workflow.query(name="log")
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
