"""A tool's progress notes reach a watcher while the tool call is still in flight."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.worker import Worker

from activities.tools.registry import register
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.progress import ProgressItem
from contracts.snapshot import RunResult
from contracts.states import RunState
from overseer.tools import SideEffect, ToolContext, progress_note, tool
from starters.client.live import LiveReader
from tests.helpers import make_spec, snapshot, start
from workers.worker import build_worker

DEADLINE_SECONDS = 30.0
# Held open by the test: the tool's call is in flight until the test has seen its notes.
RELEASE: dict[str, asyncio.Event] = {}


class SurveyInput(BaseModel):
    sites: int


@tool(side_effect=SideEffect.READ, secrets=("survey_token",))
async def survey_sites(args: SurveyInput, ctx: ToolContext) -> str:
    """Survey some sites, telling how far it got (an example of progress notes)."""
    for n in range(1, args.sites + 1):
        progress_note(f"surveyed {n} of {args.sites} with {ctx.secrets['survey_token']}")
    await RELEASE["survey"].wait()
    return f"{args.sites} sites surveyed"


@pytest_asyncio.fixture
async def survey_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    register([survey_sites], "tests.test_live_progress_tools")
    async with build_worker(client, task_queue) as running:
        yield running


async def test_tool_notes_are_seen_while_the_call_works(
    client: Client,
    survey_worker: Worker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OVERSEER_SECRET_SURVEY_TOKEN", "s3cr3t-value")
    RELEASE["survey"] = asyncio.Event()
    script = [
        ScriptTurn(
            say="Surveying.", tool_calls=[ScriptedCall(tool="survey_sites", args={"sites": 3})]
        ),
        ScriptTurn(say="Surveyed."),
    ]
    spec = make_spec(tmp_path, script, tools=["survey_sites"], secrets=["survey_token"])
    handle = await start(client, spec, survey_worker.task_queue)

    reader, seen = LiveReader(client, handle.id), list[ProgressItem]()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while len(seen) < 3:
        assert loop.time() < deadline, f"saw only {seen}"
        seen += await reader.read()
        await asyncio.sleep(0.05)  # a watcher polls; the deadline bounds the test
    assert (await snapshot(handle)).state is RunState.EXECUTING  # the tool still works
    assert [item.text for item in seen] == [
        f"surveyed {n} of 3 with [secret:survey_token]" for n in (1, 2, 3)
    ]
    assert {(item.kind, item.label) for item in seen} == {("note", "tool survey_sites")}
    RELEASE["survey"].set()
    result: RunResult = await handle.result()
    assert result.final_answer == "Surveyed."
