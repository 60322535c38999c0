"""One turn of a run: plan (ask the model) -> gate each tool call -> act -> record.

A part of AgentRun (engine.py): the class keeps the lifecycle (start, continue-as-new, end)
and the wiring; this module is what happens between two model calls.
"""

import asyncio
import functools
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

from contracts.artifacts import ArtifactRef
from contracts.events import EventKind
from contracts.handoff import HANDOFF_TOOL
from contracts.hashing import action_hash, idempotency_key
from contracts.kill_switch import KillSwitches
from contracts.model_io import Message, ModelRequest, ModelResponse, ModelSpec, ToolCall
from contracts.output_contract import contract_violation, reprompt
from contracts.states import RunState
from contracts.text import clip, duration_text
from contracts.tools import (
    DeclareTools,
    ToolDeclaration,
    ToolInvocation,
    ToolResult,
    stored_mcp_schemas,
)
from workflows.common.activity_options import activity_options
from workflows.common.failures import dead_letter_reason, message_of
from workflows.common.references import stored_answer_violation
from workflows.run.budget_check import count_call
from workflows.run.declaring import declare_request
from workflows.run.gate import agent_tools, gate
from workflows.run.holds import RunFailed
from workflows.run.model_calls import NoModelAvailable, Unavailable, ask_models
from workflows.run.parts import RunParts

with workflow.unsafe.imports_passed_through():
    from activities.errors import TOOL_INPUT_INVALID, TOOL_REFUSED
    from activities.kill_check import KILLED
    from activities.llm import TOOLS_NOT_DECLARED

SYSTEM = "system"
KILL_RECHECK = timedelta(seconds=2)
# How much of the denial or rejection a skipped call's event repeats.
SKIP_WHY_CHARS = 200
# Tool failures that are the model's mistake: it is told, the run goes on.
TOLD_TO_MODEL = frozenset({TOOL_REFUSED, TOOL_INPUT_INVALID})


class TurnInterrupted(Exception):
    """A tool call of this turn did not go through; the model plans again."""


class RunTurn(RunParts):
    # Provided by the run (engine.py) and its other mixins (declared for type checking only,
    # so a stub here can never shadow the real method later in the MRO).
    if TYPE_CHECKING:

        async def _checkpoint(self, call: ToolCall | None) -> None: ...

        def _hold_reason(self, call: ToolCall | None) -> str | None: ...

        async def _hand_off(self, call: ToolCall) -> None: ...

        async def _await_approval(self, call: ToolCall, index: int) -> tuple[str, ToolCall]: ...

        @property
        def _tools_declared(self) -> bool: ...

        async def _declare_tools(self) -> None: ...

        def _pin_tools(self, declared: list[ToolDeclaration]) -> None: ...

    async def _plan(self) -> ModelResponse:
        budget = self._budget
        self._move(RunState.PLANNING, SYSTEM)
        await self._checkpoint(None)
        budget.steps_used += 1
        response = await self._ask_model(budget.steps_used)
        self._charge(response)
        self._ledger.model_version = response.model_version
        self._conversation = response.conversation  # it holds the messages sent, and the answer
        self._unsent = []
        asks = ", ".join(call.name for call in response.tool_calls) or "nothing (final answer)"
        retried = (
            f" after {response.attempts} attempts; last error: {response.last_retry_error}"
            if response.attempts > 1
            else ""
        )
        self._note(EventKind.MODEL_TURN, self._agent_actor, f"asks for {asks}{retried}")
        return response

    async def _ask_model(self, step: int) -> ModelResponse:
        """The model's answer for this step; waits in `blocked` while no model can answer.
        The run's first answer also declares its tools, unless they were declared before."""
        spec = self._spec
        while True:
            declare = None if self._tools_declared else declare_request(spec)
            try:
                response = await ask_models(
                    [spec.model, *spec.fallback_models],
                    functools.partial(self._model_request, step=step, declare=declare),
                    self._model_unavailable,
                    spec.retries.model,
                    self._steps,
                )
            except NoModelAvailable as none:
                await self._wait_blocked(none.reason, none.retry_in)
                continue
            except ActivityError as error:
                cause = error.cause
                declaring = isinstance(cause, ApplicationError) and cause.type == TOOLS_NOT_DECLARED
                if declaring:  # before the model was asked: not a step of the run
                    self._budget.steps_used = step - 1
                subject = "tool declarations" if declaring else f"model {spec.model.name}"
                raise RunFailed(dead_letter_reason(subject, error)) from None
            if declare is None:
                return response
            if response.declared is not None:
                self._pin_tools(response.declared)
                return response
            # A worker from before model calls declared tools answered (a rolling deploy):
            # it asked the model without the run's tools. Declare them here and ask again.
            self._count_unused_answer(response)
            await self._declare_tools()

    def _model_request(
        self, model: ModelSpec, step: int, declare: DeclareTools | None
    ) -> ModelRequest:
        spec, tools = self._spec, self._tools
        return ModelRequest(
            run_id=self._run_id,
            step=step,
            model=model,
            messages=self._unsent,
            conversation=self._conversation,
            tool_names=[name for name in agent_tools(spec, tools) if name in tools],
            mcp_tools=stored_mcp_schemas(tools.values()),
            declare=declare,
        )

    def _charge(self, response: ModelResponse) -> None:
        """A model's answer counts towards the budget and metrics, used or not."""
        budget, usage = self._budget, response.usage
        budget.input_tokens += usage.input_tokens
        budget.output_tokens += usage.output_tokens
        budget.cost_usd = round(budget.cost_usd + response.cost_usd, 10)
        self._metrics.model_used(
            response.model, usage.input_tokens, usage.output_tokens, response.cost_usd
        )

    def _count_unused_answer(self, response: ModelResponse) -> None:
        """An answer the run paid for and does not use."""
        self._charge(response)
        self._note(
            EventKind.MODEL_UNAVAILABLE,
            SYSTEM,
            "the model's answer came from a worker that does not declare tools (an older "
            "version): the run declares them itself and asks again",
        )

    def _model_unavailable(self, model: ModelSpec, unavailable: Unavailable) -> None:
        self._note(
            EventKind.MODEL_UNAVAILABLE,
            SYSTEM,
            f"{model.provider}/{model.name} {unavailable.reason}: {unavailable.detail}",
        )

    async def _wait_blocked(self, reason: str, duration: timedelta) -> None:
        resumes = self._ledger.state
        self._blocked_reason = reason
        wait = duration_text(duration)
        self._move(RunState.BLOCKED, SYSTEM, f"{reason}: trying again in {wait}")
        await workflow.sleep(duration, summary=clip(f"{reason}: wait {wait}", 200))
        self._blocked_reason = None
        self._move(resumes, SYSTEM, f"{reason}: waited {wait}, trying again")

    async def _handle_call(self, call: ToolCall, index: int) -> None:
        verdict = gate(self._spec, self._tools, call)
        if verdict.tool is None or verdict.denied_reason is not None:
            reason = verdict.denied_reason or "denied"
            self._note(EventKind.TOOL_DENIED, SYSTEM, reason, [call.id])
            self._tell_model(call, f"denied: {reason}", is_error=True)
            raise TurnInterrupted
        if verdict.tool.name == HANDOFF_TOOL:  # carried out by the run (workflows/run/handoff.py)
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

    async def _act(self, call: ToolCall, tool: ToolDeclaration, actor: str) -> bool:
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
            mcp=tool.mcp,
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
            compensation=tool.compensation_activity,
            task_queue=tool.task_queue,
        )
        try:
            result: ToolResult = await workflow.execute_activity(
                tool.activity_name,
                invocation,
                result_type=ToolResult,
                activity_id=step.activity_id,
                summary=step.summary,
                task_queue=tool.task_queue,  # None: the run's own queue
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
                raise TurnInterrupted from None
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
        """Answer the calls the turn did not reach, and record each with why."""
        told = [m for m in self._unsent if m.role == "tool"]
        answered = {m.tool_call_id for m in told}
        # What ended the turn told the model last: the denial, refusal or rejection.
        stopper = next((m for m in reversed(told) if m.is_error), None)
        why = "an earlier call in this turn did not run"
        evidence: list[str] = []
        if stopper is not None and stopper.tool_call_id is not None:
            why = f"call {stopper.tool_call_id} did not run ({stopper.content[:SKIP_WHY_CHARS]})"
            evidence = [stopper.tool_call_id]
        for call in calls:
            if call.id not in answered:
                self._note(
                    EventKind.TOOL_SKIPPED, SYSTEM, f"{call.name}: {why}", [call.id, *evidence]
                )
                self._tell_model(call, f"skipped: {why}", True)

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
