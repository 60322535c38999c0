"""Tool pools: a tool routed to its own task queue runs only on the workers started for that
pool (they hold its credentials); the general worker does not even register it."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.activity import _Definition
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle

from activities import all_activities
from activities.llm import ModelActivities
from activities.providers.breaker import BreakerBoard
from contracts.approvals import CancelRequest
from contracts.errors import OverseerError
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import make_spec, snapshot, start, wait_for_state
from tests.test_mcp import call, demo_stdio
from tests.test_user_tools import ACME, LOOK_THEN_REFUND, REFUND, acme_workspace, refunds
from workers.config import ToolPool, WorkerConfig, load_worker_config
from workers.worker import build_tool_pool_worker, build_worker, build_workers

SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
NO_APPROVAL = PolicySpec(require_approval=[])


def payments(queue: str) -> WorkerConfig:
    return WorkerConfig(tool_pools=[ToolPool(task_queue=queue, tools=["refund_order"])])


async def scheduled(handle: WorkflowHandle[Any, Any], activity: str) -> HistoryEvent:
    """The history event scheduling `activity`, waited for at each new event."""

    async def watch() -> HistoryEvent:
        async for event in handle.fetch_history_events(wait_new_event=True):
            attributes = event.activity_task_scheduled_event_attributes
            if event.event_type == SCHEDULED and attributes.activity_type.name == activity:
                return event
        raise AssertionError(f"{handle.id} closed without scheduling {activity}")

    return await asyncio.wait_for(watch(), 30)


def activity_names(config: WorkerConfig) -> set[str]:
    models = ModelActivities(BreakerBoard(config.breaker.settings()))
    definitions = [
        _Definition.must_from_callable(fn) for fn in all_activities(models, config.tool_routes())
    ]
    return {definition.name or "(dynamic)" for definition in definitions}


async def test_a_pooled_tool_waits_for_its_pool_then_runs_there(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    pool = f"{task_queue}-payments"
    config = payments(pool)
    workspace = acme_workspace(tmp_path)
    spec = make_spec(workspace, LOOK_THEN_REFUND, tools=ACME, policy=NO_APPROVAL)
    async with build_worker(client, task_queue, config):
        handle = await start(client, spec, task_queue)
        event = await scheduled(handle, "tool.refund_order")
        assert event.activity_task_scheduled_event_attributes.task_queue.name == pool
        # Only the general worker runs: the call waits on the pool's queue, the run goes on.
        waiting = await snapshot(handle)
        assert waiting.state is RunState.EXECUTING
        assert refunds(workspace) == []
        looked = await scheduled(handle, "tool.lookup_order")  # unpooled: the run's queue
        assert looked.activity_task_scheduled_event_attributes.task_queue.name == task_queue
        async with build_tool_pool_worker(client, config.tool_pools[0], config):
            assert (await handle.result()).state is RunState.COMPLETED
    assert refunds(workspace) == [REFUND]


def test_the_general_worker_does_not_register_a_pooled_tool() -> None:
    general = activity_names(payments("payments"))
    assert "tool.refund_order" not in general
    assert "tool.refund_order.compensate" not in general
    assert {"tool.lookup_order", "tools.declare"} <= general
    assert "tool.refund_order" in activity_names(WorkerConfig())  # unpooled, it is there


async def test_a_pooled_tools_compensation_runs_on_its_pool(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    pool = f"{task_queue}-payments"
    config = payments(pool)
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
    async with (
        build_worker(client, task_queue, config),
        build_tool_pool_worker(client, config.tool_pools[0], config),
    ):
        handle = await start(client, spec, task_queue)
        await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
        assert refunds(workspace) == [REFUND]
        await handle.execute_update("cancel", CancelRequest(by="carol", reason="wrong order"))
        await wait_for_state(handle, RunState.ROLLED_BACK)
        undo = await scheduled(handle, "tool.refund_order.compensate")
    assert undo.activity_task_scheduled_event_attributes.task_queue.name == pool
    assert refunds(workspace) == []


async def test_a_pool_only_worker_serves_its_pools_and_nothing_else(client: Client) -> None:
    config = WorkerConfig(
        tool_pools=[ToolPool(task_queue="payments", tools=["refund_order"])], serve="pools"
    )
    workers = build_workers(client, f"main-{uuid.uuid4().hex[:8]}", config)
    assert [worker.task_queue for worker in workers] == ["payments"]


async def test_a_pool_naming_an_unknown_tool_stops_the_worker(client: Client) -> None:
    config = WorkerConfig(tool_pools=[ToolPool(task_queue="payments", tools=["refund_ordr"])])
    with pytest.raises(OverseerError) as raised:
        build_workers(client, "main", config)
    message = str(raised.value)
    assert message.startswith("tool_pools: payments: no tool 'refund_ordr' (known tools: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("pools", "problem"),
    [
        (
            "[{task_queue: pay, tools: [refund_order]}, {task_queue: ops, tools: [refund_order]}]",
            "tool 'refund_order' is in two pools (pay and ops)",
        ),
        (
            "[{task_queue: pay, tools: [refund_order]}, {task_queue: pay, tools: [post_webhook]}]",
            "task queue 'pay' serves two pools",
        ),
        ("[{task_queue: pay, tools: []}]", "tool_pools.0: pool pay routes nothing"),
    ],
)
def test_a_bad_pool_config_is_one_line(tmp_path: Path, pools: str, problem: str) -> None:
    path = tmp_path / "worker.yaml"
    path.write_text(f"tool_pools: {pools}\n")
    with pytest.raises(OverseerError) as raised:
        load_worker_config(path)
    assert str(raised.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(raised.value)


def test_a_pool_only_config_needs_a_pool(tmp_path: Path) -> None:
    path = tmp_path / "worker.yaml"
    path.write_text("serve: pools\n")
    with pytest.raises(OverseerError, match="serve: pools, but the config has no pools"):
        load_worker_config(path)


async def test_all_tools_of_an_agent_can_run_in_its_pool(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    pool = f"{task_queue}-support"
    agent = f"support-{uuid.uuid4().hex[:6]}"
    config = WorkerConfig(tool_pools=[ToolPool(task_queue=pool, agents=[agent])])
    workspace = acme_workspace(tmp_path)
    spec = make_spec(workspace, LOOK_THEN_REFUND, tools=ACME, policy=NO_APPROVAL, agent=agent)
    async with build_worker(client, task_queue, config):
        handle = await start(client, spec, task_queue)
        looked = await scheduled(handle, "tool.lookup_order")  # read-only, yet in the pool
        assert looked.activity_task_scheduled_event_attributes.task_queue.name == pool
        async with build_tool_pool_worker(client, config.tool_pools[0], config):
            assert (await handle.result()).state is RunState.COMPLETED
        refunded = await scheduled(handle, "tool.refund_order")
        assert refunded.activity_task_scheduled_event_attributes.task_queue.name == pool
    assert refunds(workspace) == [REFUND]


async def test_every_tool_of_an_mcp_server_can_run_in_its_pool(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    pool = f"{task_queue}-mcp"
    config = WorkerConfig(tool_pools=[ToolPool(task_queue=pool, mcp_servers=["demo"])])
    script = [call("demo_echo", text="hi"), ScriptTurn(say="Done.")]
    spec = make_spec(tmp_path, script, tools=[], mcp=[demo_stdio(tmp_path / "ledger")])
    async with build_worker(client, task_queue, config):
        handle = await start(client, spec, task_queue)
        event = await scheduled(handle, "mcp.call_tool")
        assert event.activity_task_scheduled_event_attributes.task_queue.name == pool
        async with build_tool_pool_worker(client, config.tool_pools[0], config):
            assert (await handle.result()).state is RunState.COMPLETED


def test_a_pool_must_route_something_and_routes_are_disjoint() -> None:
    with pytest.raises(ValueError, match="routes nothing"):
        ToolPool(task_queue="empty")
    with pytest.raises(ValueError, match="MCP server 'crm' is in two pools"):
        WorkerConfig(
            tool_pools=[
                ToolPool(task_queue="a", mcp_servers=["crm"]),
                ToolPool(task_queue="b", mcp_servers=["crm"]),
            ]
        )
