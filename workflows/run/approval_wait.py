"""Waiting for a human's decision on one tool call: approval expiry (reject or block) and
the run's wall-clock budget while it waits. A part of AgentRun (engine.py), used by the turn.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from temporalio import workflow

from contracts.approvals import ApprovalRequest
from contracts.events import EventKind
from contracts.model_io import ToolCall
from contracts.states import RunState
from workflows.run.approval_book import DecidedAction, action_id_for
from workflows.run.budget_check import wall_clock_deadline
from workflows.run.details import approval_wait_summary
from workflows.run.notices import approval_notices, send
from workflows.run.parts import RunParts
from workflows.run.turn import TurnInterrupted

SYSTEM = "system"
# With no deadline, the wait still runs on a timer, so the Web UI's Timeline (the run's
# default page) shows the timer's summary: what waits and how to approve it. A timer that
# fires re-arms: one event pair a week of waiting.
UNBOUNDED_WAIT = timedelta(days=7)


class ApprovalWait(RunParts):
    # Provided by the run (engine.py) and its other mixins (for type checking only).
    if TYPE_CHECKING:

        @property
        def _run_id(self) -> str: ...

        def _tell_model(self, call: ToolCall, content: str, is_error: bool) -> None: ...

        def _wall_clock_hold(self) -> str | None: ...

        async def _hold_while(self, hold_reason: Callable[[], str | None]) -> None: ...

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
        self._notify(request)
        decided = await self._decision_on(request, request.expires_at)
        if decided is None:  # expired, and the policy blocks: a human must still decide
            self._note(EventKind.APPROVAL_EXPIRED, SYSTEM, f"{request.action_id} expired")
            self._blocked_reason = f"approval_expired: action {request.action_id}"
            self._move(RunState.BLOCKED, SYSTEM, f"{self._blocked_reason} waits for a human")
            decided = await self._decision_on(request, None)
            assert decided is not None
            self._blocked_reason = None
        if decided.decision is None:  # expired, and the policy rejected it
            self._note(EventKind.APPROVAL_EXPIRED, SYSTEM, f"{request.action_id} expired: rejected")
            self._tell_model(call, "rejected: the approval request expired", True)
            self._move(RunState.PLANNING, SYSTEM, f"{call.name} not approved in time")
            raise TurnInterrupted
        actor = f"user:{decided.decision.approver}"
        if decided.verdict == "rejected":
            why = decided.decision.reason or "no reason given"
            self._tell_model(call, f"rejected by {decided.decision.approver}: {why}", True)
            self._move(RunState.PLANNING, actor, f"{call.name} rejected: {why}")
            raise TurnInterrupted
        edited = decided.decision.edited_args
        return actor, call if edited is None else call.model_copy(update={"arguments": edited})

    def _notify(self, request: ApprovalRequest) -> None:
        """Tell the policy's webhooks, without waiting for them: each outcome is recorded
        when it comes, while the run goes on (not once the run has ended)."""

        def record(kind: EventKind, detail: str) -> None:
            if not self._ledger.state.is_terminal:
                self._note(kind, SYSTEM, detail, [request.action_id])

        for notice in approval_notices(self._run_id, self._spec, request):
            send(notice, record)

    async def _decision_on(
        self, request: ApprovalRequest, expires_at: datetime | None
    ) -> DecidedAction | None:
        """The decision, or None if the request expired and the policy blocks on expiry.

        The wait is also the run's wall-clock timer: when max_wall_seconds runs out first,
        the run blocks on its budget (or fails, per policy) while the request stays open."""
        action_id = request.action_id
        while self._approvals.outcome(action_id) is None:
            wall_deadline = wall_clock_deadline(self._budget)
            deadline = min((d for d in (expires_at, wall_deadline) if d), default=None)
            timeout = max(deadline - workflow.now(), timedelta(0)) if deadline else UNBOUNDED_WAIT
            try:
                await workflow.wait_condition(
                    lambda: self._approvals.outcome(action_id) is not None,
                    timeout=timeout,
                    timeout_summary=approval_wait_summary(
                        self._run_id, request, until_deadline=deadline is not None
                    ),
                )
            except TimeoutError:
                if expires_at and workflow.now() >= expires_at:
                    if request.on_expiry == "block":
                        return None
                    self._approvals.expire(action_id)
                else:
                    await self._hold_while(self._wall_clock_hold)  # blocked until extended
        return self._approvals.outcome(action_id)
