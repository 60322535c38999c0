"""The README's operator commands (pause, resume, budget, audit), run as written against a
run of the demo agent: every example works on the agent a newcomer has."""

import asyncio
import os
import re
import shlex
import shutil
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.states import RunState
from starters.client.runs import start_run
from tests.conftest import venv_binary
from tests.helpers import events, wait_for_state

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Operator controls"
# Kill switches are fleet-wide (one workflow per namespace): tests/test_kill_switch.py runs
# them on a worker of their own.
RUN_COMMANDS = ("overseer pause", "overseer resume", "overseer budget", "overseer audit")


def readme_run_commands() -> list[list[str]]:
    readme = (REPO / "README.md").read_text()
    start = readme.index(SECTION)
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.DOTALL)
    assert block is not None
    commands = []
    for line in block.group(1).splitlines():
        text = re.sub(r"\[[^\]]*\]", "", line.split("  #")[0]).strip()  # drop [optional]
        if text.startswith(RUN_COMMANDS):
            commands.append(shlex.split(text))
    return commands


async def overseer(env: dict[str, str], argv: list[str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        *argv[1:],
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_operator_examples_work_on_the_demo_agent(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    commands = readme_run_commands()
    assert [argv[1] for argv in commands] == ["pause", "resume", "budget", "budget", "audit"]
    shutil.copytree(REPO / "agents", tmp_path / "agents")
    run_id, _ = await start_run(
        client, tmp_path / "agents" / "demo.yaml", "Summarize", "rita", worker.task_queue
    )
    handle = client.get_workflow_handle(run_id, result_type=RunResult)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    cli_env = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    for argv in commands:
        code, _, err = await overseer(cli_env, [a.replace("RUN", run_id) for a in argv])
        assert code == 0, (argv, err)
    kinds = [e.kind for e in await events(handle)]
    assert EventKind.PAUSED in kinds and EventKind.RESUMED in kinds
    assert EventKind.BUDGET_EXTENDED in kinds
