"""Workers that share nothing but Temporal and the object store: three `overseer worker`
processes, each in its own directory with its own HOME, keep every artifact in S3 (moto's
server); runs, long runs that continue as new and pipelines with large outputs complete with
every worker taking part, though one worker is killed -9 mid-run; the CLI, from a fourth
directory, prints every run's whole log from Temporal and the store alone."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.pipeline import PipelineSpec, PipelineState, PipelineStep
from contracts.retries import ActivityPolicy, RetryConfig
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import make_spec, start
from tests.pipeline_helpers import echo_agent, scripted_agent, start_pipeline
from tests.s3_server import S3Server, s3_server

__all__ = ["s3_server"]  # the fixture, imported for pytest

PLAIN_RUNS, LONG_RUNS, PIPELINES = 30, 12, 8  # 50 runs
# A dead worker's activities are retried once their heartbeat is missed for this long.
QUICK = ActivityPolicy(heartbeat_seconds=2, initial_interval_seconds=0.2)
RETRIES = RetryConfig(model=QUICK, tool=QUICK)
# Each worker's own copy of a file larger than the inline limit: its content travels by
# reference, through the store, whichever worker reads it.
BIG_FILE = "notes.txt"
BIG_TEXT = "a line of notes that the agent reads\n" * 400
BIG_ANSWER = json.dumps({"items": ["alpha", "beta"], "notes": "n" * 11_000})
EVENT_LINE = re.compile(r"^#(\d+)\s")
# The CLI's own entry point, once for many runs (one process start, not fifty).
PRINT_LOGS = """
import sys
from starters.cli.main import run_command
for run in sys.argv[1:]:
    print(f"== {run}", flush=True)
    print(f"== exit {run_command(['events', run])}", flush=True)
"""


def turn(tool: str, **args: object) -> ScriptTurn:
    return ScriptTurn(tool_calls=[ScriptedCall(tool=tool, args=args)])


def worker_home(root: Path, name: str) -> Path:
    home = root / name
    home.mkdir()
    (home / BIG_FILE).write_text(BIG_TEXT)
    return home


def isolated(
    env: WorkflowEnvironment, store: dict[str, str], home: Path, queue: str
) -> dict[str, str]:
    """This process's environment with nothing of the test's own: a HOME and data directory
    of its own, and the store and Temporal as the only things it shares."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OVERSEER_", "XDG_", "AWS_")) and k != "HOME"
    }
    return {
        **inherited,
        **store,
        "HOME": str(home),
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": queue,
    }


def spawn_worker(environment: dict[str, str], home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [venv_binary("overseer"), "worker"],
        cwd=home,
        env=environment,
        stdout=(home / "worker.log").open("ab"),
        stderr=subprocess.STDOUT,
    )


def specs(root: Path) -> tuple[list[Any], list[Any], list[PipelineSpec]]:
    # "." is each worker's own directory: its tools never touch another machine's files.
    here = Path(".")
    reads = [turn("list_files"), turn("read_file", path=BIG_FILE), ScriptTurn(say="read it")]
    plain = [make_spec(here, reads, tools=["list_files", "read_file"], retries=RETRIES)]
    looking = [turn("list_files")] * 5 + [ScriptTurn(say="end")]
    long = make_spec(here, looking, continue_as_new_after_steps=2, retries=RETRIES)
    long.budget.max_steps = 10
    pipeline = PipelineSpec(
        name="large-outputs",
        goal="release notes",
        steps=[
            PipelineStep(name="research", agent=scripted_agent(here, "researcher", BIG_ANSWER)),
            PipelineStep(name="review", agent=echo_agent(here), input={"data": "research"}),
            PipelineStep(name="final", agent=echo_agent(here), input={"notes": "review"}),
        ],
    )
    return plain * PLAIN_RUNS, [long] * LONG_RUNS, [pipeline] * PIPELINES


async def identities(client: Client, workflow_id: str) -> set[str]:
    """Who completed the workflow tasks and started the activities of every run of this id
    (each continued-as-new run too)."""
    found: set[str] = set()
    async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        handle = client.get_workflow_handle(workflow_id, run_id=execution.run_id)
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_task_completed_event_attributes"):
                found.add(event.workflow_task_completed_event_attributes.identity)
            if event.HasField("activity_task_started_event_attributes"):
                found.add(event.activity_task_started_event_attributes.identity)
    return found


def pid_of(identity: str) -> int:
    return int(identity.partition("@")[0])


def wait_for_log(home: Path, text: str, count: int = 1, seconds: float = 60) -> None:
    """Until the worker's own log has `count` lines with `text` (polled, with a deadline)."""
    deadline = time.monotonic() + seconds
    while (home / "worker.log").read_text().count(text) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{home.name}: {count}x {text!r} not logged in {seconds}s")
        time.sleep(0.05)


async def kill_when_it_took_part(
    victim: subprocess.Popen[bytes], home: Path, handles: list[WorkflowHandle[Any, Any]]
) -> int:
    """Kill -9 the victim once it has run a few activities; the runs still open then."""
    await asyncio.to_thread(wait_for_log, home, '"logger": "temporalio.activity"', 3)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    return sum([not await done(h) for h in handles])


def following(client: Client, run_id: str) -> WorkflowHandle[Any, RunResult]:
    """The run's latest execution: a long run's result comes from its last segment."""
    return client.get_workflow_handle(run_id, result_type=RunResult)


async def done(handle: WorkflowHandle[Any, Any]) -> bool:
    return (await handle.describe()).close_time is not None


async def test_workers_sharing_only_temporal_and_s3_run_fifty_runs_through_a_kill(
    env: WorkflowEnvironment, client: Client, task_queue: str, s3_server: S3Server, tmp_path: Path
) -> None:
    store = s3_server.environment(s3_server.new_bucket())
    homes = [worker_home(tmp_path, f"machine-{n}") for n in (1, 2, 3)]
    workers = [spawn_worker(isolated(env, store, home, task_queue), home) for home in homes]
    try:
        for home in homes:
            await asyncio.to_thread(wait_for_log, home, "worker started")
        plain, long, pipelines = specs(tmp_path)
        runs = [await start(client, spec, task_queue) for spec in plain + long]
        piped = [await start_pipeline(client, spec, task_queue) for spec in pipelines]
        still_open = await kill_when_it_took_part(workers[2], homes[2], runs + piped)
        results: list[RunResult] = await asyncio.wait_for(
            asyncio.gather(*(following(client, h.id).result() for h in runs)), 120
        )
        outcomes = await asyncio.wait_for(asyncio.gather(*(p.result() for p in piped)), 60)
        assert still_open > 0  # the kill landed mid-run
        assert [r.state for r in results] == [RunState.COMPLETED] * len(runs)
        assert [o.state for o in outcomes] == [PipelineState.COMPLETED] * len(piped)
        # Every worker took part; only the store carried artifacts between them.
        children = [f"{p.id}.{step}" for p in piped for step in ("research", "review", "final")]
        seen = set()
        for workflow_id in [h.id for h in runs + piped] + children:
            seen |= {pid_of(i) for i in await identities(client, workflow_id)}
        assert {w.pid for w in workers} <= seen
        assert all(not (home / ".local").exists() for home in homes)  # no directory store used
        keys = s3_server.client().list_objects_v2(
            Bucket=store["OVERSEER_ARTIFACTS"][5:].split("/")[0]
        )
        assert keys["KeyCount"] > 0

        # The CLI, from a fourth directory with nothing of the workers', prints every whole
        # log: a surviving worker answers for a closed run, the archived pages come from S3.
        fourth = tmp_path / "laptop"
        fourth.mkdir()
        ids = [h.id for h in runs] + children
        printed = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", PRINT_LOGS, *ids],
            cwd=fourth,
            env=isolated(env, store, fourth, task_queue),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert printed.returncode == 0, printed.stderr
        logs = whole_logs(printed.stdout)
        assert set(logs) == set(ids)
        for run_id, seqs in logs.items():
            assert seqs == list(range(1, len(seqs) + 1)), run_id
        # A long run's log is longer than its last segment's: the rest came from the store.
        assert all(len(logs[h.id]) > 10 for h in runs[PLAIN_RUNS:])
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


def whole_logs(output: str) -> dict[str, list[int]]:
    """Each run's printed event sequence numbers; a failed command fails the test."""
    logs: dict[str, list[int]] = {}
    current = ""
    for line in output.splitlines():
        if line.startswith("== exit "):
            assert line == "== exit 0", f"{current}: {line}"
        elif line.startswith("== "):
            current = line[3:]
            logs[current] = []
        elif match := EVENT_LINE.match(line):
            logs[current].append(int(match.group(1)))
    return logs
