"""One case as a real run: started on the server, its approvals decided by the suite as a
named actor (through the normal approve / reject updates), followed to its end."""

import asyncio
import contextlib
import secrets
from pathlib import Path

from opentelemetry import trace
from temporalio.client import Client

from contracts.approvals import CancelRequest, Decision
from contracts.errors import OverseerError
from contracts.model_io import ModelSpec
from contracts.snapshot import RunSnapshot
from contracts.spec import RunSpec
from contracts.states import RunState
from starters.client.evaluation.approvals import verdict_on
from starters.client.evaluation.observation import Observation, ToolUse
from starters.client.evaluation.workspace import fresh_workspace
from starters.client.queue import joining_queue
from starters.client.runs import RunClient, replaying, start_spec
from starters.files.agent_file import load_agent_file, run_spec
from starters.files.eval_suite import CaseDefinition
from workers.telemetry import TRACER_NAME, current_trace_id

# A client polls a query on an interval while the case runs.
POLL_SECONDS = 0.2


def approver_of(suite_name: str) -> str:
    """The actor the suite decides and requests as, so its runs and decisions say so."""
    return f"eval:{suite_name}"


def _with_model_source(spec: RunSpec, case: CaseDefinition) -> RunSpec:
    if case.cassette is not None:
        return replaying(spec, Path(case.cassette))
    if case.script is not None:
        model = ModelSpec(provider="scripted", name="scripted-planner", script=case.script)
        return spec.model_copy(update={"model": model, "fallback_models": []})
    return spec


def _waits_for_a_human(snapshot: RunSnapshot) -> bool:
    """Blocked on something only a person can clear (a handoff, a budget, an expired
    approval): the case ends there. An open circuit clears by itself."""
    reason = snapshot.blocked_reason or ""
    return snapshot.state == RunState.BLOCKED and not reason.startswith("circuit")


class CaseRun:
    def __init__(self, client: Client, suite_name: str, task_queue: str, root: Path) -> None:
        self._client = client
        self._actor = approver_of(suite_name)
        self._task_queue = task_queue
        self._root = root

    async def start(self, agent_path: Path, case: CaseDefinition) -> str:
        agent, agent_workspace = load_agent_file(agent_path)
        workspace = fresh_workspace(case, agent_workspace, self._root)
        run_id = f"{agent.name}-eval-{secrets.token_hex(4)}"
        with trace.get_tracer(TRACER_NAME).start_as_current_span(
            "overseer eval case", attributes={"overseer.run_id": run_id, "overseer.case": case.name}
        ):
            trace_id = current_trace_id() or secrets.token_hex(16)
            spec = run_spec(
                agent, workspace, goal=case.goal, requester=self._actor, trace_id=trace_id
            )
            spec = _with_model_source(spec, case)
            # Within the agent's max_concurrent_runs, as any run of it.
            spec = await joining_queue(self._client, spec, agent.max_concurrent_runs, None)
            await start_spec(self._client, run_id, spec, self._task_queue)
        return run_id

    async def follow(self, run_id: str, case: CaseDefinition) -> Observation:
        """Decide the run's approvals until it ends (or waits for a human), then read it."""
        run = RunClient(self._client, run_id)
        approvals: list[ToolUse] = []
        loop = asyncio.get_running_loop()
        began = loop.time()
        problem = None
        try:
            snapshot = await asyncio.wait_for(
                self._drive(run, case, approvals), case.timeout_seconds
            )
        except TimeoutError:
            problem = f"did not end within {case.timeout}"
            snapshot = await run.snapshot()
        except OverseerError as error:
            problem = str(error)
            snapshot = await run.snapshot()
        wall = loop.time() - began
        if not snapshot.state.is_terminal:  # nothing of a case is left running
            await self._cancel(run, problem or f"eval case ended in {snapshot.state}")
        return Observation.of(snapshot, await run.steps(), approvals, wall, problem)

    async def _drive(
        self, run: RunClient, case: CaseDefinition, approvals: list[ToolUse]
    ) -> RunSnapshot:
        decided: set[str] = set()
        while True:
            snapshot = await run.snapshot()
            if snapshot.state.is_terminal or _waits_for_a_human(snapshot):
                return snapshot
            for request in snapshot.pending_approvals:
                if request.action_id in decided:
                    continue
                decided.add(request.action_id)
                approvals.append(ToolUse(tool=request.tool, args=request.args))
                verdict, reason = verdict_on(case.approve, request)
                decision = Decision(
                    action_id=request.action_id,
                    args_sha256=request.args_sha256,
                    approver=self._actor,
                    reason=reason,
                )
                await run.decide(verdict, decision)
            await asyncio.sleep(POLL_SECONDS)

    async def _cancel(self, run: RunClient, reason: str) -> None:
        with contextlib.suppress(OverseerError):  # it ended meanwhile
            await run.cancel(CancelRequest(by=self._actor, reason=reason[:2000]))
