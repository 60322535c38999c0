"""`overseer pause | resume | budget | kill | unkill | audit` end to end, in subprocesses,
against a real server and worker."""

import asyncio
import os
import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from contracts.errors import OverseerError
from contracts.events import EventKind, RunEvent
from contracts.kill_switch import KILL_SWITCH_WORKFLOW_ID
from starters.cli.governance_commands import parse_additions
from starters.cli.parser import build_parser
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


def overseer(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OVERSEER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def ok(env: dict[str, str], *args: str) -> str:
    result = overseer(env, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line_error(env: dict[str, str], *args: str) -> str:
    result = overseer(env, *args)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("overseer: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def wait_for_status(env: dict[str, str], run: str, *wanted: str, timeout: float = 20) -> str:
    """`overseer status` once every line wanted is in it (polled with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        status = ok(env, "status", run)
        if all(line in status for line in wanted) or time.monotonic() > deadline:
            assert all(line in status for line in wanted), status
            return status


def start(env: dict[str, str], agent: Path, *extra: str) -> str:
    started = ok(env, "run", str(agent), "--goal", "report please", "--as", "rita", *extra)
    found = re.search(r"started run (\S+)", started)
    assert found is not None
    return found.group(1)


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


def write_agent(tmp_path: Path, max_steps: int = 8) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "notes.md").write_text("- one open item\n")
    text = (REPO / "agents" / "demo.yaml").read_text()
    text = text.replace("workspace: demo-workspace", f"workspace: {workspace}")
    agent = tmp_path / "agent.yaml"
    agent.write_text(text.replace("max_steps: 8", f"max_steps: {max_steps}"))
    return agent


async def _delete_kill_switches(client: Client) -> None:
    # The kill-switch workflow has one fixed id and runs on the task queue of the test that
    # started it: delete it, so no later test's worker asks a workflow nobody serves.
    execution = WorkflowExecution(workflow_id=KILL_SWITCH_WORKFLOW_ID)
    try:
        await client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(namespace="default", workflow_execution=execution)
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return
        raise
    handle = client.get_workflow_handle(KILL_SWITCH_WORKFLOW_ID)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return
            raise
        await asyncio.sleep(0.2)  # deletion is asynchronous on the server
    raise AssertionError("the kill-switch workflow was not deleted in time")


@pytest_asyncio.fixture
async def no_kill_switches(client: Client) -> AsyncIterator[None]:
    await _delete_kill_switches(client)
    yield
    await _delete_kill_switches(client)


def test_pause_holds_after_approval_resume_goes_on_and_audit_tells_who(
    cli_env: dict[str, str], worker_process: subprocess.Popen[str], tmp_path: Path
) -> None:
    agent = write_agent(tmp_path)
    run = start(cli_env, agent, "--watch")

    paused = ok(cli_env, "pause", run, "--as", "pat", "--reason", "look first")
    assert f"paused run {run} as pat" in paused
    assert "state: waiting_for_approval" in paused
    again = one_line_error(cli_env, "pause", run, "--as", "pat", "--reason", "twice")
    assert again == "overseer: error: pause refused: run is already paused by pat\n"

    ok(cli_env, "approve", run, "--as", "alice", "--reason", "fine")
    wait_for_status(cli_env, run, "state:     blocked", "blocked:   paused by pat: look first")
    assert not (tmp_path / "workspace" / "out" / "report.md").exists()

    resumed = ok(cli_env, "resume", run, "--as", "pat", "--reason", "go on")
    assert f"resumed run {run} as pat" in resumed
    assert f"run {run} ended: completed" in ok(cli_env, "events", run, "--follow")
    assert (tmp_path / "workspace" / "out" / "report.md").exists()

    lines = ok(cli_env, "audit", run, "--format", "jsonl").splitlines()
    events = [RunEvent.model_validate_json(line) for line in lines]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    approved = [e for e in events if e.kind is EventKind.APPROVED]
    assert len(approved) == 1
    assert approved[0].actor == "user:alice"
    assert approved[0].policy_version == "demo-policy-1"
    assert approved[0].evidence[0] == f"{run}/3.1"
    assert approved[0].detail == "write_file approved: fine"
    by_kind = {e.kind: e for e in events}
    assert by_kind[EventKind.PAUSED].actor == "user:pat"
    assert by_kind[EventKind.RESUMED].detail == "go on"

    table = ok(cli_env, "audit", run).splitlines()
    assert table[0].split()[:4] == ["SEQ", "TIME", "(UTC)", "KIND"]
    line = next(line for line in table if " approved " in line)
    assert "user:alice" in line and "demo-policy-1" in line
    assert f"evidence: {run}/3.1, " in table[table.index(line) + 1]


def test_budget_add_unblocks_a_run_out_of_steps(
    cli_env: dict[str, str], worker_process: subprocess.Popen[str], tmp_path: Path
) -> None:
    run = start(cli_env, write_agent(tmp_path, max_steps=2))
    wait_for_status(cli_env, run, "state:     blocked", "budget_exhausted: max_steps 2 reached")

    shown = ok(cli_env, "budget", run).splitlines()
    assert "blocked (budget_exhausted: max_steps 2 reached)" in shown[0]
    assert shown[2].split() == ["steps", "2", "2"]

    unknown = one_line_error(
        cli_env, "budget", run, "--add", "stepz=5", "--as", "bo", "--reason", "more"
    )
    assert unknown == (
        "overseer: error: --add 'stepz=5': unknown key 'stepz'; known keys: steps, "
        "tool_calls, tokens, cost_usd, wall_seconds, repeated_calls\n"
    )
    unlimited = one_line_error(
        cli_env, "budget", run, "--add", "cost_usd=0.5", "--as", "bo", "--reason", "x"
    )
    assert unlimited == (
        "overseer: error: extend_budget refused: this run has no max_cost_usd limit to raise\n"
    )
    assert ok(cli_env, "budget", run).splitlines()[2].split() == ["steps", "2", "2"]

    raised = ok(cli_env, "budget", run, "--add", "steps=5", "--as", "bo", "--reason", "more")
    assert f"raised the budget of run {run} as bo: steps +5" in raised
    assert raised.splitlines()[2].split() == ["steps", "2", "7"]

    wait_for_status(cli_env, run, "state:     waiting_for_approval")
    ok(cli_env, "approve", run, "--as", "alice")
    assert f"run {run} ended: completed" in ok(cli_env, "events", run, "--follow")
    audit = ok(cli_env, "audit", run)
    assert "budget_extended" in audit and "max_steps -> 7: more" in audit


def test_kill_a_tool_holds_the_approved_call_unkill_lets_it_run(
    cli_env: dict[str, str],
    worker_process: subprocess.Popen[str],
    tmp_path: Path,
    no_kill_switches: None,
) -> None:
    assert ok(cli_env, "kill", "--list") == "no kill switch is on\n"
    run = start(cli_env, write_agent(tmp_path), "--watch")

    killed = ok(cli_env, "kill", "--tool", "write_file", "--as", "kim", "--reason", "incident 7")
    assert "kill switch tool:write_file is on (by kim)" in killed
    rules = ok(cli_env, "kill", "--list").splitlines()
    assert rules[0].split() == ["SWITCH", "BY", "SINCE", "(UTC)", "REASON"]
    assert rules[1].split()[:2] == ["tool:write_file", "kim"]
    assert rules[1].endswith("incident 7")
    twice = one_line_error(cli_env, "kill", "--tool", "write_file", "--as", "kim", "--reason", "x")
    assert twice == "overseer: error: kill refused: kill switch tool:write_file is already on\n"

    ok(cli_env, "approve", run, "--as", "alice")
    wait_for_status(cli_env, run, "state:     blocked", "blocked:   kill switch tool:write_file")
    assert not (tmp_path / "workspace" / "out" / "report.md").exists()

    unkilled = ok(cli_env, "unkill", "--tool", "write_file", "--as", "kim")
    assert "kill switch tool:write_file is off (by kim)" in unkilled
    assert unkilled.endswith("no kill switch is on\n")
    assert f"run {run} ended: completed" in ok(cli_env, "events", run, "--follow")
    assert (tmp_path / "workspace" / "out" / "report.md").exists()
    gone = one_line_error(cli_env, "unkill", "--tool", "write_file", "--as", "kim")
    assert gone == (
        "overseer: error: unkill refused: no kill switch tool:write_file is on (on: none)\n"
    )


@pytest.mark.parametrize("command", [["audit"], ["pause", "--as", "a", "--reason", "r"]])
def test_an_unknown_run_is_one_line(cli_env: dict[str, str], command: list[str]) -> None:
    refused = one_line_error(cli_env, command[0], "no-such-run", *command[1:])
    assert refused == "overseer: error: no run 'no-such-run' in this namespace\n"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["steps=1.5"], "--add 'steps=1.5': '1.5' is not a whole number"),
        (["cost_usd=lots"], "--add 'cost_usd=lots': 'lots' is not a number"),
        (
            ["steps"],
            "--add 'steps': expected KEY=VALUE, KEY one of steps, tool_calls, tokens, "
            "cost_usd, wall_seconds, repeated_calls",
        ),
        (["steps=0"], "--add 'steps=0': the amount must be more than 0"),
        (["wall_seconds=inf"], "--add 'wall_seconds=inf': the amount must be more than 0"),
        (["steps=1", "steps=2"], "--add steps is given twice: give each key once"),
    ],
)
def test_budget_additions_are_checked_before_anything_is_sent(
    items: list[str], message: str
) -> None:
    with pytest.raises(OverseerError) as refused:
        parse_additions(items)
    assert str(refused.value) == message


def test_parse_additions_keeps_whole_numbers_whole() -> None:
    assert parse_additions(["steps=5", "cost_usd=0.5", " tokens = 100"]) == {
        "steps": 5,
        "cost_usd": 0.5,
        "tokens": 100,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["budget", "r", "--add", "steps=5"], "--add needs --as and --reason"),
        (["budget", "r", "--as", "bo"], "--as and --reason go with --add"),
        (["kill", "--all"], "kill needs --as and --reason"),
        (["kill", "--list", "--as", "kim"], "--list takes no --as or --reason"),
    ],
)
def test_who_and_why_are_required_where_recorded(args: list[str], message: str) -> None:
    parsed = build_parser().parse_args(args)
    with pytest.raises(OverseerError) as refused:
        asyncio.run(parsed.handler(parsed))  # refused before it connects to anything
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("pause", "overseer pause"),
        ("budget", "--add steps=5"),
        ("kill", "overseer kill --list"),
        ("unkill", "--tool"),
        ("audit", "--format jsonl"),
    ],
)
def test_governance_commands_explain_themselves(
    command: str, example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    assert example in capsys.readouterr().out
