"""Client-side access to runs: start, query, decide, cancel. Errors become OverseerError."""

import asyncio
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from opentelemetry import trace
from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from activities.artifacts import default_store
from contracts import WORKFLOW_NAME
from contracts import search_attributes as sa
from contracts.approvals import ApprovalRequest, CancelRequest, Decision, DecisionReceipt
from contracts.errors import OverseerError
from contracts.events import RunEvent
from contracts.run_log import RunLog
from contracts.signing import SignedVerdict
from contracts.snapshot import EventsQuery, RunSnapshot
from contracts.spec import RunSpec
from contracts.states import RunState
from contracts.steps import StepRecord
from starters.client.queue import joining_queue
from starters.client.releases import under_release
from starters.client.run_log import whole_event_log, whole_step_list
from starters.client.signing import SigningKey
from starters.files.agent_file import load_agent_file, run_spec
from workers.telemetry import TRACER_NAME, current_trace_id

QUERY_TIMEOUT = timedelta(seconds=10)
WAIT_POLL_SECONDS = 0.25
Result = TypeVar("Result", bound=BaseModel)


def replaying(spec: RunSpec, cassette: Path) -> RunSpec:
    """The same run with its model answered from a cassette, offline."""
    if not cassette.is_file():
        raise OverseerError(f"cassette {cassette} does not exist")
    model = spec.model.model_copy(
        update={"provider": "replay", "cassette": str(cassette.resolve()), "task_queue": None}
    )
    return spec.model_copy(update={"model": model, "fallback_models": []})


async def start_run(
    client: Client,
    agent_path: Path,
    goal: str,
    requester: str,
    task_queue: str,
    replay_from: Path | None = None,
    priority: int | None = None,
) -> tuple[str, RunSpec]:
    agent, workspace = load_agent_file(agent_path)
    run_id = f"{agent.name}-{secrets.token_hex(4)}"
    # The run's trace starts here: the workflow, its activities and their HTTP calls join it.
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        "overseer run", attributes={"overseer.run_id": run_id, "overseer.agent": agent.name}
    ):
        # Without a tracer provider the span is not recording: the run still gets an id.
        trace_id = current_trace_id() or secrets.token_hex(16)
        spec = run_spec(agent, workspace, goal=goal, requester=requester, trace_id=trace_id)
        if replay_from is not None:
            spec = replaying(spec, replay_from)
        spec = await under_release(client, spec, run_id)  # a canary may take this run
        spec = await joining_queue(client, spec, agent.max_concurrent_runs, priority)
        await start_spec(client, run_id, spec, task_queue)
    return run_id, spec


class StartListing(NamedTuple):
    """How a run is listed from its start: the search attributes `overseer ls`, the Web UI
    and `temporal workflow list` filter on, and the Web UI's summary and details."""

    search_attributes: TypedSearchAttributes
    summary: str
    details: str


def start_listing(spec: RunSpec) -> StartListing:
    agent, goal, requester = spec.agent, spec.goal, spec.requester
    return StartListing(
        TypedSearchAttributes(
            [
                SearchAttributePair(sa.RUN_STATE, RunState.CREATED.value),
                SearchAttributePair(sa.PENDING_APPROVAL, False),
                SearchAttributePair(sa.AGENT, agent),
                SearchAttributePair(sa.REQUESTER, requester),
                SearchAttributePair(sa.TRACE_ID, spec.trace_id),
            ]
        ),
        f"{agent}: {goal}"[:200],
        f"**Agent** {agent} · **model** {spec.model.provider}/{spec.model.name} · "
        f"**policy** {spec.policy.version} · **requester** {requester}\n\n"
        f"**Tools** {', '.join(spec.tools) or 'none'} · **max steps** "
        f"{spec.budget.max_steps}\n\n**Goal** {goal}\n\n**Trace** {spec.trace_id}"
        + (f"\n\n**Retry of** {spec.retry_of}" if spec.retry_of else ""),
    )


async def start_spec(
    client: Client, run_id: str, spec: RunSpec, task_queue: str
) -> WorkflowHandle[Any, Any]:
    """Start the run, and return a handle on this execution (its run id pinned): reading its
    result, history or description then names it, instead of having the server look up the
    workflow id's current execution each time."""
    listing = start_listing(spec)
    started = await client.start_workflow(
        WORKFLOW_NAME,
        spec,
        id=run_id,
        task_queue=task_queue,
        # Listed at once (`overseer ls`, the Web UI), before a worker has picked it up.
        search_attributes=listing.search_attributes,
        static_summary=listing.summary,
        static_details=listing.details,
    )
    return client.get_workflow_handle(run_id, run_id=started.result_run_id)


def _rpc_problem(run_id: str, error: RPCError) -> OverseerError:
    # An update that reaches a run as it closes is aborted by the server.
    ended = ("already completed", "aborted by closing workflow")
    if any(words in error.message for words in ended):
        return OverseerError(f"run {run_id} has already ended")
    if error.status == RPCStatusCode.NOT_FOUND:
        return OverseerError(f"no run {run_id!r} in this namespace")
    if error.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return OverseerError(f"run {run_id} did not answer in time: is `overseer worker` running?")
    return OverseerError(f"run {run_id}: {error.message}")


def _reason(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, FailureError) else str(error)


class RunClient:
    """One run: read it (snapshot, events, steps, log), wait for it, decide its pending
    actions, control it. Every refusal or failure is an OverseerError naming it in one line.
    """

    def __init__(self, client: Client, run_id: str) -> None:
        self.run_id = run_id
        self._handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(run_id)

    async def _query(self, name: str, result_type: type[Result], *args: BaseModel) -> Result:
        try:
            answer: Result = await self._handle.query(
                name, args=args, result_type=result_type, rpc_timeout=QUERY_TIMEOUT
            )
            return answer
        except RPCError as error:
            raise _rpc_problem(self.run_id, error) from None
        except WorkflowQueryFailedError as error:
            raise OverseerError(f"run {self.run_id}: query failed: {error}") from None

    async def snapshot(self) -> RunSnapshot:
        return await self._query("snapshot", RunSnapshot)

    async def wait_for(
        self, *states: RunState, within: timedelta = timedelta(minutes=5)
    ) -> RunSnapshot:
        """The snapshot once the run is in one of `states` or has ended (with no states:
        once it has ended); OverseerError if neither happens `within` that time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within.total_seconds()
        while True:
            snapshot = await self.snapshot()
            if snapshot.state in states or snapshot.state.is_terminal:
                return snapshot
            if loop.time() >= deadline:
                wanted = ", ".join(states) or "an end state"
                raise OverseerError(
                    f"run {self.run_id} is {snapshot.state}, not {wanted}, after {within}"
                )
            # A client polls a query on an interval; nothing here is a test or a workflow.
            await asyncio.sleep(WAIT_POLL_SECONDS)

    async def events(self, after_seq: int = 0, partial_ok: bool = False) -> list[RunEvent]:
        """The events after `after_seq`, across every segment of a continued run (pages
        the artifact store cannot give are an error, or left out with `partial_ok`)."""
        log = await self.log(after_seq)
        return await whole_event_log(default_store(), self.run_id, log, after_seq, partial_ok)

    async def steps(self) -> list[StepRecord]:
        """Every step of the run, across every segment of a continued run."""
        log = await self.log()
        return await whole_step_list(default_store(), self.run_id, log)

    async def log(self, after_seq: int = 0) -> RunLog:
        """Where the archived pages are, and the live part (its events after `after_seq`)."""
        return await self._query("log", RunLog, EventsQuery(after_seq=after_seq))

    async def pending(self, action_id: str | None) -> ApprovalRequest:
        """The pending approval to decide: the one named, or the only one."""
        snapshot = await self.snapshot()
        pending = snapshot.pending_approvals
        if action_id is not None:
            for request in pending:
                # The short form (e.g. 2.1) is the action id without the run id prefix.
                if request.action_id in (action_id, f"{self.run_id}/{action_id}"):
                    return request
            ids = ", ".join(r.action_id for r in pending) or "none"
            raise OverseerError(
                f"run {self.run_id} has no pending action {action_id!r} (pending: {ids})"
            )
        if not pending:
            raise OverseerError(
                f"run {self.run_id} has no pending approval (state: {snapshot.state})"
            )
        if len(pending) > 1:
            ids = ", ".join(r.action_id for r in pending)
            raise OverseerError(f"run {self.run_id} has several pending actions: name one of {ids}")
        return pending[0]

    async def decide_reviewed(
        self,
        verdict: Literal["approve", "reject"],
        request: ApprovalRequest,
        *,
        approver: str,
        reason: str,
        reviewed_sha256: str | None,
        signer: SigningKey | None = None,
    ) -> DecisionReceipt:
        """Decide the request as the approver reviewed it: refused here if its hash is not
        the one they saw (the run refuses it too). With a signer, the decision is signed."""
        if reviewed_sha256 and reviewed_sha256 != request.args_sha256:
            raise OverseerError(
                f"action {request.action_id} is not what you reviewed: its sha256 is "
                f"{request.args_sha256}, not {reviewed_sha256}"
            )
        decision = Decision(
            action_id=request.action_id,
            args_sha256=reviewed_sha256 or request.args_sha256,
            approver=approver,
            reason=reason,
        )
        if signer is not None:
            signed_verdict: SignedVerdict = "approved" if verdict == "approve" else "rejected"
            decision = signer.sign(decision, signed_verdict, request)
        return await self.decide(verdict, decision)

    async def decide(
        self, verdict: Literal["approve", "reject"], decision: Decision
    ) -> DecisionReceipt:
        return await self.control(verdict, decision, DecisionReceipt)

    async def cancel(self, request: CancelRequest) -> RunSnapshot:
        return await self.control("cancel", request, RunSnapshot)

    async def control(self, update: str, body: BaseModel, result_type: type[Result]) -> Result:
        """An update on the run (a decision, cancel, pause, extend_budget...); a refusal is
        one line naming the update."""
        try:
            result: Result = await self._handle.execute_update(
                update, body, result_type=result_type, rpc_timeout=QUERY_TIMEOUT
            )
            return result
        except WorkflowUpdateFailedError as error:
            raise OverseerError(f"{update} refused: {_reason(error)}") from None
        except RPCError as error:
            raise _rpc_problem(self.run_id, error) from None

    async def temporal_status(self) -> WorkflowExecutionStatus | None:
        try:
            return (await self._handle.describe()).status
        except RPCError as error:
            raise _rpc_problem(self.run_id, error) from None
