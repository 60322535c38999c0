"""The demo pipeline (agents/demo-pipeline.yaml) shows what pipelines are for: its publish
step writes a file at once (irreversible, no approval), and when the review's sign-off is
rejected, the review fails and the pipeline undoes the publish and ends `rolled_back`."""

import shutil
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.pipeline import ItemState, PipelineState
from starters.files.pipeline_file import load_pipeline_file
from tests.pipeline_helpers import start_pipeline, wait_for_pipeline

REPO = Path(__file__).resolve().parent.parent
DEMO_SECONDS = 60.0


async def test_a_rejected_sign_off_rolls_the_publish_back(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agents = tmp_path / "agents"
    shutil.copytree(REPO / "agents", agents, ignore=shutil.ignore_patterns("out", ".overseer*"))
    published = agents / "demo-workspace" / "out" / "release-notes.json"
    spec = load_pipeline_file(
        agents / "demo-pipeline.yaml", goal="Notes 1.2", requester="rita", trace_id=""
    )
    handle = await start_pipeline(client, spec, worker.task_queue)

    waiting = await wait_for_pipeline(handle, lambda s: bool(s.pending_approvals), DEMO_SECONDS)
    [(child, request)] = waiting.pending_approvals
    assert child == f"{handle.id}.review"
    assert (request.tool, request.short_id) == ("write_file", "2.1")
    # The publish ran before anyone was asked: its file is there, drafts and all.
    assert "Rotate the staging API keys" in published.read_text()
    assert "Drafted offline by the scripted planner." in published.read_text()

    await handle.signal(
        "reject",
        Decision(
            action_id=request.action_id,
            args_sha256=request.args_sha256,
            approver="alice",
            reason="the migration window has no date yet",
        ),
    )
    ended = await wait_for_pipeline(handle, lambda s: s.state.is_terminal, DEMO_SECONDS)

    assert ended.state is PipelineState.ROLLED_BACK, ended.failure_reason
    assert ended.uncompensated == []
    states = {item.label: item.state for item in ended.items}
    assert states["publish"] is ItemState.COMPENSATED
    assert states["review"] is ItemState.FAILED
    assert not published.exists()  # the compensation deleted what the publish wrote
    assert not (agents / "demo-workspace" / "out" / "review.md").exists()
    kinds = [(event.kind, event.step) for event in ended.events]
    assert ("step_failed", "review") in kinds
    assert kinds.index(("step_failed", "review")) < kinds.index(("compensated", "publish"))
    assert kinds[-1] == ("pipeline_ended", "")
