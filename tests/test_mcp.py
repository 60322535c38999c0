"""MCP servers' tools, supervised like the built-in ones: declared at the run's start from
the server's own listing (annotations -> side-effect classes), approved when irreversible,
each call one activity with the idempotency key in `_meta`, error results told to the
model, credentials resolved on the worker and never in history, a dead server one line."""

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Worker

from activities.llm import ModelActivities
from activities.mcp.declare import mcp_declarations, server_tools
from activities.secrets import env_name
from contracts.approvals import Decision
from contracts.events import EventKind, RunEvent
from contracts.kill_switch import KillRequest
from contracts.mcp import McpServer, model_tool_name
from contracts.model_io import ModelRequest, ModelSpec, ScriptedCall, ScriptTurn
from contracts.spec import PolicySpec
from contracts.states import RunState
from contracts.tools import SideEffect
from tests.helpers import events, make_spec, snapshot, start, wait_for_state
from tests.test_secrets import full_text
from tests.test_user_tools import switches

DEMO = Path(__file__).parent / "mcp_servers" / "demo_server.py"
TOKEN = "mcp-t0ken-planted-Hq29xLr"
__all__ = ["switches"]  # the kill-switch workflow fixture, used by name


def demo_stdio(ledger: Path, **fields: object) -> McpServer:
    return McpServer.model_validate(
        {"name": "demo", "command": [sys.executable, str(DEMO), str(ledger)], **fields}
    )


def call(tool: str, **args: object) -> ScriptTurn:
    return ScriptTurn(tool_calls=[ScriptedCall(tool=tool, args=args)])


def results(found: list[RunEvent]) -> list[str]:
    return [event.detail for event in found if event.kind is EventKind.TOOL_RESULT]


async def approve_next(handle: WorkflowHandle[Any, Any], expect_tool: str) -> None:
    waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    [request] = waiting.pending_approvals
    assert request.tool == expect_tool
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
    )


async def test_annotations_map_to_side_effect_classes(tmp_path: Path) -> None:
    declared = {d.name: d for d in await server_tools(demo_stdio(tmp_path / "ledger"))}
    assert {name: str(d.side_effect) for name, d in declared.items()} == {
        "demo_echo": SideEffect.READ,
        "demo_record": SideEffect.IDEMPOTENT,
        "demo_wipe": SideEffect.IRREVERSIBLE,  # destructiveHint
        "demo_poke": SideEffect.IRREVERSIBLE,  # no annotations at all
        "demo_fail": SideEffect.READ,
    }
    assert declared["demo_echo"].input_schema["required"] == ["text"]
    assert declared["demo_wipe"].activity_name == "mcp.call_tool"
    allowed = await server_tools(demo_stdio(tmp_path / "ledger", tools=["echo"]))
    assert [d.name for d in allowed] == ["demo_echo"]


def test_model_facing_names_fit_every_provider() -> None:
    assert model_tool_name("git", "Git-Status.v2") == "git_git_status_v2"
    assert len(model_tool_name("s", "x" * 100)) == 64


async def test_a_stdio_server_tools_run_supervised_and_its_secret_stays_out(
    client: Client,
    worker: Worker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(env_name("demo_token"), TOKEN)
    ledger = tmp_path / "ledger"
    script = [
        call("demo_echo", text="hi"),
        call("demo_record", note="n1"),
        call("demo_wipe", target="db"),
        call("demo_poke", target="svc"),
        ScriptTurn(say="done"),
    ]
    server = demo_stdio(ledger, env={"DEMO_TOKEN": "demo_token"})
    spec = make_spec(tmp_path, script, tools=[], secrets=["demo_token"], mcp=[server])
    handle = await start(client, spec, worker.task_queue)
    await approve_next(handle, "demo_wipe")  # destructive: waits for a human
    await approve_next(handle, "demo_poke")  # unannotated: irreversible too
    assert (await handle.result()).state is RunState.COMPLETED
    done = results(await events(handle))
    assert done[0] == "demo_echo: echo: hi token=[secret:demo_token]"
    assert done[1].startswith("demo_record: recorded n1 under ")
    assert done[2:] == ["demo_wipe: wiped db", "demo_poke: poked svc"]
    # The server got the call's idempotency key in `_meta`.
    [key] = ledger.read_text().split()
    assert len(key) == 32 and key in str(await handle.query("steps"))
    text = await full_text(handle)
    assert "tool demo_wipe (mcp demo: wipe)" in text  # the activity's summary names both
    assert TOKEN not in text


async def test_an_error_result_is_told_to_the_model_and_the_run_goes_on(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [call("demo_fail", reason="no disk"), ScriptTurn(say="unreachable")]
    spec = make_spec(tmp_path, script, tools=[], mcp=[demo_stdio(tmp_path / "ledger")])
    handle = await start(client, spec, worker.task_queue)
    finished = await handle.result()
    assert finished.state is RunState.COMPLETED  # the scripted planner explains and stops
    failed = [e.detail for e in await events(handle) if e.kind is EventKind.TOOL_FAILED]
    assert len(failed) == 1
    assert "demo_fail" in failed[0] and "cannot do it: no disk" in failed[0]


async def test_policy_overrides_approval_and_a_typo_fails_at_start(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    script = [call("demo_wipe", target="tmp"), ScriptTurn(say="done")]
    server = demo_stdio(tmp_path / "ledger", tools=["wipe"])
    spec = make_spec(
        tmp_path, script, tools=[], mcp=[server], policy=PolicySpec(require_approval=[])
    )
    handle = await start(client, spec, worker.task_queue)
    assert (await handle.result()).state is RunState.COMPLETED  # no approval asked
    typo = spec.model_copy(update={"policy": PolicySpec(require_approval=["demo_wiep"])})
    handle = await start(client, typo, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    reason = (await snapshot(handle)).failure_reason or ""
    assert "unknown tool 'demo_wiep'" in reason and "demo_wipe" in reason


async def test_a_server_that_cannot_start_fails_the_run_in_one_line(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    broken = McpServer(
        name="broken",
        command=[sys.executable, "-c", "import sys; sys.exit('no config file found')"],
    )
    spec = make_spec(tmp_path, [ScriptTurn(say="never")], tools=[], mcp=[broken])
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    failed = await snapshot(handle)
    reason = failed.failure_reason or ""
    assert "mcp server 'broken' cannot list its tools" in reason
    assert "no config file found" in reason  # the server's own last words
    assert "\n" not in reason
    assert failed.step == 0  # no model was asked


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def http_demo(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port, ledger = free_port(), tmp_path / "http-ledger"
    command = [sys.executable, str(DEMO), str(ledger), "http", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "the demo HTTP server exited"
                assert time.monotonic() < deadline, "the demo HTTP server did not listen"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp", ledger
    finally:
        server.kill()
        server.wait()


async def test_a_streamable_http_server_gets_its_header_secret_and_history_does_not(
    client: Client,
    worker: Worker,
    tmp_path: Path,
    http_demo: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, ledger = http_demo
    monkeypatch.setenv(env_name("demo_auth"), f"Bearer {TOKEN}")
    server = McpServer(name="web", url=url, headers={"Authorization": "demo_auth"})
    script = [call("web_echo", text="over http"), call("web_record", note="n"), ScriptTurn()]
    spec = make_spec(tmp_path, script, tools=[], secrets=["demo_auth"], mcp=[server])
    handle = await start(client, spec, worker.task_queue)
    assert (await handle.result()).state is RunState.COMPLETED
    done = results(await events(handle))
    assert done[0] == "web_echo: echo: over http token=[secret:demo_auth]"
    assert len(ledger.read_text().split()) == 1
    assert TOKEN not in await full_text(handle)


async def test_the_third_party_time_server_in_a_real_run(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    server = McpServer(
        name="time",
        command=[sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"],
        tools=["get_current_time"],
    )
    script = [call("time_get_current_time", timezone="Europe/Paris"), ScriptTurn(say="told")]
    spec = make_spec(tmp_path, script, tools=[], mcp=[server])
    handle = await start(client, spec, worker.task_queue)
    assert (await handle.result()).state is RunState.COMPLETED
    [told] = results(await events(handle))
    assert told.startswith("time_get_current_time: ")
    # The whole answer went to the model (the tool result in history): the server's JSON.
    assert '\\"timezone\\": \\"Europe/Paris\\"' in await full_text(handle)


async def test_a_hung_server_call_is_a_classified_failure_naming_it(tmp_path: Path) -> None:
    # A "server" that never answers: the listing gives up after the server's timeout.
    silent = McpServer(
        name="silent",
        command=[sys.executable, "-c", "import time; time.sleep(60)"],
        timeout_seconds=1,
    )
    started = time.monotonic()
    with pytest.raises(Exception) as failure:
        await asyncio.wait_for(server_tools(silent), 30)
    assert time.monotonic() - started < 20
    assert "mcp server 'silent' cannot list its tools: no answer within 1s" in str(failure.value)


async def test_the_model_gets_mcp_schemas_from_one_stored_reference(tmp_path: Path) -> None:
    declared = await mcp_declarations([demo_stdio(tmp_path / "ledger", tools=["wipe"])], set())
    [wipe] = declared
    assert wipe.schemas is not None
    request = ModelRequest(
        run_id="r",
        step=1,
        model=ModelSpec(),
        messages=[],
        tool_names=["list_files", "demo_wipe"],
        mcp_tools=wipe.schemas,
    )
    schemas = await ModelActivities()._tool_schemas(request)
    assert [schema.name for schema in schemas] == ["list_files", "demo_wipe"]
    assert schemas[1].parameters["required"] == ["target"]
    # A model call carries a reference (~100 bytes), never the schemas themselves.
    assert len(request.model_dump_json()) < 600


async def test_a_kill_switch_stops_an_mcp_tool(
    client: Client, worker: Worker, switches: WorkflowHandle[Any, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    kill = KillRequest(scope="tool", name="demo_record", by="kim", reason="ledger incident")
    await switches.execute_update("kill", kill)
    script = [call("demo_record", note="n"), ScriptTurn(say="done")]
    spec = make_spec(tmp_path, script, tools=[], mcp=[demo_stdio(ledger)])
    handle = await start(client, spec, worker.task_queue)
    blocked = await wait_for_state(handle, RunState.BLOCKED)
    assert blocked.blocked_reason == "kill switch tool:demo_record (by kim: ledger incident)"
    assert not ledger.exists()  # the server was never asked
    await switches.execute_update("unkill", KillRequest(scope="tool", name="demo_record", by="kim"))
    assert (await handle.result()).state is RunState.COMPLETED
    assert len(ledger.read_text().split()) == 1
