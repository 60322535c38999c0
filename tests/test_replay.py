"""Replay saved histories of full runs and pipelines (a queued run, a run and a pipeline
over two segments): a change that breaks running workflows fails here.

Re-record them on purpose only, with `make histories` (see tests/record_histories.py).
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from contracts.data_converter import overseer_data_converter
from workers.sandbox import SANDBOX
from workflows.pipeline.pipeline import PipelineWorkflow
from workflows.run.agent_run import AgentRunWorkflow

HISTORIES = sorted((Path(__file__).resolve().parent / "histories").glob("*.json"))


def test_the_saved_histories_are_there() -> None:
    assert {path.stem for path in HISTORIES} == {
        "approved",
        "rejected",
        "canceled",
        "queued",
        "run-segments@1",
        "run-segments@2",
        "pipeline",
        "pipeline-segments@1",
        "pipeline-segments@2",
        "streamed@1",
        "streamed@2",
    }


def test_the_streamed_history_has_live_progress_in_it() -> None:
    """The streamed run's histories hold the stream's publishes (one batch per model call
    there), so replaying them covers a run that streamed."""
    for segment in ("streamed@1", "streamed@2"):
        path = Path(__file__).resolve().parent / "histories" / f"{segment}.json"
        history = WorkflowHistory.from_json("streamed", path.read_text())
        signals = [
            event.workflow_execution_signaled_event_attributes.signal_name
            for event in history.events
            if event.HasField("workflow_execution_signaled_event_attributes")
        ]
        assert signals == ["__temporal_workflow_stream_publish"]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_saved_history_replays(path: Path) -> None:
    # `<workflow id>[@<segment>].json`: the id is what the run was recorded under.
    history = WorkflowHistory.from_json(path.stem.split("@")[0], path.read_text())
    replayer = Replayer(
        workflows=[AgentRunWorkflow, PipelineWorkflow],
        data_converter=overseer_data_converter,
        workflow_runner=SANDBOX,
    )
    await replayer.replay_workflow(history)
