"""Agent files list MCP servers: strictly checked, credentials named (and scoped), each
problem one line naming it; the demo MCP agent runs offline."""

import os
import sys
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from contracts.errors import OverseerError
from contracts.events import EventKind
from contracts.states import RunState
from starters.files.agent_file import load_agent_file, run_spec
from tests.helpers import events, start

AGENTS = Path(__file__).parent.parent / "agents"
BASE = "name: a\nworkspace: .\n"


def load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "agent.yaml"
    path.write_text(BASE + text)
    try:
        load_agent_file(path)
    except OverseerError as error:
        message = str(error)
        assert "\n" not in message
        return message
    return "ok"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("mcp: [{name: git}]", "give either command or url"),
        ("mcp: [{name: git, command: [x], url: 'http://h/mcp'}]", "give either command or url"),
        ("mcp: [{name: Git, command: [x]}]", "mcp.0.name: String should match pattern"),
        ("mcp: [{name: g, command: [x], headers: {A: s}}]", "headers are for url servers"),
        ("mcp: [{name: g, url: 'http://h/mcp', env: {A: s}}]", "env is for command servers"),
        ("mcp: [{name: g, url: 'ftp://h'}]", "mcp.0.url: String should match pattern"),
        ("mcp: [{name: g, command: [x], tool: [a]}]", "mcp.0.tool: Extra inputs"),
        ("mcp: [{name: g, command: [x], tools: some}]", "mcp.0.tools"),
        ("mcp: [{name: g, command: [x], env: {TOKEN: gh}}]", "uses secret(s) gh: list them"),
        ("mcp: [{name: g, command: [x]}, {name: g, command: [y]}]", "g given more than once"),
        ("mcp: [{name: g, command: [x], timeout_seconds: '5'}]", "mcp.0.timeout_seconds"),
        ("policy: {require_approval: [h_wipe]}\nmcp: [{name: g, command: [x]}]", "h_wipe"),
    ],
)
def test_bad_mcp_entries_are_one_clear_line(tmp_path: Path, text: str, problem: str) -> None:
    assert problem in load(tmp_path, text)


def test_a_good_entry_loads_and_reaches_the_run_spec(tmp_path: Path) -> None:
    text = (
        "secrets: [gh]\n"
        "policy: {require_approval: [git_commit]}\n"
        "mcp:\n"
        "  - {name: git, command: [mcp-server-git], env: {GITHUB_TOKEN: gh}, tools: [commit]}\n"
        "  - {name: web, url: 'http://127.0.0.1:9/mcp', headers: {Authorization: gh}}\n"
    )
    assert load(tmp_path, text) == "ok"
    agent, workspace = load_agent_file(tmp_path / "agent.yaml")
    spec = run_spec(agent, workspace, goal="g", requester="r", trace_id="")
    assert [server.name for server in spec.mcp] == ["git", "web"]
    assert spec.mcp[0].env == {"GITHUB_TOKEN": "gh"}  # the secret's name, never a value
    assert spec.mcp[1].tools == "all"


async def test_the_demo_mcp_agent_runs_offline(
    client: Client, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker finds `mcp-server-time` on its PATH, as in the virtualenv Overseer is in.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    agent, workspace = load_agent_file(AGENTS / "mcp-demo.yaml")
    spec = run_spec(agent, workspace, goal="What time is it in Tokyo?", requester="r", trace_id="")
    handle = await start(client, spec, worker.task_queue)
    assert (await handle.result()).state is RunState.COMPLETED
    told = [e.detail for e in await events(handle) if e.kind is EventKind.TOOL_RESULT]
    assert [detail.split(":")[0] for detail in told] == [
        "time_get_current_time",
        "time_convert_time",
    ]
