"""Handoffs inside a run, a part of AgentRun (engine.py).

To a human: the run waits in `blocked` for a `human_input` update (validated: a refused one
leaves no history) or signal (a refused one is recorded as `signal_rejected`), then hands
the reply to the model as the tool's result. To another agent: the run ends `completed`
with the handoff in its result; whoever started it (a pipeline) continues with that agent.
"""

from typing import Any

from temporalio import workflow

from contracts.events import EventKind
from contracts.handoff import HUMAN, Handoff, HandoffRequest, HumanInput
from contracts.model_io import Message, ToolCall
from contracts.states import RunState
from workflows.common.bodies import BodyRefused, parse_body, parse_update_body
from workflows.run.approval_book import DecisionRefused
from workflows.run.parts import RunParts

HANDOFF_REASON = "handoff_to_human"


class HandedOff(Exception):
    """The run handed its task to another agent: the loop stops, the run has completed."""


class Handoffs(RunParts):
    # Class-level defaults (immutable), so the workflow's __init__ needs no extra line.
    _handoff: Handoff | None = None
    _human_reply: HumanInput | None = None

    # Provided by RunControls, earlier in the run's MRO.
    def _refuse_signal(self, name: str, body: Any, error: Exception) -> None:
        raise NotImplementedError

    async def _hand_off(self, call: ToolCall) -> None:
        """Carry out a `handoff` call (its arguments already passed the gate)."""
        request = HandoffRequest.model_validate(call.arguments)
        actor = f"agent:{self._spec.agent}"
        self._handoff = Handoff(
            to=request.to, reason=request.reason, call_id=call.id, at=workflow.now()
        )
        self._note(EventKind.HANDOFF, actor, f"to {request.to}: {request.reason}", [call.id])
        if request.to != HUMAN:
            self._final_answer = f"handed off to {request.to}: {request.reason}"
            self._move(RunState.PLANNING, actor)
            self._move(RunState.COMPLETED, actor, self._final_answer)
            raise HandedOff
        resumes = self._ledger.state
        self._blocked_reason = f"{HANDOFF_REASON}: {request.reason}"
        self._move(RunState.BLOCKED, actor, f"waiting for a human: {request.reason}")
        await workflow.wait_condition(lambda: self._human_reply is not None)
        reply = self._human_reply
        assert reply is not None
        self._human_reply, self._handoff, self._blocked_reason = None, None, None
        self._unsent.append(
            Message(role="tool", content=f"{reply.by} replied: {reply.text}", tool_call_id=call.id)
        )
        self._move(resumes, f"user:{reply.by}", "human input received")

    # -- the reply: update (validated) and signal --------------------------------------

    def human_input(self, body: Any) -> int:
        """Returns the sequence number of the recorded `human_input` event."""
        return self._accept_reply(parse_update_body(HumanInput, body))

    def validate_human_input(self, body: Any) -> None:
        parse_update_body(HumanInput, body)
        self._check_waiting_for_human()

    def human_input_signal(self, body: Any = None) -> None:
        try:
            reply = parse_body(HumanInput, body)
            self._check_waiting_for_human()
        except (BodyRefused, DecisionRefused) as error:
            self._refuse_signal("human_input", body, error)
            return
        self._accept_reply(reply)

    def _check_waiting_for_human(self) -> None:
        waiting = self._handoff is not None and self._handoff.to == HUMAN
        if not waiting or self._human_reply is not None or self._cancel_request is not None:
            raise DecisionRefused(
                f"run is not waiting for human input (state: {self._ledger.state})"
            )

    def _accept_reply(self, reply: HumanInput) -> int:
        self._human_reply = reply
        return self._note(EventKind.HUMAN_INPUT, f"user:{reply.by}", reply.text).seq
