"""Live progress of a step in flight, on a real server: a streaming model's text reaches a
watcher (the client's LiveReader, and `overseer watch` as a subprocess) before the call
ends; a stream cut half-way is retried as a whole and the watcher is told; the history a
long streamed answer adds stays bounded."""

import asyncio
import os
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.model_io import ModelSpec
from contracts.progress import ProgressItem
from contracts.snapshot import RunResult
from contracts.states import RunState
from starters.client.live import LiveReader
from tests.conftest import venv_binary
from tests.helpers import events, make_spec, snapshot, start
from tests.sse_server import SseServer, StreamScript, openai_chunks, sse_server

server = pytest.fixture(sse_server)
KEY_ENV = "OVERSEER_TEST_STREAM_KEY"
OVERSEER = venv_binary("overseer")
DEADLINE_SECONDS = 30.0


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")


def streaming_model(server: SseServer) -> ModelSpec:
    return ModelSpec(
        provider="openai",
        name="gpt-4o-mini",
        base_url=server.base_url,
        api_key_env=KEY_ENV,
        stream=True,
        timeout_seconds=30,
        # Priced so the test can check the cost from the usage in the stream's last chunk.
        price={"input_per_mtok": 1.0, "output_per_mtok": 2.0},
    )


async def read_until(reader: LiveReader, wanted: str) -> list[ProgressItem]:
    """Items read until their text contains `wanted` (a deadline bounds the wait)."""
    seen: list[ProgressItem] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while wanted not in "".join(item.text for item in seen):
        assert loop.time() < deadline, f"never saw {wanted!r} in {seen}"
        seen += await reader.read()
        await asyncio.sleep(0.05)  # a watcher polls; the deadline above bounds the test
    return seen


async def test_a_watcher_sees_the_text_before_the_model_call_ends(
    client: Client, worker: Worker, server: SseServer, tmp_path: Path
) -> None:
    script = StreamScript(openai_chunks(["The answer ", "is forty", " two."]), hold_at=3)
    server.scripts.append(script)
    spec = make_spec(tmp_path, model=streaming_model(server), tools=[])
    handle = await start(client, spec, worker.task_queue)

    seen = await read_until(LiveReader(client, handle.id), "The answer is forty")
    # The provider still holds the rest back: the call is in flight, yet the text is out.
    assert (await snapshot(handle)).state is RunState.PLANNING
    assert {item.kind for item in seen} == {"text"}
    assert seen[0].label == "model gpt-4o-mini step 1" and seen[0].attempt == 1
    script.release.set()

    result: RunResult = await handle.result()
    assert result.final_answer == "The answer is forty two."
    budget = (await snapshot(handle)).budget
    assert (budget.input_tokens, budget.output_tokens) == (120, 18)
    assert budget.cost_usd == pytest.approx((120 * 1.0 + 18 * 2.0) / 1e6)


async def overseer_watch(env: WorkflowEnvironment, run_id: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        OVERSEER,
        "watch",
        run_id,
        env={**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def output_until(process: asyncio.subprocess.Process, *wanted: str) -> str:
    """What the process printed, once it printed every one of `wanted`."""
    assert process.stdout is not None
    out = ""
    while not all(text in out for text in wanted):
        line = await asyncio.wait_for(process.stdout.readline(), DEADLINE_SECONDS)
        assert line, f"watch ended before printing {wanted}: {out}"
        out += line.decode()
    return out


async def test_a_cut_stream_is_retried_whole_and_watch_says_so(
    env: WorkflowEnvironment, client: Client, worker: Worker, server: SseServer, tmp_path: Path
) -> None:
    server.scripts.append(StreamScript(openai_chunks(["Draft one", " is lost"]), cut_after=2))
    again = StreamScript(openai_chunks(["Second try", " stands."]), hold_at=2)
    server.scripts.append(again)
    spec = make_spec(tmp_path, model=streaming_model(server), tools=[])
    handle = await start(client, spec, worker.task_queue)
    watch = await overseer_watch(env, handle.id)
    try:
        out = await output_until(watch, "failed half-way", "| Second try")
        assert "live: model gpt-4o-mini step 1 (attempt 2)" in out
        assert "attempt 1 failed half-way, asked again: openai stream cut" in out
        again.release.set()
        result: RunResult = await handle.result()
        await asyncio.wait_for(watch.communicate(), DEADLINE_SECONDS)
    finally:
        again.release.set()
        if watch.returncode is None:
            watch.kill()
            await watch.wait()
    assert watch.returncode == 0
    assert result.final_answer == "Second try stands."  # not a mix of the two attempts
    [turn] = [e for e in await events(handle) if e.kind == "model_turn"]
    assert turn.detail == (
        "asks for nothing (final answer) after 2 attempts; "
        "last error: openai stream cut: the connection closed before [DONE]"
    )


async def test_a_long_streamed_answer_adds_a_bounded_number_of_events(
    client: Client, worker: Worker, server: SseServer, tmp_path: Path
) -> None:
    pieces = [f"tok{n:04d} " for n in range(2_000)]  # 2,000 chunks, 16,000 characters
    server.scripts.append(StreamScript(openai_chunks(pieces)))
    spec = make_spec(tmp_path, model=streaming_model(server), tools=[])
    handle = await start(client, spec, worker.task_queue)
    result: RunResult = await handle.result()
    # So long an answer is kept in the artifact store; history holds its preview.
    assert result.answer_artifact is not None and result.final_answer is not None
    assert result.final_answer.startswith("tok0000 tok0001 ")
    # A watcher got the whole text, in order, in a few items of many chunks each.
    items = await LiveReader(client, handle.id).read()
    assert "".join(item.text for item in items) == "".join(pieces)
    assert len(items) <= 16

    history = [event async for event in handle.fetch_history_events()]
    signals = [
        e for e in history if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    # One signal per 2,000 characters or second at most, not one per chunk: 16,000
    # characters in a few seconds on loopback is under a dozen batches.
    assert 1 <= len(signals) <= 12
    assert len(history) < 120
