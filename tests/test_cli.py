"""The `overseer` CLI end to end, in subprocesses, against a real server and worker."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import venv_binary

REPO = Path(__file__).resolve().parent.parent
OVERSEER = venv_binary("overseer")


@pytest.fixture
def cli_env(env: WorkflowEnvironment, task_queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "OVERSEER_TASK_QUEUE": task_queue,
    }


def overseer(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OVERSEER, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def worker_process(cli_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [OVERSEER, "worker"], env=cli_env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture
def agent_file(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "notes.md").write_text("- one open item\n")
    text = (REPO / "agents" / "demo.yaml").read_text()
    agent = tmp_path / "agent.yaml"
    agent.write_text(text.replace("workspace: demo-workspace", f"workspace: {workspace}"))
    return agent


def test_run_watch_approve_follow_status_ls(
    cli_env: dict[str, str], worker_process: subprocess.Popen[str], agent_file: Path, tmp_path: Path
) -> None:
    started = overseer(
        cli_env, "run", str(agent_file), "--goal", "report please", "--as", "rita", "--watch"
    )
    assert started.returncode == 0, started.stderr
    run_id = re.search(r"started run (\S+)", started.stdout)
    assert run_id is not None
    run = run_id.group(1)
    assert "planning -> waiting_for_approval" in started.stdout
    assert f"approve: overseer approve {run} 3.1 --as YOU" in started.stdout

    waiting = overseer(cli_env, "status", run)
    assert "state:     waiting_for_approval" in waiting.stdout
    assert "Waiting for approval: write_file (action 3.1)" in waiting.stdout

    wrong = overseer(cli_env, "approve", run, "3.1", "--as", "alice", "--sha256", "0" * 64)
    assert wrong.returncode == 1
    assert wrong.stderr.count("\n") == 1
    assert "is not what you reviewed" in wrong.stderr

    approved = overseer(cli_env, "approve", run, "--as", "alice", "--reason", "ok")
    assert approved.returncode == 0, approved.stderr
    assert "approved action 3.1 (write_file" in approved.stdout

    followed = overseer(cli_env, "events", run, "--follow")
    assert followed.returncode == 0, followed.stderr
    assert f"run {run} ended: completed" in followed.stdout
    assert (tmp_path / "workspace" / "out" / "report.md").read_text().startswith("# Report")

    status = overseer(cli_env, "status", run)
    assert "state:     completed" in status.stdout
    assert "requester: rita" in status.stdout

    log = overseer(cli_env, "events", run, "--after", "12")
    assert log.stdout.splitlines()[0].startswith("#13")
    assert "user:alice" in log.stdout

    deadline = time.monotonic() + 20  # visibility is eventually consistent
    listed = overseer(cli_env, "ls", "--state", "completed")
    while run not in listed.stdout and time.monotonic() < deadline:
        listed = overseer(cli_env, "ls", "--state", "completed")
    assert re.search(rf"{run}\s+completed\s+file-reporter", listed.stdout)
    assert run not in overseer(cli_env, "ls", "--state", "failed").stdout

    steps = overseer(cli_env, "steps", run).stdout.splitlines()
    assert steps[0].split() == ["STEP", "TURN", "KIND", "EFFECT", "STATUS", "RE-RUN", "WHAT"]
    assert steps[6].split() == [
        "6",
        "3",
        "tool",
        "irreversible",
        "completed",
        "UNSAFE",
        "tool",
        "write_file",
        "out/report.md",
    ]
    refused = overseer(cli_env, "reset", run, "--to-step", "2")
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"overseer: error: refusing to reset {run} to step 2:")
    unexplained = overseer(cli_env, "reset", run, "--to-step", "2", "--force")
    assert unexplained.stderr == (
        "overseer: error: --force needs --reason: a forced reset is recorded with why\n"
    )

    again = overseer(cli_env, "approve", run, "--as", "alice")
    assert again.returncode == 1
    assert (
        again.stderr == f"overseer: error: run {run} has no pending approval (state: completed)\n"
    )

    worker_process.send_signal(signal.SIGTERM)
    assert worker_process.wait(timeout=30) == 0
    lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines()]
    messages = {line["msg"] for line in lines}
    assert {
        f"worker started on task queue {cli_env['OVERSEER_TASK_QUEUE']}",
        "worker stopped",
    } <= messages
    wrote = [line for line in lines if line["msg"].startswith("tool write_file out/report.md:")]
    assert wrote[0]["msg"] == "tool write_file out/report.md: wrote 95 bytes to out/report.md"
    assert [(line["run_id"], line["activity"]) for line in wrote] == [(run, "tool.write_file")]


def test_cancel_record_and_replay_from_the_cli(
    cli_env: dict[str, str], worker_process: subprocess.Popen[str], agent_file: Path, tmp_path: Path
) -> None:
    started = overseer(cli_env, "run", str(agent_file), "--goal", "x", "--watch")
    run = re.search(r"started run (\S+)", started.stdout)
    assert run is not None
    canceled = overseer(cli_env, "cancel", run.group(1), "--reason", "wrong goal", "--as", "carol")
    assert canceled.returncode == 0, canceled.stderr
    followed = overseer(cli_env, "events", run.group(1), "--follow")
    assert "waiting_for_approval -> canceled" in followed.stdout
    assert "user:carol" in followed.stdout
    assert f"run {run.group(1)} ended: canceled" in followed.stdout

    cassette = tmp_path / "run.cassette.json"
    recorded = overseer(cli_env, "cassette", run.group(1), "--out", str(cassette))
    assert recorded.stdout == f"recorded 3 model turns of run {run.group(1)} to {cassette}\n"
    replayed = overseer(
        cli_env, "run", str(agent_file), "--goal", "x", "--replay", str(cassette), "--watch"
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "Waiting for approval: write_file (action 3.1)" in replayed.stdout
    again = re.search(r"started run (\S+)", replayed.stdout)
    assert again is not None
    assert overseer(cli_env, "cancel", again.group(1), "--reason", "done").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "no-such-run"], "overseer: error: no run 'no-such-run' in this namespace\n"),
        (
            ["run", "missing.yaml", "--goal", "x"],
            "overseer: error: agent file missing.yaml does not exist\n",
        ),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    result = overseer(cli_env, *args)
    assert (result.returncode, result.stderr) == (1, message)


def test_a_malformed_agent_file_names_the_field(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntools: [list_files]\nmodel: {provider: gpt}\n")
    result = overseer(cli_env, "run", str(bad), "--goal", "x")
    assert result.returncode == 1
    assert result.stderr.startswith(f"overseer: error: {bad}: model.provider: Input should be")
    assert result.stderr.count("\n") == 1


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "starters.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    for command in (
        "server",
        "worker",
        "demo",
        "run",
        "ls",
        "status",
        "events",
        "approve",
        "reject",
        "cancel",
    ):
        assert f"    {command}" in result.stdout
    assert "TEMPORAL_ADDRESS" in result.stdout
