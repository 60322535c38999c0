"""Holding a run in `blocked`: while it is paused, out of budget, or (for a tool call)
stopped by a kill switch. A part of AgentRun (engine.py), kept apart so the loop reads on its own.
"""

from collections.abc import Callable

from temporalio import workflow

from contracts.events import EventKind
from contracts.hashing import action_hash
from contracts.model_io import ToolCall
from contracts.states import RunState
from contracts.text import number
from workflows.run.budget_check import before_step, before_tool_call, wall_clock_deadline
from workflows.run.parts import RunParts

SYSTEM = "system"
BUDGET_EXHAUSTED = "budget_exhausted:"


class RunFailed(Exception):
    """Ends the run as failed with this reason (raised anywhere in the run's loop)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RunHolds(RunParts):
    async def _checkpoint(self, call: ToolCall | None) -> None:
        """Wait in `blocked` while the run is paused, out of budget, or (for a tool call)
        stopped by a kill switch; a budget under the `fail` policy ends the run instead."""
        await self._hold_while(lambda: self._hold_reason(call))

    async def _hold_while(self, hold_reason: Callable[[], str | None]) -> None:
        reason = hold_reason()
        if reason is None:
            return
        resumes = self._ledger.state
        while reason is not None:
            if reason.startswith(BUDGET_EXHAUSTED):
                self._metrics.budget_exhausted(reason.split()[1].rstrip(":"))
                if self._spec.policy.on_budget_exhausted == "fail":
                    raise RunFailed(reason)
            self._blocked_reason = reason
            if self._ledger.state is RunState.BLOCKED:
                self._note(EventKind.STILL_BLOCKED, SYSTEM, reason)
            else:
                self._move(RunState.BLOCKED, SYSTEM, reason)
            reason = await self._changed_hold(hold_reason, reason)
        self._blocked_reason = None
        self._move(resumes, SYSTEM, "no longer blocked")

    @staticmethod
    async def _changed_hold(hold_reason: Callable[[], str | None], held: str) -> str | None:
        await workflow.wait_condition(lambda: hold_reason() != held)
        return hold_reason()

    def _wall_clock_hold(self) -> str | None:
        deadline = wall_clock_deadline(self._budget)
        if deadline is None or workflow.now() < deadline:
            return None
        limit = number(self._budget.max_wall_seconds or 0)  # set: the deadline exists
        return f"{BUDGET_EXHAUSTED} max_wall_seconds {limit} reached"

    def _hold_reason(self, call: ToolCall | None) -> str | None:
        if self._paused is not None:
            return f"paused by {self._paused.by}: {self._paused.reason}"
        now, budget = workflow.now(), self._budget
        if call is None:
            exhausted = before_step(budget, now)
        else:
            rule = self._kill_switches.stopping(self._spec.agent, call.name)
            if rule is not None:
                return f"kill switch {rule.key} (by {rule.by}: {rule.reason or 'no reason'})"
            call_hash = action_hash(call.name, call.arguments)
            exhausted = before_tool_call(budget, call.name, call_hash, now)
        return f"{BUDGET_EXHAUSTED} {exhausted}" if exhausted else None
