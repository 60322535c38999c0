"""AgentRunWorkflow's handlers: the run's updates, signals and queries, each handing to
the run itself (workflows/run/engine.py, AgentRun).

Humans talk to a run through updates (synchronous, validated: a refused update leaves no
history) and signals of the same names (for tools that can only signal); both are plain
JSON. Here, in a module the sandbox passes through, the decorators run once per worker
process; AgentRunWorkflow (workflows/run/agent_run.py) inherits them. They only delegate
to the run's code.
"""

from typing import TYPE_CHECKING, Any

from temporalio import workflow

from contracts.approvals import DecisionReceipt
from contracts.events import RunEvent
from contracts.queue import QueuePosition, SlotGranted
from contracts.run_log import RunLog
from contracts.snapshot import BudgetUsage, EventsQuery, RunSnapshot
from contracts.steps import StepRecord
from workflows.run.live import OFFSET_QUERY, POLL, PUBLISH_SIGNAL

with workflow.unsafe.imports_passed_through():
    from temporalio.contrib.workflow_streams import PollInput, PollResult, PublishInput

if TYPE_CHECKING:
    from workflows.run.engine import AgentRun


class AgentRunHandlers:
    _run: "AgentRun"  # set by AgentRunWorkflow.__init__

    # -- updates: validated, synchronous; a refused one leaves no history -----------------

    @workflow.update(name="approve")
    async def approve(self, body: Any) -> DecisionReceipt:
        return await self._run.approve(body)

    @approve.validator
    def _validate_approve(self, body: Any) -> None:
        self._run.validate_approve(body)

    @workflow.update(name="reject")
    async def reject(self, body: Any) -> DecisionReceipt:
        return await self._run.reject(body)

    @reject.validator
    def _validate_reject(self, body: Any) -> None:
        self._run.validate_reject(body)

    @workflow.update(name="cancel")
    async def cancel(self, body: Any) -> RunSnapshot:
        return await self._run.cancel(body)

    @cancel.validator
    def _validate_cancel(self, body: Any) -> None:
        self._run.validate_cancel(body)

    @workflow.update(name="pause")
    def pause(self, body: Any) -> RunSnapshot:
        return self._run.pause(body)

    @pause.validator
    def _validate_pause(self, body: Any) -> None:
        self._run.validate_pause(body)

    @workflow.update(name="resume")
    async def resume(self, body: Any) -> RunSnapshot:
        return await self._run.resume(body)

    @resume.validator
    def _validate_resume(self, body: Any) -> None:
        self._run.validate_resume(body)

    @workflow.update(name="extend_budget")
    def extend_budget(self, body: Any) -> BudgetUsage:
        return self._run.extend_budget(body)

    @extend_budget.validator
    def _validate_extend_budget(self, body: Any) -> None:
        self._run.validate_extend_budget(body)

    @workflow.update(name="human_input")
    def human_input(self, body: Any) -> int:
        return self._run.human_input(body)

    @human_input.validator
    def _validate_human_input(self, body: Any) -> None:
        self._run.validate_human_input(body)

    # -- signals: the same verbs, for tools that can only signal (a refused one is
    # recorded as a signal_rejected event) --------------------------------------------------

    @workflow.signal(name="approve")
    def approve_signal(self, body: Any = None) -> None:
        self._run.approve_signal(body)

    @workflow.signal(name="reject")
    def reject_signal(self, body: Any = None) -> None:
        self._run.reject_signal(body)

    @workflow.signal(name="cancel")
    def cancel_signal(self, body: Any = None) -> None:
        self._run.cancel_signal(body)

    @workflow.signal(name="pause")
    def pause_signal(self, body: Any = None) -> None:
        self._run.pause_signal(body)

    @workflow.signal(name="resume")
    def resume_signal(self, body: Any = None) -> None:
        self._run.resume_signal(body)

    @workflow.signal(name="extend_budget")
    def extend_budget_signal(self, body: Any = None) -> None:
        self._run.extend_budget_signal(body)

    @workflow.signal(name="human_input")
    def human_input_signal(self, body: Any = None) -> None:
        self._run.human_input_signal(body)

    @workflow.signal(name="kill_switches")
    def kill_switches_signal(self, body: Any = None) -> None:
        """From the kill-switch workflow: the rules now in force (a newer version wins)."""
        self._run.kill_switches_signal(body)

    @workflow.signal(name="record_reset")
    def record_reset(self, body: Any = None) -> None:
        self._run.record_reset(body)

    @workflow.signal(name="queue_granted")
    def queue_granted(self, granted: SlotGranted) -> None:
        self._run.queue_granted(granted)

    @workflow.signal(name="queue_position")
    def queue_position(self, position: QueuePosition) -> None:
        self._run.queue_position(position)

    # -- queries ----------------------------------------------------------------------------

    @workflow.query(name="snapshot")
    def snapshot(self) -> RunSnapshot:
        return self._run.snapshot()

    @workflow.query(name="steps")
    def steps(self) -> list[StepRecord]:
        return self._run.steps()

    @workflow.query(name="events")
    def events(self, query: EventsQuery | None = None) -> list[RunEvent]:
        """This segment's events; `log` says where the earlier ones are."""
        return self._run.events(query)

    @workflow.query(name="log")
    def log(self, query: EventsQuery | None = None) -> RunLog:
        """The whole log in one answer: where the archived pages are, and the live part."""
        return self._run.log(query)

    # -- the live-progress stream (workflows/run/live.py): temporalio.contrib.workflow_streams'
    # handlers, declared here once rather than registered by every run --------------------

    @workflow.signal(name=PUBLISH_SIGNAL)
    def stream_publish(self, payload: PublishInput) -> None:
        self._run.live.publish(payload)

    @workflow.update(name=POLL)
    async def stream_poll(self, payload: PollInput) -> PollResult:
        return await self._run.live.poll(payload)

    @stream_poll.validator
    def _validate_stream_poll(self, payload: PollInput) -> None:
        self._run.live.validate_poll(payload)  # refused: read it by the query

    @workflow.query(name=POLL)
    def stream_read(self, payload: PollInput) -> PollResult:
        return self._run.live.read(payload)

    @workflow.query(name=OFFSET_QUERY)
    def stream_offset(self) -> int:
        return self._run.live.next_offset()
