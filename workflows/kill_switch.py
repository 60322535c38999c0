"""KillSwitchWorkflow: the durable, fleet-wide list of kill switches (no side database).

`overseer kill --tool NAME | --agent NAME | --all` and `overseer unkill` are updates on it
(validated: a refused one leaves no history). Each change is broadcast to every running
run by an activity; workers also read the rules (a query) right before any tool runs, so a
run that visibility did not list yet is stopped too.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from contracts.kill_switch import KILL_SWITCH_WORKFLOW, KillRequest, KillRule, KillSwitches
from workflows.common.bodies import parse_update_body

with workflow.unsafe.imports_passed_through():
    from activities.broadcast import broadcast_kill_switches

# A long-lived workflow: start a fresh history after this many changes.
CHANGES_PER_SEGMENT = 500


@workflow.defn(name=KILL_SWITCH_WORKFLOW)
class KillSwitchWorkflow:
    @workflow.init
    def __init__(self, carried: KillSwitches | None = None) -> None:
        self._switches = carried or KillSwitches(version=0)
        self._broadcast_version = self._switches.version if carried else -1
        self._changes = 0

    @workflow.run
    async def run(self, carried: KillSwitches | None = None) -> None:
        while True:
            await workflow.wait_condition(
                lambda: (
                    self._switches.version != self._broadcast_version
                    or self._changes >= CHANGES_PER_SEGMENT
                    or workflow.info().is_continue_as_new_suggested()
                )
            )
            if self._switches.version != self._broadcast_version:
                sending = self._switches
                await workflow.execute_activity(
                    broadcast_kill_switches,
                    sending,
                    start_to_close_timeout=timedelta(minutes=5),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
                    summary=f"broadcast kill switches v{sending.version}",
                )
                self._broadcast_version = sending.version
            elif self._changes:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._switches)

    @workflow.update(name="kill")
    def kill(self, body: Any) -> KillSwitches:
        request = parse_update_body(KillRequest, body)
        rule = KillRule(
            scope=request.scope,
            name=request.named,
            by=request.by,
            reason=request.reason,
            at=workflow.now(),
        )
        self._change([*self._switches.rules, rule])
        return self._switches

    @kill.validator
    def _validate_kill(self, body: Any) -> None:
        request = parse_update_body(KillRequest, body)
        if any(rule.key == request.key for rule in self._switches.rules):
            raise ApplicationError(f"kill switch {request.key} is already on", type="Refused")

    @workflow.update(name="unkill")
    def unkill(self, body: Any) -> KillSwitches:
        request = parse_update_body(KillRequest, body)
        self._change([rule for rule in self._switches.rules if rule.key != request.key])
        return self._switches

    @unkill.validator
    def _validate_unkill(self, body: Any) -> None:
        request = parse_update_body(KillRequest, body)
        if not any(rule.key == request.key for rule in self._switches.rules):
            on = ", ".join(rule.key for rule in self._switches.rules) or "none"
            raise ApplicationError(f"no kill switch {request.key} is on (on: {on})", type="Refused")

    @workflow.query(name="rules")
    def rules(self) -> KillSwitches:
        return self._switches

    def _change(self, rules: list[KillRule]) -> None:
        self._switches = KillSwitches(version=self._switches.version + 1, rules=rules)
        self._changes += 1
        on = ", ".join(rule.key for rule in rules) or "none"
        workflow.set_current_details(f"**Kill switches on:** {on}")
