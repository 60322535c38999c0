"""Model failures turned into the right Temporal behaviour, in real runs on a real server:
retries, a non-retryable refusal, timeouts, the circuit breaker, fallback, cost totals."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from activities.llm import ModelActivities
from activities.providers.breaker import BreakerBoard, BreakerSettings
from contracts.events import EventKind
from contracts.model_io import ModelSpec
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.helpers import events, make_spec, snapshot, start, wait_for
from tests.http_fixture import CannedResponse, CannedServer, canned_server
from workers.config import BreakerConfig, WorkerConfig
from workers.worker import build_worker

primary = pytest.fixture(canned_server)
fallback = pytest.fixture(canned_server)

KEY_ENV = "OVERSEER_TEST_OPENAI_KEY"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")


@pytest.fixture
def models() -> ModelActivities:
    settings = BreakerConfig(failure_threshold=2, cooldown_seconds=5).settings()
    return ModelActivities(BreakerBoard(settings))


@pytest_asyncio.fixture
async def model_worker(
    client: Client, task_queue: str, models: ModelActivities
) -> AsyncIterator[Worker]:
    async with build_worker(client, task_queue, WorkerConfig(), models) as worker:
        yield worker


def chat(message: dict[str, Any], prompt: int, completion: int) -> CannedResponse:
    return CannedResponse(
        200,
        {
            "id": "chatcmpl-x",
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
        },
    )


LIST_FILES = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "list_files", "arguments": "{}"}}
    ],
}
FINAL = {"role": "assistant", "content": "All done."}
SERVER_ERROR = CannedResponse(500, {"error": {"message": "upstream failed"}})


def openai_model(server: CannedServer, name: str = "gpt-4o-mini") -> ModelSpec:
    return ModelSpec(
        provider="openai",
        name=name,
        base_url=server.base_url,
        api_key_env=KEY_ENV,
        timeout_seconds=1.0,
    )


async def test_a_500_is_retried_and_tokens_and_cost_count_once(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    primary.responses += [SERVER_ERROR, chat(LIST_FILES, 120, 18), chat(FINAL, 200, 30)]
    spec = make_spec(tmp_path, model=openai_model(primary))
    handle = await start(client, spec, model_worker.task_queue)

    result: RunResult = await handle.result()
    assert (result.state, result.final_answer) == (RunState.COMPLETED, "All done.")
    assert len(primary.requests) == 3
    budget = (await snapshot(handle)).budget
    assert (budget.input_tokens, budget.output_tokens) == (320, 48)
    # gpt-4o-mini: $0.15 in / $0.60 out per million tokens
    assert budget.cost_usd == pytest.approx((320 * 0.15 + 48 * 0.60) / 1_000_000, abs=1e-12)
    versions = {e.model_version for e in await events(handle) if e.kind is EventKind.MODEL_TURN}
    assert versions == {"gpt-4o-mini-2024-07-18"}


async def test_a_401_fails_the_run_at_once_with_a_clear_reason(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    primary.responses.append(
        CannedResponse(401, {"error": {"message": "Incorrect API key provided"}})
    )
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert len(primary.requests) == 1
    final = await snapshot(handle)
    assert final.state is RunState.FAILED
    assert final.failure_reason == (
        "non_retryable: model gpt-4o-mini: openai returned HTTP 401: Incorrect API key provided"
    )


async def test_a_timeout_is_retried(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    slow = chat(FINAL, 5, 5)
    slow.delay_seconds = 3.0
    primary.responses += [slow, chat(FINAL, 7, 3)]
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    assert len(primary.requests) == 2
    assert (await snapshot(handle)).budget.input_tokens == 7  # the timed-out call counts nothing
    [turn] = [e for e in await events(handle) if e.kind is EventKind.MODEL_TURN]
    assert turn.detail.startswith("asks for nothing (final answer) after 2 attempts; last error: ")
    assert "openai timed out" in turn.detail


async def test_invalid_tool_arguments_are_fed_back_to_the_model(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    broken = {
        "role": "assistant",
        "tool_calls": [
            {"id": "c9", "type": "function", "function": {"name": "read_file", "arguments": "{pa"}}
        ],
    }
    primary.responses += [chat(broken, 10, 5), chat(FINAL, 10, 5)]
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    asked, told = primary.requests[1].body["messages"][-2:]
    # The model sees what it sent (not `{}`), next to why it was refused.
    assert asked["tool_calls"][0]["function"] == {"name": "read_file", "arguments": "{pa"}
    assert told["role"] == "tool" and told["tool_call_id"] == "c9"
    assert told["content"].startswith(
        "denied: call to 'read_file' denied: arguments are not valid JSON"
    )


async def test_calls_skipped_after_a_denied_one_are_recorded_with_why(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    three = {
        "role": "assistant",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "list_files", "arguments": "{}"}},
            {"id": "c2", "type": "function", "function": {"name": "rm_rf", "arguments": "{}"}},
            {"id": "c3", "type": "function", "function": {"name": "read_file", "arguments": "{}"}},
        ],
    }
    primary.responses += [chat(three, 10, 5), chat(FINAL, 10, 5)]
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED

    denied = "denied: tool 'rm_rf' is not in the tools of agent 'tester'"
    [skipped] = [e for e in await events(handle) if e.kind is EventKind.TOOL_SKIPPED]
    assert (skipped.evidence, skipped.detail) == (
        ["c3", "c2"],
        f"read_file: call c2 did not run ({denied})",
    )
    told = {m["tool_call_id"]: m["content"] for m in primary.requests[1].body["messages"][-3:]}
    assert told["c3"] == f"skipped: call c2 did not run ({denied})"


async def test_the_breaker_opens_falls_back_and_closes_again(
    client: Client,
    model_worker: Worker,
    models: ModelActivities,
    primary: CannedServer,
    fallback: CannedServer,
    tmp_path: Path,
) -> None:
    primary.default = SERVER_ERROR
    fallback.responses += [chat(FINAL, 11, 2)]
    spec = make_spec(
        tmp_path,
        model=openai_model(primary),
        fallback_models=[openai_model(fallback, "gpt-4.1-mini")],
    )
    handle = await start(client, spec, model_worker.task_queue)
    result: RunResult = await handle.result()
    assert (result.state, result.final_answer) == (RunState.COMPLETED, "All done.")
    assert len(primary.requests) == 2  # the third attempt failed fast: circuit open
    unavailable = [e.detail for e in await events(handle) if e.kind is EventKind.MODEL_UNAVAILABLE]
    assert len(unavailable) == 1
    assert unavailable[0].startswith(
        f"openai/gpt-4o-mini circuit_open: circuit open for openai:{primary.base_url} after 2"
    )
    breaker = models.breakers.for_endpoint(f"openai:{primary.base_url}")
    assert breaker.is_open

    # The next run waits out the cool-down (blocked), then its call goes through and the
    # success closes the circuit.
    primary.default = None
    primary.responses.append(chat(FINAL, 1, 1))
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    again = await wait_for(handle, lambda s: s.state.is_terminal, within=30)
    assert again.state is RunState.COMPLETED
    assert (breaker.is_open, breaker.failures) == (False, 0)


async def test_with_no_fallback_the_run_waits_blocked_and_resumes(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    primary.default = SERVER_ERROR
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    blocked = await wait_for(handle, lambda s: s.state is RunState.BLOCKED)
    assert blocked.blocked_reason == (
        "circuit_open: openai/gpt-4o-mini: openai returned HTTP 500: upstream failed"
    )

    primary.default = chat(FINAL, 3, 4)  # the provider recovers
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    transitions = [
        (e.from_state, e.to_state) for e in await events(handle) if e.kind == "transition"
    ]
    assert (RunState.PLANNING, RunState.BLOCKED) in transitions
    assert (RunState.BLOCKED, RunState.PLANNING) in transitions
    assert (await snapshot(handle)).blocked_reason is None


async def test_a_200_without_choices_is_named_while_the_run_waits(
    client: Client, model_worker: Worker, primary: CannedServer, tmp_path: Path
) -> None:
    primary.default = CannedResponse(200, {"id": "chatcmpl-x", "object": "chat.completion"})
    handle = await start(
        client, make_spec(tmp_path, model=openai_model(primary)), model_worker.task_queue
    )
    cause = "openai sent a malformed response: no choices in the body"
    blocked = await wait_for(handle, lambda s: s.state is RunState.BLOCKED)
    assert blocked.blocked_reason == f"circuit_open: openai/gpt-4o-mini: {cause}"
    [unavailable] = [e for e in await events(handle) if e.kind is EventKind.MODEL_UNAVAILABLE]
    assert unavailable.detail.endswith(f"; last error: {cause}")

    primary.default = chat(FINAL, 3, 4)
    assert (await handle.result()).state is RunState.COMPLETED


async def test_retried_attempts_and_the_last_error_show_on_the_model_turn(
    client: Client, task_queue: str, primary: CannedServer, tmp_path: Path
) -> None:
    rate_limited = CannedResponse(429, {"error": {"message": "Rate limit reached"}})
    overloaded = CannedResponse(503, {"error": {"message": "overloaded"}})
    primary.responses += [rate_limited, overloaded, chat(FINAL, 3, 4)]
    patient = ModelActivities(BreakerBoard(BreakerSettings(failure_threshold=5)))
    async with build_worker(client, task_queue, WorkerConfig(), patient):
        handle = await start(client, make_spec(tmp_path, model=openai_model(primary)), task_queue)
        assert (await handle.result()).state is RunState.COMPLETED
        [turn] = [e for e in await events(handle) if e.kind is EventKind.MODEL_TURN]
    assert turn.detail == (
        "asks for nothing (final answer) after 3 attempts; "
        "last error: openai returned HTTP 503: overloaded"
    )
