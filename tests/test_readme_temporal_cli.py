"""The README's `temporal` CLI examples, run as written (placeholders filled in) against a
real server, on runs of the demo agent: the docs cannot drift from what the runs accept."""

import asyncio
import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.states import RunState
from starters.client.runs import start_run
from tests.conftest import venv_binary
from tests.helpers import events, wait_for_state

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Talking to a run with the `temporal` CLI"


def readme_commands() -> list[str]:
    """Every command of the section's shell blocks, continuation lines joined."""
    readme = (REPO / "README.md").read_text()
    start = readme.index(SECTION)
    section = readme[start : readme.index("\n## ", start + len(SECTION))]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        joined = block.replace("\\\n", " ")
        commands += [line.strip() for line in joined.splitlines() if line.strip()]
    return commands


COMMANDS = readme_commands()


def command(name: str) -> str:
    """The README's command whose text contains `name` (exactly one)."""
    found = [c for c in COMMANDS if name in c]
    assert len(found) == 1, (name, found)
    return found[0]


async def temporal(
    env: WorkflowEnvironment, text: str, **placeholders: str
) -> tuple[int, str, str]:
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    argv = shlex.split(text)
    assert argv[0] == "temporal"
    process = await asyncio.create_subprocess_exec(
        venv_binary("temporal"),
        *argv[1:],
        env={**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def demo_agent(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "agents", tmp_path / "agents")
    return tmp_path / "agents" / "demo.yaml"


async def waiting_demo_run(
    client: Client, worker: Worker, agent: Path
) -> tuple[WorkflowHandle[Any, Any], str, str]:
    run_id, spec = await start_run(client, agent, "Summarize", "rita", worker.task_queue)
    handle = client.get_workflow_handle(run_id, result_type=RunResult)
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    request = waiting.pending_approvals[0]
    assert request.short_id == "3.1"  # the README's examples name it
    return handle, request.args_sha256, spec.trace_id


def test_the_section_has_the_commands_this_test_runs() -> None:
    names = [
        "--name snapshot",
        "--name events",
        "update execute --workflow-id RUN --name approve",
        "update execute --workflow-id RUN --name reject",
        "update execute --workflow-id RUN --name cancel",
        "signal --workflow-id RUN --name approve",
        "OverseerState",
        "OverseerPendingApproval",
        "OverseerTraceId",
    ]
    assert len(COMMANDS) == len(names)
    for name in names:
        command(name)


async def test_queries_and_the_approve_update_work_as_written(
    env: WorkflowEnvironment, client: Client, worker: Worker, demo_agent: Path
) -> None:
    handle, sha, trace_id = await waiting_demo_run(client, worker, demo_agent)
    code, out, err = await temporal(env, command("--name snapshot"), RUN=handle.id)
    assert code == 0, err
    assert "waiting_for_approval" in out and sha in out
    code, _, err = await temporal(env, command("--name events"), RUN=handle.id)
    assert code == 0, err
    for listing in ("OverseerState", "OverseerPendingApproval", "OverseerTraceId"):
        code, _, err = await temporal(env, command(listing), **{"<trace id>": trace_id})
        assert code == 0, err
    approve = command("update execute --workflow-id RUN --name approve")
    code, out, err = await temporal(
        env, approve, RUN=handle.id, **{"<args_sha256 from the snapshot>": sha}
    )
    assert code == 0, err
    assert (await handle.result()).state is RunState.COMPLETED


async def test_the_reject_update_works_as_written(
    env: WorkflowEnvironment, client: Client, worker: Worker, demo_agent: Path
) -> None:
    handle, sha, _ = await waiting_demo_run(client, worker, demo_agent)
    reject = command("update execute --workflow-id RUN --name reject")
    code, _, err = await temporal(env, reject, RUN=handle.id, **{"<args_sha256>": sha})
    assert code == 0, err
    rejected = [e for e in await events(handle) if e.kind is EventKind.REJECTED]
    assert [e.actor for e in rejected] == ["user:alice"]


async def test_the_cancel_update_works_as_written(
    env: WorkflowEnvironment, client: Client, worker: Worker, demo_agent: Path
) -> None:
    handle, _, _ = await waiting_demo_run(client, worker, demo_agent)
    code, _, err = await temporal(
        env, command("update execute --workflow-id RUN --name cancel"), RUN=handle.id
    )
    assert code == 0, err
    await wait_for_state(handle, RunState.CANCELED)


async def test_the_approve_signal_works_as_written(
    env: WorkflowEnvironment, client: Client, worker: Worker, demo_agent: Path
) -> None:
    handle, sha, _ = await waiting_demo_run(client, worker, demo_agent)
    signal = command("signal --workflow-id RUN --name approve")
    code, _, err = await temporal(env, signal, RUN=handle.id, **{"<args_sha256>": sha})
    assert code == 0, err
    approved = await wait_for_state(handle, RunState.COMPLETED)
    assert approved.state is RunState.COMPLETED
    kinds = [e.kind for e in await events(handle)]
    assert EventKind.APPROVED in kinds and EventKind.SIGNAL_REJECTED not in kinds
