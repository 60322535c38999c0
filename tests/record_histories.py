"""Re-record the saved histories that tests/test_replay.py replays: `make histories`.

Run it only on purpose: when a change to AgentRunWorkflow is meant to break replay of
runs recorded before it (allowed before the first release; after it, use
workflow.patched()). Say so in the commit.
"""

import asyncio
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from contracts import WORKFLOW_NAME
from contracts.approvals import CancelRequest, Decision
from contracts.search_attributes import ALL_KEYS
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import make_spec, wait_for_state
from workers.worker import build_worker

HISTORIES = Path(__file__).resolve().parent / "histories"
Scenario = Callable[[WorkflowHandle[Any, Any]], Awaitable[None]]


async def _decide(handle: WorkflowHandle[Any, Any], name: str, approver: str) -> None:
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    decision = Decision(
        action_id=request.action_id,
        args_sha256=request.args_sha256,
        approver=approver,
        reason="recorded",
    )
    await handle.execute_update(name, decision)


async def approved(handle: WorkflowHandle[Any, Any]) -> None:
    await handle.signal("approve", {"action_id": "9.9"})  # a refused signal, recorded
    await _decide(handle, "approve", "alice")
    await handle.result()


async def rejected(handle: WorkflowHandle[Any, Any]) -> None:
    await _decide(handle, "reject", "bob")
    await handle.result()


async def canceled(handle: WorkflowHandle[Any, Any]) -> None:
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    await handle.execute_update("cancel", CancelRequest(by="carol", reason="recorded"))
    await handle.result()


SCENARIOS: dict[str, Scenario] = {"approved": approved, "rejected": rejected, "canceled": canceled}


async def record(client: Client) -> None:
    task_queue = f"record-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, task_queue):
        for name, scenario in SCENARIOS.items():
            with tempfile.TemporaryDirectory() as workspace:
                # The run's id is the file's stem: replay (tests/test_replay.py) names the
                # workflow after the file, and a run's action ids contain its id.
                handle = await client.start_workflow(
                    WORKFLOW_NAME, make_spec(Path(workspace)), id=name, task_queue=task_queue
                )
                await scenario(handle)
                history = await handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json())
            print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=ALL_KEYS,
        data_converter=pydantic_data_converter,
    )
    try:
        await record(env.client)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
