"""Running a pipeline's steps: sequential or fanned out, each item under its failure policy."""

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

from contracts.approvals import CancelRequest
from contracts.pipeline import ChildRole, ItemState, PipelineSpec, PipelineStep, StepItem
from contracts.pipeline_inputs import InputMissing
from contracts.spec import RunSpec
from workflows.common.failures import message_of
from workflows.pipeline.board import PipelineBoard
from workflows.pipeline.children import Attempt, ChildRuns
from workflows.pipeline.step_inputs import (
    Goal,
    MakeInput,
    child_goal_of,
    fan_out_values,
    handed_over,
    item_input,
)

SYSTEM = "system"


class StepFailed(Exception):
    """A step failed under the `fail` policy (or its fallback failed too): the pipeline fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StepRunner:
    def __init__(self, spec: PipelineSpec, board: PipelineBoard, children: ChildRuns) -> None:
        self._spec = spec
        self._board = board
        self._children = children

    async def run_step(self, step: PipelineStep) -> bool:
        """Run the step's pending items; False if some are left for the next segment."""
        outputs, goal = self._board.outputs(), self._spec.goal
        if step.for_each is None:
            [item] = self._board.items[step.name]
            if self._children.segment_full():
                return False
            await self._run_item(step, item, lambda: item_input(step, goal, outputs))
            return True
        try:
            values = await fan_out_values(step, self._spec.goal, outputs)
        except InputMissing as missing:
            raise self._fail(self._board.items[step.name][0], str(missing)) from None
        if not self._board.fanned_out(step.name):
            self._board.fan_out(step.name, len(values))
            self._note("fan_out", step.name, f"{len(values)} items, concurrency {step.concurrency}")
        items = self._board.items[step.name]
        slots = asyncio.Semaphore(step.concurrency)

        async def one(item: StepItem, value: Any) -> None:
            async with slots:
                if self._children.segment_full():
                    return  # left pending: the next segment runs it
                await self._run_item(step, item, lambda: item_input(step, goal, outputs, value))

        pending = [
            (i, v) for i, v in zip(items, values, strict=True) if i.state is ItemState.PENDING
        ]
        ended = await asyncio.gather(*(one(i, v) for i, v in pending), return_exceptions=True)
        for outcome in ended:
            if isinstance(outcome, BaseException):
                raise outcome
        return all(item.state is not ItemState.PENDING for item in items)

    # -- items ----------------------------------------------------------------------------

    async def _run_item(self, step: PipelineStep, item: StepItem, make_input: MakeInput) -> None:
        if self._children.halt_request is not None:
            self._board.fail(item, ItemState.CANCELED, "not started: the pipeline halted")
            return
        item.state = ItemState.RUNNING
        try:
            goal = await child_goal_of(step, self._spec.goal, make_input)
        except InputMissing as missing:
            attempt = Attempt(failure=f"input_missing: {missing}")
        else:
            attempt = await self._attempt(step, item, step.agent, goal, "agent")
        if attempt.failure is not None and not attempt.canceled and step.on_failure == "fallback":
            assert step.fallback is not None
            self._note("fallback", item.label, f"{attempt.failure}; trying {step.fallback.agent}")
            attempt = await self._attempt(step, item, step.fallback, goal, "fallback")
        self._settle(step, item, attempt)

    def _settle(self, step: PipelineStep, item: StepItem, attempt: Attempt) -> None:
        if attempt.failure is None:
            self._board.complete(item, attempt.output)
            self._note("step_completed", item.label)
        elif attempt.canceled:
            self._board.fail(item, ItemState.CANCELED, attempt.failure)
            self._note("step_canceled", item.label, attempt.failure)
        elif step.on_failure == "skip":
            self._board.skip(item, attempt.failure)
            self._note("step_skipped", item.label, f"a marked gap is passed on: {attempt.failure}")
        else:
            raise self._fail(item, attempt.failure)

    def _fail(self, item: StepItem, reason: str) -> StepFailed:
        self._board.fail(item, ItemState.FAILED, reason)
        self._note("step_failed", item.label, reason)
        failed = StepFailed(f"step {item.label} failed: {reason}")
        self._children.halt(CancelRequest(by=SYSTEM, reason=failed.reason))
        return failed

    async def _attempt(
        self,
        step: PipelineStep,
        item: StepItem,
        agent: RunSpec,
        goal: Goal,
        role: ChildRole,
    ) -> Attempt:
        """Run the agent; follow its handoffs to other agents (up to max_handoffs)."""
        base = f"{workflow.info().workflow_id}.{step.name}"
        base += "" if item.item is None else f".{item.item}"
        base += ".fallback" if role == "fallback" else ""
        run_id, hops = base, 0
        while True:
            spec = self._child_spec(step, agent, goal)
            attempt = await self._children.run(item, spec, run_id, role, spec.output_schema)
            handoff = attempt.handoff
            if handoff is None:
                return attempt
            detail = f"{agent.agent} -> {handoff.to}: {handoff.reason}"
            self._note("handoff", item.label, detail, run_id)
            target = self._agent_named(handoff.to)
            if target is None:
                return Attempt(failure=f"handoff to unknown agent {handoff.to!r}")
            if hops >= self._spec.max_handoffs:
                return Attempt(failure=f"more than {self._spec.max_handoffs} handoffs")
            hops += 1
            note = f"Handed over by {agent.agent}: {handoff.reason}"
            try:
                goal = await handed_over(goal, note)
            except ActivityError as error:
                return Attempt(failure=f"handoff to {handoff.to}: {message_of(error)}")
            agent, role, run_id = target, "handoff", f"{base}.handoff{hops}"

    def _child_spec(self, step: PipelineStep, agent: RunSpec, goal: Goal) -> RunSpec:
        return agent.model_copy(
            update={
                "goal": goal[0],
                "goal_artifact": goal[1],
                "requester": self._spec.requester,
                "trace_id": self._spec.trace_id,
                "output_schema": step.output_schema or agent.output_schema,
            }
        )

    def _agent_named(self, name: str) -> RunSpec | None:
        known = [*self._spec.agents.values()]
        for step in self._spec.steps:
            known += [step.agent, *([step.fallback] if step.fallback else [])]
        return next((agent for agent in known if agent.agent == name), None)

    def _note(self, kind: str, step: str, detail: str = "", run_id: str = "") -> None:
        self._board.note(kind, workflow.now(), step, run_id, detail)
