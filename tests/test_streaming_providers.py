"""Streaming providers over a real socket, in their SSE wire formats: the streamed answer
is the same ModelResponse the non-streamed one is; a stream cut half-way is retryable."""

from collections.abc import Iterator

import pytest
from temporalio.exceptions import ApplicationError

from activities.providers import anthropic_messages, openai_chat
from activities.providers.anthropic_messages import AnthropicMessages
from activities.providers.http_errors import PROVIDER_UNAVAILABLE
from activities.providers.openai_chat import OpenAIChat
from contracts.model_io import Message, ModelRequest, ModelSpec
from tests.sse_server import (
    SseServer,
    StreamScript,
    anthropic_events,
    openai_chunks,
    sse,
    sse_server,
)

server = pytest.fixture(sse_server)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OVERSEER_TEST_STREAM_KEY", "sk-test")
    yield


def request_for(server: SseServer, provider: str) -> ModelRequest:
    base = server.base_url if provider == "openai" else server.root_url
    model = ModelSpec(
        provider=provider,
        name="m",
        base_url=base,
        api_key_env="OVERSEER_TEST_STREAM_KEY",
        stream=True,
        timeout_seconds=10,
    )
    return ModelRequest(
        run_id="run-1", step=1, model=model, messages=[Message(role="user", content="hi")]
    )


def openai_tool_chunks() -> list[bytes]:
    """Two tool calls whose fragments interleave, assembled by index; usage last."""

    def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
        return sse(
            {"model": "gpt-x", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        )

    def call(index: int, **fields: object) -> dict[str, object]:
        return {"tool_calls": [{"index": index, **fields}]}

    first = {"id": "call_a", "type": "function", "function": {"name": "read_file", "arguments": ""}}
    second = {
        "id": "call_b",
        "type": "function",
        "function": {"name": "list_files", "arguments": ""},
    }
    return [
        chunk({"role": "assistant", "content": None}),
        chunk(call(0, **first)),
        chunk(call(1, **second)),
        chunk(call(0, function={"arguments": '{"path": "no'})),
        chunk(call(1, function={"arguments": '{"path": "."}'})),
        chunk(call(0, function={"arguments": 'tes.md"}'})),
        chunk({}, "tool_calls"),
        sse(
            {"model": "gpt-x", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 9}}
        ),
        sse("[DONE]"),
    ]


async def test_openai_text_streams_and_assembles_to_the_unstreamed_answer(
    server: SseServer,
) -> None:
    server.scripts.append(StreamScript(openai_chunks(["Hel", "lo, ", "world."])))
    seen: list[str] = []
    request = request_for(server, "openai")
    response = await OpenAIChat().stream(request, seen.append)
    assert seen == ["Hel", "lo, ", "world."]
    body = {
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"message": {"content": "Hello, world."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 18},
    }
    assert response == openai_chat.parse_response(request, body)
    sent = server.requests[0]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


async def test_openai_tool_call_fragments_and_late_usage(server: SseServer) -> None:
    server.scripts.append(StreamScript(openai_tool_chunks()))
    response = await OpenAIChat().stream(request_for(server, "openai"), lambda _: None)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "read_file", {"path": "notes.md"}),
        ("call_b", "list_files", {"path": "."}),
    ]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (7, 9)
    assert response.finish_reason == "tool_calls" and response.text == ""


async def test_openai_stream_cut_before_done_is_retryable(server: SseServer) -> None:
    server.scripts.append(StreamScript(openai_chunks(["a", "b", "c"]), cut_after=3))
    seen: list[str] = []
    with pytest.raises(ApplicationError) as raised:
        await OpenAIChat().stream(request_for(server, "openai"), seen.append)
    assert raised.value.type == PROVIDER_UNAVAILABLE and not raised.value.non_retryable
    assert "stream cut" in raised.value.message and seen == ["a", "b"]


async def test_openai_http_error_before_the_stream_maps_as_unstreamed(server: SseServer) -> None:
    server.scripts.append(StreamScript([b'{"error": {"message": "bad key"}}'], status=401))
    with pytest.raises(ApplicationError) as raised:
        await OpenAIChat().stream(request_for(server, "openai"), lambda _: None)
    assert raised.value.non_retryable and "HTTP 401: bad key" in raised.value.message


def anthropic_tool_events() -> list[bytes]:
    tool = {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}}
    return [
        sse({"type": "message_start", "message": {"model": "claude-x", "content": [],
             "usage": {"input_tokens": 30, "output_tokens": 1}}}, "message_start"),
        sse({"type": "content_block_start", "index": 0,
             "content_block": {"type": "text", "text": ""}}, "content_block_start"),
        sse({"type": "content_block_delta", "index": 0,
             "delta": {"type": "text_delta", "text": "Reading."}}, "content_block_delta"),
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse({"type": "content_block_start", "index": 1, "content_block": tool},
            "content_block_start"),
        sse({"type": "content_block_delta", "index": 1,
             "delta": {"type": "input_json_delta", "partial_json": '{"path": '}},
            "content_block_delta"),
        sse({"type": "content_block_delta", "index": 1,
             "delta": {"type": "input_json_delta", "partial_json": '"notes.md"}'}},
            "content_block_delta"),
        sse({"type": "content_block_stop", "index": 1}, "content_block_stop"),
        sse({"type": "message_delta", "delta": {"stop_reason": "tool_use"},
             "usage": {"output_tokens": 25}}, "message_delta"),
        sse({"type": "message_stop"}, "message_stop"),
    ]  # fmt: skip


async def test_anthropic_text_and_tool_input_assemble_to_the_unstreamed_answer(
    server: SseServer,
) -> None:
    server.scripts.append(StreamScript(anthropic_tool_events()))
    seen: list[str] = []
    request = request_for(server, "anthropic")
    response = await AnthropicMessages().stream(request, seen.append)
    body = {
        "model": "claude-x",
        "content": [
            {"type": "text", "text": "Reading."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "read_file",
                "input": {"path": "notes.md"},
            },
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 30, "output_tokens": 25},
    }
    assert response == anthropic_messages.parse_response(request, body)
    assert seen == ["Reading."] and server.requests[0]["stream"] is True


async def test_anthropic_usage_arrives_at_the_end(server: SseServer) -> None:
    server.scripts.append(StreamScript(anthropic_events(["one ", "two"])))
    response = await AnthropicMessages().stream(request_for(server, "anthropic"), lambda _: None)
    assert response.text == "one two"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (210, 42)


async def test_anthropic_error_event_is_retryable(server: SseServer) -> None:
    events = [
        *anthropic_events(["part"])[:4],
        sse(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "error",
        ),
    ]
    server.scripts.append(StreamScript(events))
    with pytest.raises(ApplicationError) as raised:
        await AnthropicMessages().stream(request_for(server, "anthropic"), lambda _: None)
    assert raised.value.type == PROVIDER_UNAVAILABLE and not raised.value.non_retryable
    assert "overloaded_error: Overloaded" in raised.value.message


async def test_anthropic_stream_cut_before_message_stop_is_retryable(server: SseServer) -> None:
    server.scripts.append(StreamScript(anthropic_events(["a", "b"]), cut_after=5))
    with pytest.raises(ApplicationError) as raised:
        await AnthropicMessages().stream(request_for(server, "anthropic"), lambda _: None)
    assert raised.value.type == PROVIDER_UNAVAILABLE and "message_stop" in raised.value.message
