"""The demo pipeline through the `overseer` CLI (subprocesses), offline, on a real server:
`overseer run PIPELINE_FILE`, the tree in `overseer status`, `overseer inbox`, and an
approval given to the pipeline id that reaches the child waiting for it."""

import asyncio
import os
import shutil
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.pipeline import PipelineResult, PipelineState
from tests.conftest import venv_binary

REPO = Path(__file__).resolve().parent.parent
OVERSEER = venv_binary("overseer")


async def overseer(env: WorkflowEnvironment, task_queue: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        OVERSEER,
        *args,
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "OVERSEER_TASK_QUEUE": task_queue,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_the_demo_pipeline_runs_offline_through_the_cli(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    agents = tmp_path / "agents"
    shutil.copytree(REPO / "agents", agents, ignore=shutil.ignore_patterns("out", ".overseer*"))
    queue = worker.task_queue

    started = await overseer(
        env, queue, "run", str(agents / "demo-pipeline.yaml"), "--goal", "Notes 1.2", "--watch"
    )
    pipeline_id = started.splitlines()[0].removeprefix("started pipeline ").split()[0]
    assert pipeline_id.startswith("release-notes-")
    assert f"{pipeline_id}.review" in started  # --watch stopped at the review's approval

    status = await overseer(env, queue, "status", pipeline_id)
    assert f"pipeline:  {pipeline_id}   [running]" in status
    for n in range(3):
        assert f"draft[{n}]" in status
        assert f"{pipeline_id}.draft.{n}  drafter  [completed]" in status
    assert "waiting for approval: write_file (action 2.1)" in status

    inbox = ""
    while f"(step of pipeline {pipeline_id})" not in inbox:  # visibility catches up
        inbox = await overseer(env, queue, "inbox", "--agent", "reviewer")

    approved = await overseer(env, queue, "approve", pipeline_id, "--as", "alice")
    assert f"approved action 2.1 (write_file) of run {pipeline_id}.review" in approved
    result = await client.get_workflow_handle(pipeline_id, result_type=PipelineResult).result()

    assert result.state is PipelineState.COMPLETED
    published = (agents / "demo-workspace" / "out" / "release-notes.json").read_text()
    assert "Rotate the staging API keys" in published
    assert "Drafted offline by the scripted planner." in published
    review = (agents / "demo-workspace" / "out" / "review.md").read_text()
    assert review.startswith("# Review: Notes 1.2\n")  # notes for people, not JSON
    assert "{" not in review
    final = await overseer(env, queue, "status", pipeline_id)
    assert "[completed]" in final.splitlines()[0]
