"""Operator views: `overseer watch`, `overseer inbox`, `overseer top`."""

import asyncio
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from temporalio.client import Client

from contracts import search_attributes as sa
from contracts.approvals import ApprovalRequest
from contracts.errors import OverseerError
from contracts.pipeline import PipelineState
from contracts.states import RunState
from starters.cli.render import event_line, printable
from starters.client.listing import list_runs, waiting_for_approval
from starters.client.live import LiveReader, LiveStep, LiveView
from starters.client.runs import RunClient

WATCH_SECONDS = 1.0
RECENT_EVENTS = 10
CLEAR_SCREEN = "\x1b[H\x1b[2J"
# Every state a run or a pipeline is listed in (contracts.search_attributes), runs' first.
ALL_STATES = list(
    dict.fromkeys(
        [*(sa.listed_state(state) for state in RunState), *(state for state in PipelineState)]
    )
)


def _age(since: datetime, now: datetime) -> str:
    seconds = int((now - since).total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# The step in flight shows while the run works on it, not once it waits or has ended.
LIVE_STATES = frozenset({RunState.PLANNING, RunState.EXECUTING})
LIVE_TEXT_LINES = 12


def _live_lines(step: LiveStep) -> list[str]:
    """The step in flight: its retry notice, its notes, the end of its text so far."""
    attempt = f" (attempt {step.attempt})" if step.attempt > 1 else ""
    lines = ["", f"live: {step.label}{attempt}"]
    if step.retried:
        lines.append(f"  ! {printable(step.retried)}")
    lines += [f"  note: {printable(note)}" for note in step.notes]
    text = step.text.splitlines()[-LIVE_TEXT_LINES:]
    return lines + [f"  | {printable(line)}" for line in text]


async def watch(client: Client, run_id: str, emit: Callable[[str], None] = print) -> int:
    """Redraw state, step, budget, pending approvals and recent events until the run ends."""
    run = RunClient(client, run_id)
    live, live_view = LiveReader(client, run_id), LiveView()
    redraw = sys.stdout.isatty()
    shown = ""
    while True:
        for item in await live.read():
            live_view.add(item)
        snapshot = await run.snapshot()
        recent = await run.events(max(0, snapshot.last_event_seq - RECENT_EVENTS), partial_ok=True)
        budget = snapshot.budget
        lines = [
            f"{snapshot.run_id}  [{snapshot.state}]  agent {snapshot.agent}",
            f"step {snapshot.step}/{budget.max_steps}  tool calls {budget.tool_calls}  "
            f"tokens {budget.input_tokens}+{budget.output_tokens}  cost ${budget.cost_usd:.4f}",
        ]
        if snapshot.blocked_reason:
            lines.append(f"blocked: {snapshot.blocked_reason}")
        lines += [
            f"waiting for approval: {r.tool} (action {r.short_id}) -> "
            f"overseer approve {run_id} {r.short_id} --as YOU"
            for r in snapshot.pending_approvals
        ]
        lines += ["", *(event_line(e) for e in recent)]
        step = live_view.current()
        if step is not None and snapshot.state in LIVE_STATES:
            lines += _live_lines(step)
        view = "\n".join(lines)
        if view != shown:
            emit(CLEAR_SCREEN + view if redraw else view + "\n")
            shown = view
        if snapshot.state.is_terminal:
            return 0
        await asyncio.sleep(WATCH_SECONDS)  # a live view refreshes on an interval


async def _pending_of(client: Client, run_id: str) -> list[ApprovalRequest] | str:
    try:
        return (await RunClient(client, run_id).snapshot()).pending_approvals
    except OverseerError as error:
        return str(error)


async def inbox(client: Client, agent: str | None, emit: Callable[[str], None] = print) -> int:
    """Every pending approval across running runs, oldest first, with the command to decide."""
    waiting = await waiting_for_approval(client, agent)
    run_ids = [run.run_id for run in waiting]
    # A pipeline step's run names its pipeline: decide it directly or through the pipeline.
    pipeline_of = {run.run_id: run.parent_id for run in waiting if run.parent_id}
    answers = await asyncio.gather(*(_pending_of(client, run_id) for run_id in run_ids))
    now = datetime.now(UTC)
    rows: list[tuple[ApprovalRequest, str]] = []
    for run_id, answer in zip(run_ids, answers, strict=True):
        if isinstance(answer, str):
            emit(f"(run {run_id} waits for approval but did not answer: {answer})")
        else:
            rows += [(request, run_id) for request in answer]
    if not rows:
        emit("No approvals pending.")
        return 0
    rows.sort(key=lambda row: row[0].requested_at)
    emit(f"{'AGE':>5}  {'RUN':<32} {'ACTION':<7} {'TOOL':<14} ARGS")
    for request, run_id in rows:
        emit(
            f"{_age(request.requested_at, now):>5}  {run_id:<32} {request.short_id:<7} "
            f"{request.tool:<14} {printable(_short(request.args_json, 60))}"
        )
        in_pipeline = (
            f"   (step of pipeline {pipeline_of[run_id]})" if run_id in pipeline_of else ""
        )
        emit(
            f"{'':>5}  approve: overseer approve {run_id} {request.short_id} --as YOU" + in_pipeline
        )
        emit(
            f'{"":>5}  reject:  overseer reject {run_id} {request.short_id} --as YOU --reason "..."'
        )
    return 0


async def top(client: Client, limit: int, emit: Callable[[str], None] = print) -> int:
    """Runs and pipelines counted by agent (`pipeline:<name>`) and state (the most recent
    `limit` of them)."""
    counts: Counter[tuple[str, str]] = Counter()
    for run in await list_runs(client, limit=limit):
        counts[(run.agent, run.state)] += 1
    states = [state for state in ALL_STATES if any(s == state for _, s in counts)]
    agents = sorted({agent for agent, _ in counts})
    if not agents:
        emit("No runs.")
        return 0
    emit(f"{'AGENT':<24}" + "".join(f"{state:>22}" for state in states) + f"{'TOTAL':>8}")
    for agent in agents:
        row = [counts[(agent, state)] for state in states]
        emit(f"{agent:<24}" + "".join(f"{n:>22}" for n in row) + f"{sum(row):>8}")
    return 0
