"""What live progress costs in history: the same answer streamed and not streamed.

A streamed model call publishes its text to the run in batches (activities/progress.py):
one signal, and the workflow task that takes it, per second of streaming (or per 2,000
characters), however many chunks the provider sends. This phase measures it with a local
OpenAI-format server that writes `chunks` pieces `gap` seconds apart.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from contracts.model_io import ModelSpec

# The benchmark serves its fake provider with the tests' loopback servers.
from tests.http_fixture import CannedResponse, CannedServer
from tests.sse_server import SseServer, StreamScript, openai_chunks

KEY_ENV = "OVERSEER_BENCH_STREAM_KEY"
SIGNALED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED


def model(base_url: str, stream: bool) -> ModelSpec:
    return ModelSpec(
        provider="openai", name="bench-model", base_url=base_url, api_key_env=KEY_ENV, stream=stream
    )


def completion(text: str) -> CannedResponse:
    message = {"role": "assistant", "content": text}
    return CannedResponse(
        200,
        {
            "model": "bench-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 18},
        },
    )


async def history_counts(handle: WorkflowHandle[Any, Any]) -> tuple[int, int]:
    """How many events the run's history has, and how many of them are signals."""
    types = [event.event_type async for event in handle.fetch_history_events()]
    return len(types), sum(1 for kind in types if kind == SIGNALED)


async def streamed_vs_plain(
    run: Callable[[ModelSpec], Awaitable[WorkflowHandle[Any, Any]]], chunks: int, gap: float
) -> tuple[tuple[int, int], tuple[int, int]]:
    """(events, signals) of a one-call run whose model streams, and of the same run not
    streamed. `run` starts a run with the model and waits for its end."""
    pieces = [f"word{n} " for n in range(chunks)]
    with SseServer() as streaming:
        streaming.scripts.append(StreamScript(openai_chunks(pieces), gap_seconds=gap))
        streamed = await history_counts(await run(model(streaming.base_url, True)))
    with CannedServer() as plain:
        plain.responses.append(completion("".join(pieces)))
        unstreamed = await history_counts(await run(model(plain.base_url, False)))
    return streamed, unstreamed
