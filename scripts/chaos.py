"""Chaos check: many runs, workers SIGKILLed at random moments and restarted, then count.

Not part of `make test`. Run it from the repo root after `make test` made the venv:

    .venv/bin/python scripts/chaos.py --runs 20 --workers 2 --kills 10

It starts its own Temporal dev server (a temp SQLite file), N runs that each create a
ticket and write a file (both approved by this script), K worker processes whose tools stall
briefly after each effect (the worst moment to die), and kills one at random every few
seconds. When every run has ended it prints: runs completed / lost, effects per approved
call (must be exactly 1), and gaps in the event sequences (must be none).
"""

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError

from activities.tools.activity import CHAOS_DELAY_ENV
from activities.tools.tickets import tracker_path
from contracts import WORKFLOW_NAME
from contracts.approvals import Decision
from contracts.data_converter import overseer_data_converter
from contracts.events import EventKind, RunEvent
from contracts.model_io import ModelSpec, ScriptedCall, ScriptTurn
from contracts.retries import ActivityPolicy, RetryConfig
from contracts.snapshot import EventsQuery, RunSnapshot
from contracts.spec import RunSpec
from starters.server import ServerAddress, dev_server_command

SCRIPTS = Path(sysconfig.get_path("scripts"))
TASK_QUEUE = "chaos"
DEADLINE_SECONDS = 300
SCRIPT = [
    ScriptTurn(tool_calls=[ScriptedCall(tool="create_ticket", args={"title": title})])
    if n % 2 == 0
    else ScriptTurn(
        tool_calls=[ScriptedCall(tool="write_file", args={"path": title, "content": "x"})]
    )
    for n, title in enumerate(["first", "a.txt", "second", "b.txt"])
] + [ScriptTurn(say="done")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def spec_for(workspace: Path) -> RunSpec:
    return RunSpec(
        agent="chaos",
        goal="make a ticket and a file",
        model=ModelSpec(script=SCRIPT),
        tools=["create_ticket", "write_file"],
        workspace=str(workspace),
        requester="chaos",
        # Quick heartbeats: a killed worker's activity is retried within seconds.
        retries=RetryConfig(
            tool=ActivityPolicy(heartbeat_seconds=2, initial_interval_seconds=0.2),
            model=ActivityPolicy(heartbeat_seconds=2, initial_interval_seconds=0.2),
        ),
    )


class Fleet:
    def __init__(self, address: str, size: int, logs: Path) -> None:
        self.env = {
            **os.environ,
            "TEMPORAL_ADDRESS": address,
            "OVERSEER_TASK_QUEUE": TASK_QUEUE,
            CHAOS_DELAY_ENV: "1.0",
        }
        self.logs = logs
        self.workers = [self._spawn() for _ in range(size)]
        self.kills = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{uuid.uuid4().hex[:6]}.log").open("ab")
        return subprocess.Popen(
            [str(SCRIPTS / "overseer"), "worker"], env=self.env, stdout=log, stderr=log
        )

    def kill_one(self, rng: random.Random) -> None:
        victim = rng.randrange(len(self.workers))
        self.workers[victim].send_signal(signal.SIGKILL)
        self.workers[victim].wait()
        self.workers[victim] = self._spawn()
        self.kills += 1

    def stop(self) -> None:
        for worker in self.workers:
            worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            worker.wait(timeout=60)


async def approve_pending(handle: WorkflowHandle[Any, Any]) -> RunSnapshot | None:
    try:
        snapshot: RunSnapshot = await handle.query("snapshot", result_type=RunSnapshot)
        for request in snapshot.pending_approvals:
            decision = Decision(
                action_id=request.action_id, args_sha256=request.args_sha256, approver="chaos"
            )
            await handle.execute_update("approve", decision)
        return snapshot
    except (RPCError, WorkflowQueryFailedError, WorkflowUpdateFailedError):
        # No worker polling right now (one was just killed), or a decision whose answer
        # was lost went through already: look again on the next tick.
        return None


async def drive(
    client: Client, handles: list[WorkflowHandle[Any, Any]], fleet: Fleet, kills: int, seed: int
) -> None:
    rng = random.Random(seed)
    next_kill = time.monotonic() + rng.uniform(0.5, 3.0)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        snapshots = await asyncio.gather(*(approve_pending(h) for h in handles))
        if all(s is not None and s.state.is_terminal for s in snapshots):
            return
        if fleet.kills < kills and time.monotonic() >= next_kill:
            fleet.kill_one(rng)
            next_kill = time.monotonic() + rng.uniform(0.5, 3.0)
        await asyncio.sleep(0.2)  # the chaos loop's tick
    print("deadline reached before every run ended", file=sys.stderr)


def tickets_in(workspace: Path) -> int:
    path = tracker_path(workspace)
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT count(*) FROM tickets").fetchone()
    return int(count)


async def report(
    handles: list[WorkflowHandle[Any, Any]], workspaces: list[Path], fleet: Fleet
) -> bool:
    completed = 0
    approved_calls = 0
    effects = 0
    wrong_effects: list[str] = []
    gaps: list[str] = []
    for handle, workspace in zip(handles, workspaces, strict=True):
        snapshot: RunSnapshot = await handle.query("snapshot", result_type=RunSnapshot)
        log: list[RunEvent] = await handle.query(
            "events", EventsQuery(after_seq=0), result_type=list[RunEvent]
        )
        completed += snapshot.state == "completed"
        if [e.seq for e in log] != list(range(1, len(log) + 1)):
            gaps.append(handle.id)
        approvals = [e for e in log if e.kind is EventKind.APPROVED]
        approved_calls += len(approvals)
        run_effects = (
            tickets_in(workspace) + (workspace / "a.txt").exists() + (workspace / "b.txt").exists()
        )
        effects += run_effects
        if run_effects != len(approvals):
            wrong_effects.append(f"{handle.id}: {run_effects} effects, {len(approvals)} approved")
    lost = len(handles) - completed
    failed_tasks = sum(
        log.read_text(errors="replace").count("Failed activation")
        for log in fleet.logs.glob("worker-*.log")
    )
    print(f"runs:                     {len(handles)}")
    print(f"worker kills (SIGKILL):   {fleet.kills}")
    print(f"runs completed / lost:    {completed} / {lost}")
    print(f"approved calls:           {approved_calls}")
    print(f"effects:                  {effects} ({effects / max(approved_calls, 1):.2f} per call)")
    print(f"runs with wrong effects:  {len(wrong_effects)} {wrong_effects or ''}")
    print(f"event sequence gaps:      {len(gaps)} {gaps or ''}")
    print(f"failed workflow tasks:    {failed_tasks}")
    return (
        lost == 0
        and not wrong_effects
        and not gaps
        and effects == approved_calls
        and failed_tasks == 0
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="overseer-chaos-"))
    print(f"logs and data in {root}")
    if True:
        address = ServerAddress("127.0.0.1", free_port())
        server = subprocess.Popen(  # noqa: ASYNC220 - starting, not waiting on, the server
            [*dev_server_command(address, free_port(), root / "temporal.db"), "--headless"],
            stdout=(root / "server.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        fleet: Fleet | None = None
        try:
            client = await connect(address.target)
            fleet = Fleet(address.target, args.workers, root)
            workspaces = [root / f"run-{n}" for n in range(args.runs)]
            handles = []
            for workspace in workspaces:
                workspace.mkdir()
                handles.append(
                    await client.start_workflow(
                        WORKFLOW_NAME,
                        spec_for(workspace),
                        id=f"chaos-{workspace.name}-{uuid.uuid4().hex[:6]}",
                        task_queue=TASK_QUEUE,
                    )
                )
            await drive(client, handles, fleet, args.kills, args.seed)
            ok = await report(handles, workspaces, fleet)
        finally:
            if fleet is not None:
                fleet.stop()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print("PASS" if ok else "FAIL")
    if ok:
        shutil.rmtree(root)
    return 0 if ok else 1


async def connect(target: str) -> Client:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await Client.connect(target, data_converter=overseer_data_converter)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
