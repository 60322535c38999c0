"""Hostile and mistaken command lines: every error is one line on stderr, with a non-zero exit
and no traceback; a closed pipe ends the command quietly."""

import os
import subprocess
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from contracts.pipeline import PipelineSpec, PipelineStep
from tests.conftest import venv_binary
from tests.pipeline_helpers import echo_agent, start_pipeline

OVERSEER = venv_binary("overseer")
# Nothing listens here: these commands must be refused before any connection is tried,
# or fail to connect in one line.
CLOSED = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:1", "TEMPORAL_NAMESPACE": "default"}

ARGUMENT_CASES = [
    ["approve", "r", "1.1", "--as", ""],
    ["approve", "r", "--as", "   "],
    ["approve", "r", "--as", "a\x1bb"],
    ["approve", "r", "--as", "x" * 200],
    ["approve", "r", "--as", "alice", "--reason", "x" * 100_000],
    ["approve", "r", "1 .1", "--as", "alice"],
    ["reject", "r", "1.1", "--as", "alice"],  # reject needs --reason
    ["pause", "r", "--as", "", "--reason", "r"],
    ["pause", "r", "--as", "a", "--reason", "x" * 3000],
    ["resume", "r", "--as", "ro\x07ot", "--reason", "r"],
    ["cancel", "", "--as", "a", "--reason", "r"],
    ["cancel", "r", "--as", "a\r\n", "--reason", "r"],
    ["status", "a b"],
    ["events", "r", "--after", "-5"],
    ["events", "r", "--after", "abc"],
    ["events", "r", "--after", "1e99"],
    ["ls", "--limit", "0"],
    ["ls", "--limit", "-1"],
    ["ls", "--state", "nonsense"],
    ["top", "--limit", str(10**9)],
    ["reset", "r", "--to-step", "0"],
    ["reset", "r", "--to-step", "-1"],
    ["kill", "--tool", "", "--as", "a", "--reason", "r"],
    ["kill", "--agent", "", "--as", "a", "--reason", "r"],
    ["kill", "--tool", "write file", "--as", "a", "--reason", "r"],
    ["kill", "--tool", "x" * 300, "--as", "a", "--reason", "r"],
    ["unkill", "--tool", "", "--as", "a"],
    ["server", "--ui-port", "70000"],
    ["worker", "--metrics-port", "0"],
    ["queue", "limits", "--all", "-1"],
    ["reply", "r", "--as", "", "--text", "hi"],
    ["run", "agents/demo.yaml", "--goal", "x", "--priority", "12"],
    ["--bogus"],
    [],
    ["nonsense-command"],
    ["status", "some-run"],  # nothing listens: one line saying so
]


def overseer(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OVERSEER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("overseer"), lines[0]
    assert lines[0].isprintable(), lines[0]
    return lines[0]


@pytest.mark.parametrize("args", ARGUMENT_CASES, ids=[" ".join(a)[:40] for a in ARGUMENT_CASES])
def test_a_bad_command_line_is_refused_in_one_line(args: list[str]) -> None:
    assert_one_line_error(overseer(CLOSED, *args))


def test_an_empty_kill_switch_name_never_means_all() -> None:
    done = overseer(CLOSED, "kill", "--tool", "", "--as", "a", "--reason", "r")
    line = assert_one_line_error(done)
    assert "--tool" in line and "not a name" in line


@pytest.fixture
def server_env(env: WorkflowEnvironment, task_queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "OVERSEER_TASK_QUEUE": task_queue,
    }


@pytest.mark.parametrize("command", ["events", "steps", "retry"])
async def test_a_pipeline_id_given_to_a_run_command_says_what_to_use(
    client: Client, server_env: dict[str, str], tmp_path: Path, command: str
) -> None:
    # No worker: the pipeline only has to exist for the command to recognise it.
    spec = PipelineSpec(
        name="one-step", goal="g", steps=[PipelineStep(name="echo", agent=echo_agent(tmp_path))]
    )
    handle = await start_pipeline(client, spec, server_env["OVERSEER_TASK_QUEUE"])
    line = assert_one_line_error(overseer(server_env, command, handle.id))
    assert f"{handle.id} is a pipeline, not a run" in line
    assert f"overseer status {handle.id}" in line
    await handle.terminate("test done")


def test_a_closed_pipe_ends_the_command_quietly(server_env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [OVERSEER, "ls", "--limit", "5"],
        env=server_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader (`head`) went away before the first line
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert stderr == ""
