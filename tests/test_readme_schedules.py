"""The README's "Recurring runs: schedules", run as written in a fresh directory with the
repo's agents: every command succeeds in order, and the schedules file applies."""

import asyncio
import os
import re
import shlex
import shutil
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from starters.client.schedules import describe_schedule, schedule_runs
from starters.files.schedule_file import load_schedule_file
from tests.conftest import venv_binary

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Recurring runs: schedules"


def _block(language: str) -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index(SECTION)
    found = re.search(rf"```{language}\n(.*?)```", readme[start:], re.DOTALL)
    assert found is not None
    return found.group(1)


def readme_commands() -> list[list[str]]:
    lines = [line.split("  #")[0].strip() for line in _block("sh").splitlines()]
    return [shlex.split(line) for line in lines if line]


async def overseer(env: dict[str, str], argv: list[str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        *argv[1:],
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_schedule_examples_work_as_written(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    shutil.copytree(REPO / "agents", tmp_path / "agents")
    (tmp_path / "schedules.yaml").write_text(_block("yaml"))
    [weekly] = load_schedule_file(tmp_path / "schedules.yaml")
    assert weekly.pause_after_failures == 3 and weekly.timezone == "Europe/Berlin"
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    commands = readme_commands()
    verbs = [argv[2] if argv[1] == "schedule" else argv[1] for argv in commands]
    assert verbs == [
        "create", "ls", "describe", "trigger", "ls", "pause", "unpause", "backfill", "update",
        "apply", "delete",
    ]  # fmt: skip
    try:
        for argv in commands:
            if argv[1:3] == ["schedule", "delete"]:
                view = await describe_schedule(client, "weekday-triage")
                assert view.timing == "every 1h (Europe/Berlin)"  # updated, time zone kept
                async with asyncio.timeout(30):  # visibility catches up with the trigger
                    while not await schedule_runs(client, "weekday-triage"):
                        continue
            code, out, err = await overseer(cli, argv, tmp_path)
            assert code == 0, (argv, err)
            if argv[1:3] == ["schedule", "ls"]:
                assert "weekday-triage" in out and "cron 0 7 * * 1-5 (Europe/Berlin)" in out
        assert (await describe_schedule(client, "weekly-report")).agent == "file-reporter"
    finally:
        for name in ("weekday-triage", "weekly-report"):
            await overseer(cli, ["overseer", "schedule", "delete", name], tmp_path)
        for run in await schedule_runs(client, "weekday-triage"):
            await client.get_workflow_handle(run.run_id).terminate("test over")
