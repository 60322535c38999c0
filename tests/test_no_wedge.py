"""The two wedges of issue 14, as regressions against a real server and worker: the worst
input a run can be fed does not slow it, nor another run on the same worker."""

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.events import EventKind
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import events, make_spec, snapshot, start, wait_for, wait_for_state

MB = 1_000_000
# Exponential for a backtracking engine on a long run of "a" that ends in "b".
EVIL_PATTERNS = ["(a+)+$", "(x+x+)+y", "^(a|aa)+$"]
# The answer to a query must come well before the client's own timeout: a wedged workflow
# task makes queries fail ("Workflow Task in failed state") or time out.
QUERY_DEADLINE = 5.0


async def answers_queries(handle: WorkflowHandle[Any, Any]) -> RunState:
    return (await asyncio.wait_for(snapshot(handle), QUERY_DEADLINE)).state


async def test_a_megabyte_reason_from_the_cli_is_refused_at_once(
    env: WorkflowEnvironment, worker: Worker, client: Client, tmp_path: Path
) -> None:
    handle = await start(client, make_spec(tmp_path), worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        "approve",
        handle.id,
        "--as",
        "alice",
        "--reason",
        "x" * 100_000,
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "OVERSEER_TASK_QUEUE": worker.task_queue,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert stderr.decode().strip().endswith("more than 2000 (see overseer approve --help)")
    assert await answers_queries(handle) is RunState.WAITING_FOR_APPROVAL


async def test_the_worst_input_does_not_wedge_its_run_nor_slow_another(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    # The run fed hostile input: backtracking-hostile policy patterns, and a goal that
    # makes them fail slowly (the goal is redacted into the Web UI's details).
    evil_goal = "a" * 30_000 + "b"
    policy = PolicySpec(version="evil-1", redact_patterns=EVIL_PATTERNS)
    (tmp_path / "v").mkdir()
    victim = await start(
        client, make_spec(tmp_path / "v", goal=evil_goal, policy=policy), worker.task_queue
    )
    waiting = await wait_for_state(victim, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    hostile_decision = {
        "action_id": request.action_id,
        "args_sha256": request.args_sha256,
        "approver": "alice",
        "reason": "a" * MB + "b",
    }
    # Megabyte bodies as updates (refused by the validator) and as signals (recorded).
    for _ in range(3):
        with pytest.raises(WorkflowUpdateFailedError):
            await victim.execute_update("approve", hostile_decision)
        await victim.signal("approve", hostile_decision)
        await victim.signal("pause", {"by": "a" * MB, "reason": "a" * MB + "b"})

    # Meanwhile an ordinary run on the same worker goes from start to end.
    (tmp_path / "b").mkdir()
    bystander = await start(client, make_spec(tmp_path / "b"), worker.task_queue)
    b_waiting = await wait_for_state(bystander, RunState.WAITING_FOR_APPROVAL)
    b_request = b_waiting.pending_approvals[0]
    await bystander.execute_update(
        "approve",
        Decision(action_id=b_request.action_id, args_sha256=b_request.args_sha256, approver="bo"),
    )
    assert (await asyncio.wait_for(bystander.result(), 30)).state is RunState.COMPLETED

    # The victim still answers, recorded each signal as refused, and goes on when approved.
    rejected = await wait_for(
        victim,
        lambda s: s.last_event_seq >= waiting.last_event_seq + 6,
    )
    assert rejected.state is RunState.WAITING_FOR_APPROVAL
    kinds = [e.kind for e in await events(victim, waiting.last_event_seq)]
    assert kinds == [EventKind.SIGNAL_REJECTED] * 6
    assert await answers_queries(victim) is RunState.WAITING_FOR_APPROVAL
    await victim.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"),
    )
    assert (await asyncio.wait_for(victim.result(), 30)).state is RunState.COMPLETED


def test_the_evil_patterns_are_accepted_by_policy() -> None:
    # They compile under RE2 (linear time), so a run may carry them; the test above is
    # only meaningful if the policy takes them.
    assert PolicySpec(redact_patterns=EVIL_PATTERNS).redact_patterns == EVIL_PATTERNS
