"""bench/server_ops.py reads the dev server's persistence counters from its /metrics page."""

import argparse
import asyncio
import contextlib
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import cast

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.benchmark import (
    ONE_TOOL,
    Bench,
    Row,
    connect_when_up,
    free_port,
    phase_table,
    server_command,
    server_setting,
    spec,
    write_phase,
)
from bench.server_ops import requests_in
from starters.client.runs import start_spec
from starters.server import SA_CACHE_SETTING, ServerAddress

REPO = Path(__file__).resolve().parent.parent

PAGE = """\
# HELP persistence_requests persistence_requests counter
# TYPE persistence_requests counter
persistence_requests{namespace="all",operation="UpdateWorkflowExecution",otel_scope_name="temporal",persistence_driver="sqlite",service_name="history"} 1100
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",otel_scope_name="temporal",persistence_driver="sqlite",service_name="history"} 4
persistence_requests{namespace="all",operation="CreateTasks",otel_scope_name="temporal",persistence_driver="sqlite",service_name="matching"} 180
visibility_persistence_requests{namespace="default",operation="RecordWorkflowExecutionClosed",service_name="history",visibility_type="standard"} 100
persistence_latency_bucket{namespace="all",operation="CreateTasks",service_name="matching",le="0.001"} 170
persistence_requests_total_bogus{operation="CreateTasks",service_name="matching"} 9
service_requests{operation="StartWorkflowExecution",service_name="frontend"} 100
"""  # noqa: E501 - real lines of the server's page


def test_counts_are_summed_by_service_and_operation_over_other_labels() -> None:
    counts = requests_in(PAGE)

    assert counts[("history", "UpdateWorkflowExecution")] == 1104
    assert counts[("matching", "CreateTasks")] == 180
    assert counts[("history", "RecordWorkflowExecutionClosed")] == 100


def test_other_metrics_and_comments_are_not_counted() -> None:
    counts = requests_in(PAGE)

    assert set(counts) == {
        ("history", "UpdateWorkflowExecution"),
        ("matching", "CreateTasks"),
        ("history", "RecordWorkflowExecutionClosed"),
    }


def test_the_readme_names_only_options_the_benchmark_has() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("- **Benchmark.**")
    named = set(re.findall(r"`(--[a-z-]+)", readme[start : readme.index("\n## ", start)]))
    shown = subprocess.run(
        [sys.executable, "-m", "bench.benchmark", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert {"--dev-sa-refresh", "--phases", "--rounds"} <= named
    assert not [option for option in named if option not in shown]
    assert "server-ops" in re.sub(r"\s", "", shown)  # argparse wraps lines at hyphens


def test_the_server_runs_with_its_search_attribute_cache_on_unless_asked(tmp_path: Path) -> None:
    cache_on = ["--dynamic-config-value", f"{SA_CACHE_SETTING}=false"]
    address = ServerAddress("127.0.0.1", 7233)

    production = server_command(address, tmp_path, 9090, dev_sa_refresh=False)
    dev = server_command(address, tmp_path, 9090, dev_sa_refresh=True)

    assert " ".join(cache_on) in " ".join(production)
    assert SA_CACHE_SETTING not in " ".join(dev)
    assert production[-2:] == dev[-2:] == ["--metrics-port", "9090"]


async def test_the_server_keeps_its_sqlite_in_wal_mode_when_asked(tmp_path: Path) -> None:
    address = ServerAddress("127.0.0.1", free_port())
    command = server_command(address, tmp_path, free_port(), dev_sa_refresh=False, wal=True)
    server = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        client = await connect_when_up(address.target)
        await client.count_workflows()  # up, its store open
        with contextlib.closing(sqlite3.connect(tmp_path / "t.db")) as database:
            assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)
    plain = server_command(address, tmp_path, 9090, dev_sa_refresh=False)
    assert "--sqlite-pragma" not in plain


def test_server_ops_is_a_phase_and_a_table_names_how_the_server_ran(tmp_path: Path) -> None:
    unconnected = Bench(cast(Client, None), "", tmp_path, server_pid=0)
    assert "server-ops" in phase_table(unconnected, argparse.Namespace())
    out = tmp_path / "BENCHMARKS.md"

    write_phase(out, "server-ops", [Row("x", 1, 2, "per run")], "search-attribute cache off")

    assert ", search-attribute cache off)" in out.read_text()
    assert (
        server_setting(True, True)
        == "search-attribute cache off, as start-dev has it, SQLite in WAL mode"
    )
    assert server_setting(False, False) == ""


async def test_start_spec_returns_a_handle_on_the_execution_it_started(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    run_id = f"bench-{uuid.uuid4().hex}"
    handle = await start_spec(env.client, run_id, spec(tmp_path, ONE_TOOL), "no-worker-here")
    try:
        described = await handle.describe()
        assert handle.run_id is not None
        assert handle.run_id == described.run_id
    finally:
        await handle.terminate()
