"""Each budget exhausts into `blocked` with the reason and continues once extended;
pause and resume hold a run between steps. All on a real server."""

from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.budget import BudgetExtension, OperatorNote
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.snapshot import BudgetUsage, RunResult
from contracts.spec import BudgetSpec, PolicySpec
from contracts.states import RunState
from tests.helpers import events, make_spec, snapshot, start, wait_for_state
from tests.http_fixture import CannedServer, canned_server
from tests.test_decisions import refused
from tests.test_model_faults import FINAL, KEY_ENV, LIST_FILES, chat, openai_model

NO_APPROVALS = PolicySpec(require_approval=[])
openai = pytest.fixture(canned_server)


async def blocked_then_extended(
    handle: WorkflowHandle[Any, Any], reason: str, **add: Any
) -> RunResult:
    blocked = await wait_for_state(handle, RunState.BLOCKED)
    assert blocked.blocked_reason == f"budget_exhausted: {reason}"
    assert blocked.state is RunState.BLOCKED
    extension = BudgetExtension(by="bud", reason="worth it", **add)
    await handle.execute_update("extend_budget", extension, result_type=BudgetUsage)
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    [extended] = [e for e in await events(handle) if e.kind is EventKind.BUDGET_EXTENDED]
    assert extended.actor == "user:bud" and extended.detail.endswith(": worth it")
    return result


async def test_max_steps_blocks_and_extends(client: Client, worker: Worker, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, policy=NO_APPROVALS, budget=BudgetSpec(max_steps=1))
    handle = await start(client, spec, worker.task_queue)
    await blocked_then_extended(handle, "max_steps 1 reached", steps=5)
    assert (await snapshot(handle)).budget.max_steps == 6


async def test_max_tool_calls_blocks_and_extends(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, policy=NO_APPROVALS, budget=BudgetSpec(max_tool_calls=1))
    handle = await start(client, spec, worker.task_queue)
    await blocked_then_extended(handle, "max_tool_calls 1 reached", tool_calls=1)
    assert (tmp_path / "out/hello.txt").exists()


async def test_a_loop_is_detected_and_can_be_allowed(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    looping = [ScriptTurn(tool_calls=[ScriptedCall(tool="list_files")])] * 3
    spec = make_spec(
        tmp_path,
        [*looping, ScriptTurn(say="done")],
        budget=BudgetSpec(max_repeated_calls=2),
    )
    handle = await start(client, spec, worker.task_queue)
    await blocked_then_extended(
        handle,
        "loop_detected: list_files with the same arguments 2 times in a row (max_repeated_calls 2)",
        repeated_calls=1,
    )
    assert (await snapshot(handle)).budget.tool_calls == 3


async def test_the_wall_clock_is_a_timer_even_while_an_approval_waits(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, budget=BudgetSpec(max_wall_seconds=2))
    handle = await start(client, spec, worker.task_queue)
    blocked = await wait_for_state(handle, RunState.BLOCKED)  # nobody decided in time
    assert blocked.blocked_reason == "budget_exhausted: max_wall_seconds 2 reached"
    [request] = blocked.pending_approvals  # still open

    more_time = BudgetExtension(by="w", reason="ok", wall_seconds=600)
    await handle.execute_update("extend_budget", more_time)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
    )
    assert (await handle.result()).state is RunState.COMPLETED
    assert (tmp_path / "out/hello.txt").exists()


async def test_the_wall_clock_fails_the_run_under_the_fail_policy(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    policy = PolicySpec(on_budget_exhausted="fail")
    spec = make_spec(tmp_path, policy=policy, budget=BudgetSpec(max_wall_seconds=1))
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await snapshot(handle)
    assert final.state is RunState.FAILED
    assert final.failure_reason == "budget_exhausted: max_wall_seconds 1 reached"
    assert not (tmp_path / "out/hello.txt").exists()


async def test_tokens_and_cost_block_and_extend(
    client: Client,
    worker: Worker,
    openai: CannedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")
    openai.responses += [chat(LIST_FILES, 120, 18), chat(FINAL, 200, 30)]
    spec = make_spec(tmp_path, model=openai_model(openai), budget=BudgetSpec(max_tokens=100))
    handle = await start(client, spec, worker.task_queue)
    await blocked_then_extended(handle, "max_tokens 100 reached (138 used)", tokens=1000)

    openai.responses += [chat(LIST_FILES, 120, 18), chat(FINAL, 200, 30)]
    spec = make_spec(tmp_path, model=openai_model(openai), budget=BudgetSpec(max_cost_usd=1e-5))
    handle = await start(client, spec, worker.task_queue)
    await blocked_then_extended(
        handle, "max_cost_usd $0.00001 reached ($0.0000288 used)", cost_usd=1
    )


async def test_extensions_that_cannot_apply_are_refused(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    tokens = BudgetExtension(by="x", reason="y", tokens=10)
    assert await refused(handle, "extend_budget", tokens) == (
        "this run has no max_tokens limit to raise"
    )
    nothing = {"by": "x", "reason": "y"}
    with pytest.raises(Exception, match="nothing to add"):
        BudgetExtension.model_validate(nothing)
    await handle.cancel()


async def test_pause_holds_the_run_until_resumed(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    assert await refused(handle, "resume", OperatorNote(by="pat", reason="early")) == (
        "run is not paused"
    )
    await handle.execute_update("pause", OperatorNote(by="pat", reason="change freeze"))
    assert await refused(handle, "pause", OperatorNote(by="pat", reason="again")) == (
        "run is already paused by pat"
    )
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
    )
    blocked = await wait_for_state(handle, RunState.BLOCKED)
    assert blocked.blocked_reason == "paused by pat: change freeze"
    assert blocked.paused_by == "pat"
    assert not (tmp_path / "out/hello.txt").exists()

    await handle.execute_update("resume", OperatorNote(by="pat", reason="freeze over"))
    assert (await handle.result()).state is RunState.COMPLETED
    assert (tmp_path / "out/hello.txt").exists()
    kinds = [(e.kind, e.actor) for e in await events(handle) if e.kind in PAUSING]
    assert kinds == [(EventKind.PAUSED, "user:pat"), (EventKind.RESUMED, "user:pat")]


PAUSING = {EventKind.PAUSED, EventKind.RESUMED}
