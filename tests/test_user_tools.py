"""A team's own tools (examples/acme-tools, installed in the test venv like any package with
an `overseer.tools` entry point) are supervised like the built-in ones: declared to the run
as data, approved, compensated on cancel, stopped by a kill switch."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from activities.tools.registry import SOURCES, TOOLS, load_installed_tools, register
from contracts.approvals import CancelRequest, Decision
from contracts.errors import OverseerError
from contracts.events import EventKind
from contracts.kill_switch import KILL_SWITCH_WORKFLOW, KILL_SWITCH_WORKFLOW_ID, KillRequest
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.spec import PolicySpec
from contracts.states import RunState
from overseer.tools import SideEffect, ToolContext, tool
from tests.helpers import events, make_spec, snapshot, start, wait_for_event, wait_for_state

ACME = ["lookup_order", "refund_order"]
REFUND = {"order_id": "A-1", "amount_cents": 1250, "reason": "damaged"}
LOOK_THEN_REFUND = [
    ScriptTurn(
        say="Looking.", tool_calls=[ScriptedCall(tool="lookup_order", args={"order_id": "A-1"})]
    ),
    ScriptTurn(say="Refunding.", tool_calls=[ScriptedCall(tool="refund_order", args=REFUND)]),
    ScriptTurn(say="Done: refunded A-1."),
]


def acme_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "shop"
    workspace.mkdir()
    order = {"customer": "c-7", "amount_cents": 5000, "status": "delivered"}
    (workspace / "orders.json").write_text(json.dumps({"A-1": order}))
    return workspace


def refunds(workspace: Path) -> list[dict[str, Any]]:
    path = workspace / "refunds.json"
    return list(json.loads(path.read_text()).values()) if path.exists() else []


def test_the_installed_package_is_found_through_its_entry_point() -> None:
    known = load_installed_tools()
    assert set(ACME) <= set(known)
    assert SOURCES["refund_order"] == "entry point acme (acme_tools.tools)"
    declared = TOOLS["refund_order"].declaration()
    assert declared.side_effect is SideEffect.IRREVERSIBLE
    assert declared.compensation_activity == "tool.refund_order.compensate"
    assert declared.input_schema["required"] == ["order_id", "amount_cents"]


async def test_a_user_tool_waits_for_approval_and_runs_once(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    workspace = acme_workspace(tmp_path)
    spec = make_spec(workspace, LOOK_THEN_REFUND, tools=ACME)
    handle = await start(client, spec, worker.task_queue)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    assert (request.tool, request.args) == ("refund_order", REFUND)
    assert refunds(workspace) == []  # nothing happens before a human decides
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
    )
    assert (await handle.result()).state is RunState.COMPLETED
    assert refunds(workspace) == [REFUND]
    results = [e.detail for e in await events(handle) if e.kind is EventKind.TOOL_RESULT]
    assert results[0].startswith('lookup_order: {"amount_cents": 5000')
    assert results[1] == "refund_order: refunded 1250 cents of order A-1"
    steps = [s for s in await handle.query("steps", result_type=list[Any])]
    assert any(s["summary"] == "tool refund_order A-1" for s in steps)


async def test_a_canceled_run_undoes_a_user_tools_effect(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    workspace = acme_workspace(tmp_path)
    then_write = [
        *LOOK_THEN_REFUND[1:2],
        ScriptTurn(
            say="Noting it.",
            tool_calls=[ScriptedCall(tool="write_file", args={"path": "n.md", "content": "x"})],
        ),
    ]
    policy = PolicySpec(require_approval=["write_file"])  # the refund runs at once
    spec = make_spec(workspace, then_write, tools=[*ACME, "write_file"], policy=policy)
    handle = await start(client, spec, worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    assert refunds(workspace) == [REFUND]
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="wrong order"))
    ended = await wait_for_state(handle, RunState.ROLLED_BACK)
    assert ended.state is RunState.ROLLED_BACK
    assert refunds(workspace) == []
    compensated = [e.detail for e in await events(handle) if e.kind is EventKind.COMPENSATED]
    assert compensated == ["step 2 (tool refund_order A-1): canceled the refund of A-1"]


@pytest_asyncio.fixture
async def switches(client: Client, worker: Worker) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    handle = await client.start_workflow(
        KILL_SWITCH_WORKFLOW,
        id=KILL_SWITCH_WORKFLOW_ID,
        task_queue=worker.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    yield handle
    await handle.terminate("test over")  # one per server: later tests find none


async def test_a_kill_switch_stops_a_user_tool(
    client: Client, worker: Worker, switches: WorkflowHandle[Any, Any], tmp_path: Path
) -> None:
    workspace = acme_workspace(tmp_path)
    handle = await start(
        client, make_spec(workspace, LOOK_THEN_REFUND, tools=ACME), worker.task_queue
    )
    request = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals[0]
    kill = KillRequest(scope="tool", name="refund_order", by="kim", reason="payments incident")
    await switches.execute_update("kill", kill)
    # The broadcast reaches the run before the approval: the run itself holds the call.
    await wait_for_event(handle, EventKind.KILL_SWITCHES, within=15)
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
    )
    blocked = await wait_for_state(handle, RunState.BLOCKED)
    assert blocked.blocked_reason == "kill switch tool:refund_order (by kim: payments incident)"
    assert refunds(workspace) == []
    await switches.execute_update(
        "unkill", KillRequest(scope="tool", name="refund_order", by="kim")
    )
    assert (await handle.result()).state is RunState.COMPLETED
    assert refunds(workspace) == [REFUND]


async def test_a_run_listing_a_tool_the_worker_lacks_fails_at_its_start(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, tools=["list_files", "open_pull_request"])
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    failed = await snapshot(handle)
    assert failed.state is RunState.FAILED
    assert failed.failure_reason is not None
    assert "the worker has no tool 'open_pull_request'" in failed.failure_reason
    assert "\n" not in failed.failure_reason
    assert failed.step == 0  # no model was asked


class Nothing(BaseModel):
    pass


def test_a_tool_declaration_is_checked_where_it_is_written() -> None:
    def not_async(args: Nothing, ctx: ToolContext) -> str:
        return ""

    async def no_model(args: dict[str, Any], ctx: ToolContext) -> str:
        return ""

    with pytest.raises(TypeError, match="must be an async function"):
        tool(side_effect=SideEffect.READ)(not_async)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="annotated with a pydantic model"):
        tool(side_effect=SideEffect.READ)(no_model)
    with pytest.raises(ValueError, match="lowercase letters"):
        tool(side_effect=SideEffect.READ, name="Open PR")(no_model)


def test_a_user_tool_cannot_take_a_built_in_name() -> None:
    async def write_file(args: Nothing, ctx: ToolContext) -> str:
        return "mine"

    impostor = tool(side_effect=SideEffect.READ)(write_file)
    with pytest.raises(OverseerError, match="'write_file', which built-in already declares"):
        register([impostor], "module evil.tools")
    assert TOOLS["write_file"] is not impostor
