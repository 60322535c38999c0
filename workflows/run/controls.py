"""How humans control a run: cancel, pause, resume and extend_budget, as
updates (validated, answered synchronously; a refused update leaves no history) and as
signals of the same names (for tools that can only signal; a refused signal is recorded as
a `signal_rejected` event). Kill switches arrive as a signal from the kill-switch workflow.
Decisions on pending actions (approve, reject) are in workflows/run/decisions.py.

A part of AgentRun (engine.py), kept apart so the run loop reads on its own.
"""

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow

from contracts.approvals import CancelRequest, ResetNote
from contracts.budget import BudgetExtension, OperatorNote
from contracts.errors import one_line
from contracts.events import EventKind
from contracts.identity import actor_id_problem
from contracts.kill_switch import KillSwitches
from contracts.snapshot import BudgetUsage, RunSnapshot
from contracts.states import RunState
from workflows.common.bodies import BodyRefused, parse_body, parse_update_body
from workflows.run.approval_book import DecisionRefused
from workflows.run.budget_check import ExtensionRefused, check_extension, extend
from workflows.run.parts import Body, RunParts

SYSTEM = "system"
# How long the cancel update waits for the run's end before replying `canceling`.
CANCEL_REPLY_WAIT = timedelta(seconds=5)


class RunControls(RunParts):
    # Provided by the run (workflows/run/engine.py).
    def snapshot(self) -> RunSnapshot:
        raise NotImplementedError

    # -- updates (validated, synchronous) -------------------------------------------------

    async def cancel(self, body: Any) -> RunSnapshot:
        """Replies with the run as the cancel left it: ended (in this workflow task, unless
        it must undo irreversible steps first), or still winding down (`canceling`)."""
        self._request_cancel(parse_update_body(CancelRequest, body))
        with contextlib.suppress(TimeoutError):  # a long rollback: the reply says `canceling`
            await workflow.wait_condition(
                lambda: self._ledger.state.is_terminal, timeout=CANCEL_REPLY_WAIT
            )
        return self.snapshot()

    def validate_cancel(self, body: Any) -> None:
        parse_update_body(CancelRequest, body)
        self._check_not_ended()

    def pause(self, body: Any) -> RunSnapshot:
        self._pause(parse_update_body(OperatorNote, body))
        return self.snapshot()

    def validate_pause(self, body: Any) -> None:
        parse_update_body(OperatorNote, body)
        self._check_pause()

    async def resume(self, body: Any) -> RunSnapshot:
        """Replies with the state the run moves to, not the `blocked` it leaves."""
        held = self._blocked_reason if self._ledger.state is RunState.BLOCKED else None
        self._resume(parse_update_body(OperatorNote, body))
        if held is not None:
            # The held run goes on in this same workflow task: wait for it to move (or to
            # hold for another reason, e.g. an exhausted budget).
            await workflow.wait_condition(
                lambda: self._ledger.state is not RunState.BLOCKED or self._blocked_reason != held
            )
        return self.snapshot()

    def validate_resume(self, body: Any) -> None:
        parse_update_body(OperatorNote, body)
        self._check_resume()

    def extend_budget(self, body: Any) -> BudgetUsage:
        self._extend(parse_update_body(BudgetExtension, body))
        return self._budget.model_copy()

    def validate_extend_budget(self, body: Any) -> None:
        self._check_extension(parse_update_body(BudgetExtension, body))

    # -- the same as signals: loose body, validated here -----------------------------------

    def cancel_signal(self, body: Any = None) -> None:
        self._signal_control(
            "cancel", body, CancelRequest, lambda _: self._check_not_ended(), self._request_cancel
        )

    def pause_signal(self, body: Any = None) -> None:
        self._signal_control(
            "pause", body, OperatorNote, lambda _: self._check_pause(), self._pause
        )

    def resume_signal(self, body: Any = None) -> None:
        self._signal_control(
            "resume", body, OperatorNote, lambda _: self._check_resume(), self._resume
        )

    def extend_budget_signal(self, body: Any = None) -> None:
        self._signal_control(
            "extend_budget", body, BudgetExtension, self._check_extension, self._extend
        )

    def kill_switches_signal(self, body: Any = None) -> None:
        """From the kill-switch workflow: the rules now in force (a newer version wins)."""
        try:
            switches = parse_body(KillSwitches, body)
        except BodyRefused as error:
            self._refuse_signal("kill_switches", body, error)
            return
        if switches.version <= self._kill_switches.version:
            return  # an older broadcast, arriving late
        self._kill_switches = switches
        rules = ", ".join(rule.key for rule in switches.rules) or "none"
        self._note(EventKind.KILL_SWITCHES, SYSTEM, f"kill switches in force: {rules}")

    def record_reset(self, body: Any = None) -> None:
        try:
            note = parse_body(ResetNote, body)
        except BodyRefused as error:
            self._refuse_signal("record_reset", body, error)
            return
        forced = f"; forced over: {', '.join(note.forced_over)}" if note.forced_over else ""
        self._note(
            EventKind.RESET,
            f"user:{note.by}",
            f"reset to step {note.to_step}: {note.reason}{forced}",
        )

    def _signal_control(
        self,
        name: str,
        body: Any,
        model: type[Body],
        check: Callable[[Body], None],
        apply: Callable[[Body], Any],
    ) -> None:
        # The SDK drops a signal whose body fails to deserialize with only a log line,
        # so the handler takes any JSON and validates it here, where a refusal is recorded.
        try:
            parsed = parse_body(model, body)
            check(parsed)
        except (BodyRefused, DecisionRefused) as error:
            self._refuse_signal(name, body, error)
            return
        apply(parsed)

    def _refuse_signal(self, name: str, body: Any, error: Exception) -> None:
        # The sender is named only if the body names a valid actor id: a refused body is
        # hostile until shown otherwise, and the audit log shows what it records as typed.
        who = (body.get("approver") or body.get("by")) if isinstance(body, dict) else None
        valid = isinstance(who, str) and actor_id_problem(who) is None
        actor = f"user:{who}" if valid else "unknown"
        self._note(
            EventKind.SIGNAL_REJECTED, actor, f"{name} signal refused: {one_line(str(error))}"
        )

    def _check_pause(self) -> None:
        self._check_not_ended()
        if self._paused is not None:
            raise DecisionRefused(f"run is already paused by {self._paused.by}")

    def _check_resume(self) -> None:
        self._check_not_ended()
        if self._paused is None:
            raise DecisionRefused("run is not paused")

    def _check_extension(self, extension: BudgetExtension) -> None:
        self._check_not_ended()
        try:
            check_extension(self._budget, extension)
        except ExtensionRefused as refused:
            raise DecisionRefused(str(refused)) from None

    def _pause(self, note: OperatorNote) -> None:
        self._paused = note
        self._note(EventKind.PAUSED, f"user:{note.by}", note.reason)

    def _resume(self, note: OperatorNote) -> None:
        self._paused = None
        self._note(EventKind.RESUMED, f"user:{note.by}", note.reason)

    def _extend(self, extension: BudgetExtension) -> None:
        changes = extend(self._budget, extension)
        self._note(
            EventKind.BUDGET_EXTENDED, f"user:{extension.by}", f"{changes}: {extension.reason}"
        )

    def _check_not_ended(self) -> None:
        if self._ledger.state.is_terminal:
            raise DecisionRefused(f"run has already ended ({self._ledger.state})")
        if self._cancel_request is not None:
            raise DecisionRefused(f"run is being canceled by {self._cancel_request.by}")

    def _request_cancel(self, request: CancelRequest) -> None:
        self._cancel_request = request
        if self._drive_task is not None:
            self._drive_task.cancel()
