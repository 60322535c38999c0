"""A versioned-worker rollout on the dev server: a run in flight stays on the build it
started on (pinned) while new runs go to the new current build; rollback sends new runs
back to the old build."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import VersioningBehavior

from contracts.approvals import Decision
from contracts.errors import OverseerError
from contracts.queue import LimitsChange
from contracts.states import RunState
from starters.client.deployments import (
    describe_deployment,
    rollback,
    set_current_version,
)
from starters.client.queue import QueueClient
from tests.helpers import make_spec, start, wait_for_state
from workers.config import WorkerConfig, WorkerVersioning, load_worker_config
from workers.worker import build_worker


@asynccontextmanager
async def versioned_worker(
    client: Client, task_queue: str, deployment: str, build_id: str
) -> AsyncIterator[None]:
    versioning = WorkerVersioning(deployment=deployment, build_id=build_id)
    async with build_worker(client, task_queue, WorkerConfig(versioning=versioning)):
        await registered(client, deployment, build_id)
        yield


async def registered(client: Client, deployment: str, build_id: str) -> None:
    """Wait until the server lists the version: it registers it on the worker's first poll."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (await describe_deployment(client, deployment)).version(build_id):
                return
        except OverseerError:  # the deployment itself is not there yet
            pass
        await asyncio.sleep(0.2)  # polling the server's state, with a deadline
    raise AssertionError(f"{deployment}.{build_id} never registered")


async def pinned_build(handle: WorkflowHandle[Any, Any]) -> tuple[int, str]:
    info = (await handle.describe()).raw_description.workflow_execution_info.versioning_info
    return info.behavior, info.deployment_version.build_id


async def builds_that_ran(handle: WorkflowHandle[Any, Any]) -> set[str]:
    """The build of every worker that completed one of the run's workflow tasks."""
    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return {
        event.workflow_task_completed_event_attributes.deployment_version.build_id
        async for event in handle.fetch_history_events()
        if event.event_type == completed
    }


async def approve(handle: WorkflowHandle[Any, Any]) -> None:
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    decision = Decision(
        action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"
    )
    await handle.execute_update("approve", decision)


PINNED = VersioningBehavior.PINNED.value


def workspace(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    return tmp_path / name


async def test_a_run_in_flight_finishes_on_its_build_while_new_runs_go_to_the_new_one(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    deployment = f"test-{uuid.uuid4().hex[:10]}"
    async with versioned_worker(client, task_queue, deployment, "build-a"):
        assert await set_current_version(client, deployment, "build-a") is None
        queue = QueueClient(client, f"queue-{deployment}")
        await queue.set_limits(LimitsChange(overall=5), task_queue)  # starts it, on build-a
        old = await start(client, make_spec(workspace(tmp_path, "old")), task_queue)
        await wait_for_state(old, RunState.WAITING_FOR_APPROVAL)
        assert await pinned_build(old) == (PINNED, "build-a")

        async with versioned_worker(client, task_queue, deployment, "build-b"):
            assert await set_current_version(client, deployment, "build-b") == "build-a"
            status = await describe_deployment(client, deployment)
            assert status.current == "build-b"
            # build-a still has a run pinned to it: it drains, it is not yet drained.
            assert [(v.build_id, v.status) for v in status.versions] == [
                ("build-b", "current"),
                ("build-a", "draining"),
            ]

            # The queue continues as new forever: promote moved it to auto-upgrade, so its
            # next workflow task runs on build-b, while the run keeps build-a.
            limits = await queue.set_limits(LimitsChange(overall=7), task_queue)
            assert limits.overall == 7
            queue_handle = client.get_workflow_handle(f"queue-{deployment}")
            assert await builds_that_ran(queue_handle) == {"build-a", "build-b"}
            auto = (await queue_handle.describe()).raw_description.workflow_execution_info
            assert auto.versioning_info.versioning_override.auto_upgrade

            new = await start(client, make_spec(workspace(tmp_path, "new")), task_queue)
            await wait_for_state(new, RunState.WAITING_FOR_APPROVAL)
            assert await pinned_build(new) == (PINNED, "build-b")

            await approve(old)
            assert (await old.result()).state is RunState.COMPLETED
            assert await builds_that_ran(old) == {"build-a"}
            assert await pinned_build(old) == (PINNED, "build-a")

            assert await rollback(client, deployment) == ("build-b", "build-a")
            assert (await describe_deployment(client, deployment)).current == "build-a"
            after = await start(client, make_spec(workspace(tmp_path, "after")), task_queue)
            await wait_for_state(after, RunState.WAITING_FOR_APPROVAL)
            assert await pinned_build(after) == (PINNED, "build-a")

            # The run started on build-b stays there after the rollback, and finishes there.
            await approve(new)
            assert (await new.result()).state is RunState.COMPLETED
            assert await builds_that_ran(new) == {"build-b"}
            await approve(after)
            assert (await after.result()).state is RunState.COMPLETED


async def test_promoting_a_build_no_worker_serves_is_refused_in_one_line(
    client: Client, task_queue: str
) -> None:
    deployment = f"test-{uuid.uuid4().hex[:10]}"
    with pytest.raises(OverseerError, match=f"^no worker deployment {deployment}: start"):
        await set_current_version(client, deployment, "build-a")
    async with versioned_worker(client, task_queue, deployment, "build-a"):
        with pytest.raises(OverseerError) as refused:
            await set_current_version(client, deployment, "build-z")
    assert str(refused.value) == (
        f"deployment {deployment} has no build build-z (its builds: build-a); start its "
        f"workers first: overseer worker --deployment {deployment} --build-id build-z"
    )


def test_versioning_comes_from_flags_then_environment_and_needs_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_worker_config(None).versioning is None  # unversioned, as before
    monkeypatch.setenv("OVERSEER_DEPLOYMENT", "overseer")
    monkeypatch.setenv("OVERSEER_BUILD_ID", "2026.05.1")
    assert load_worker_config(None).versioning == WorkerVersioning(
        deployment="overseer", build_id="2026.05.1"
    )
    flagged = load_worker_config(None, "blue", "b7")
    assert flagged.versioning == WorkerVersioning(deployment="blue", build_id="b7")
    monkeypatch.delenv("OVERSEER_BUILD_ID")
    with pytest.raises(OverseerError, match="needs both a deployment and a build id: give --build"):
        load_worker_config(None)
    with pytest.raises(OverseerError, match=r"^--deployment: letters, digits"):
        load_worker_config(None, "has.dot", "b1")
    config = tmp_path / "worker.yaml"
    config.write_text("versioning: {deployment: green, build_id: g1}\n")
    monkeypatch.delenv("OVERSEER_DEPLOYMENT")
    assert load_worker_config(config).versioning == WorkerVersioning(
        deployment="green", build_id="g1"
    )
