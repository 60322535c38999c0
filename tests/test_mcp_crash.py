"""Kill -9 the worker in the middle of an MCP call: the run completes on another worker,
and a server that honours the idempotency key (in the call's `_meta`) sees one effect."""

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from temporalio.client import Client

from contracts.mcp import McpServer
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.helpers import make_spec, start
from tests.test_crash_survival import QUICK_HEARTBEAT, spawn_worker, wait_until, worker_env
from tests.test_mcp import DEMO

__all__ = ["worker_env"]  # the fixture, used below by name


def lines(path: Path) -> list[str]:
    return path.read_text().split("\n")[:-1] if path.exists() else []


async def test_a_worker_killed_mid_mcp_call_the_effect_happens_once(
    client: Client, worker_env: dict[str, str], task_queue: str, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    calls = Path(f"{ledger}.calls")
    server = McpServer(name="demo", command=[sys.executable, str(DEMO), str(ledger)])
    record = ScriptedCall(tool="demo_record", args={"note": "once", "hold_seconds": 60})
    spec = make_spec(
        tmp_path,
        [ScriptTurn(tool_calls=[record]), ScriptTurn(say="recorded")],
        tools=[],
        mcp=[server],
        retries=QUICK_HEARTBEAT,
    )
    # The first call holds after its effect: the kill lands between the effect and the
    # recording of its result, the worst moment.
    first = spawn_worker(worker_env, tmp_path / "w1.log")
    try:
        handle = await start(client, spec, task_queue)
        await asyncio.to_thread(wait_until, lambda: len(lines(ledger)) == 1, 60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    replacement = spawn_worker(worker_env, tmp_path / "w2.log")
    try:
        result: RunResult = await asyncio.wait_for(handle.result(), 90)
        steps = str(await handle.query("steps"))  # while a worker can answer
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(timeout=30)
        for pid in {int(line.split()[0]) for line in lines(calls)}:  # the orphaned server
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert result.state is RunState.COMPLETED
    [key] = lines(ledger)  # one effect ...
    assert len(key) == 32 and key in steps  # under the call's idempotency key
    assert [line.split()[1] for line in lines(calls)] == [key, key]  # ... of two calls
