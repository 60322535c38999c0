"""The OpenAI-compatible provider over a real socket, in the Chat Completions wire format."""

import email.utils
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.providers.openai_chat import OpenAIChat
from contracts.model_io import (
    RAW_ARGUMENTS_MAX_CHARS,
    Message,
    ModelRequest,
    ModelSpec,
    ToolCall,
    ToolSchema,
)
from tests.http_fixture import CannedResponse, CannedServer, canned_server

server = pytest.fixture(canned_server)

KEY_ENV = "OVERSEER_TEST_OPENAI_KEY"


def completion(message: dict[str, object], finish: str = "stop") -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1760000000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 18, "total_tokens": 138},
    }


def request_for(server: CannedServer) -> ModelRequest:
    return ModelRequest(
        run_id="run-1",
        step=2,
        model=ModelSpec(
            provider="openai", name="gpt-4o-mini", base_url=server.base_url, api_key_env=KEY_ENV
        ),
        messages=[
            Message(role="system", content="be brief"),
            Message(role="user", content="list the files"),
            Message(
                role="assistant",
                tool_calls=[ToolCall(id="call_0", name="list_files", arguments={"path": "."})],
            ),
            Message(role="tool", content="notes.md", tool_call_id="call_0"),
        ],
        tools=[
            ToolSchema(name="read_file", description="Read a file", parameters={"type": "object"})
        ],
    )


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(KEY_ENV, "sk-test-123")
    yield


async def test_tool_calls_usage_and_version_are_parsed(server: CannedServer) -> None:
    server.responses.append(
        CannedResponse(
            200,
            completion(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_abc",
                            "type": "function",
                            "function": {"name": "read_file", "arguments": '{"path": "notes.md"}'},
                        }
                    ],
                },
                finish="tool_calls",
            ),
        )
    )
    response = await OpenAIChat().complete(request_for(server))

    assert response.tool_calls == [
        ToolCall(id="call_abc", name="read_file", arguments={"path": "notes.md"})
    ]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (120, 18)
    assert (response.model, response.model_version) == ("gpt-4o-mini-2024-07-18", "fp_44709d6fcb")
    assert response.finish_reason == "tool_calls"
    [sent] = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == "Bearer sk-test-123"
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["messages"][2]["tool_calls"][0]["function"] == {
        "name": "list_files",
        "arguments": '{"path": "."}',
    }
    assert sent.body["messages"][3] == {
        "role": "tool",
        "content": "notes.md",
        "tool_call_id": "call_0",
    }
    assert sent.body["tools"][0]["function"]["name"] == "read_file"


async def test_invalid_tool_argument_json_becomes_an_argument_error(server: CannedServer) -> None:
    broken = {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{pa"}}
    server.responses.append(
        CannedResponse(200, completion({"role": "assistant", "tool_calls": [broken]}))
    )
    [call] = (await OpenAIChat().complete(request_for(server))).tool_calls
    assert call.name == "read_file"
    assert call.argument_error is not None
    assert call.argument_error.startswith("arguments are not valid JSON")


async def test_401_is_not_retryable_and_names_provider_and_status(server: CannedServer) -> None:
    error = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    server.responses.append(CannedResponse(401, error))
    with pytest.raises(ApplicationError) as failure:
        await OpenAIChat().complete(request_for(server))
    assert failure.value.non_retryable
    assert failure.value.message == "openai returned HTTP 401: Incorrect API key provided"


async def test_429_is_retryable_after_the_servers_delay(server: CannedServer) -> None:
    error = {"error": {"message": "Rate limit reached", "type": "requests"}}
    server.responses.append(CannedResponse(429, error, {"retry-after": "7"}))
    with pytest.raises(ApplicationError) as failure:
        await OpenAIChat().complete(request_for(server))
    assert not failure.value.non_retryable
    assert failure.value.next_retry_delay == timedelta(seconds=7)


async def test_a_body_that_is_not_a_completion_is_retryable(server: CannedServer) -> None:
    server.responses.append(CannedResponse(200, b"<html>bad gateway</html>"))
    with pytest.raises(ApplicationError) as failure:
        await OpenAIChat().complete(request_for(server))
    assert (failure.value.type, failure.value.non_retryable) == ("ProviderMalformedResponse", False)


async def test_429_with_an_http_date_retries_after_that_date(server: CannedServer) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)
    error = {"error": {"message": "Rate limit reached", "type": "requests"}}
    server.responses.append(
        CannedResponse(429, error, {"retry-after": email.utils.format_datetime(when, usegmt=True)})
    )
    with pytest.raises(ApplicationError) as failure:
        await OpenAIChat().complete(request_for(server))
    delay = failure.value.next_retry_delay
    assert delay is not None
    assert timedelta(seconds=25) < delay <= timedelta(seconds=30)


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503])
async def test_transient_statuses_are_retryable(server: CannedServer, status: int) -> None:
    server.responses.append(CannedResponse(status, {"error": {"message": "try again"}}))
    with pytest.raises(ApplicationError) as failure:
        await OpenAIChat().complete(request_for(server))
    assert (failure.value.type, failure.value.non_retryable) == ("ProviderUnavailable", False)


async def test_unparsable_arguments_are_kept_and_echoed_as_the_model_sent_them(
    server: CannedServer,
) -> None:
    broken = {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{pa"}}
    server.responses += [
        CannedResponse(200, completion({"role": "assistant", "tool_calls": [broken]})),
        CannedResponse(200, completion({"role": "assistant", "content": "ok"})),
    ]
    [call] = (await OpenAIChat().complete(request_for(server))).tool_calls
    assert (call.arguments, call.raw_arguments) == ({}, "{pa")

    follow_up = request_for(server)
    follow_up.messages += [
        Message(role="assistant", tool_calls=[call]),
        Message(role="tool", content="denied", tool_call_id="c1", is_error=True),
    ]
    await OpenAIChat().complete(follow_up)
    echoed = server.requests[1].body["messages"][4]["tool_calls"][0]["function"]
    assert echoed == {"name": "read_file", "arguments": "{pa"}


def test_what_is_kept_of_unparsable_arguments_is_bounded() -> None:
    call = ToolCall.unparsed("c1", "write_file", "{" + "x" * 50_000, "not JSON")
    assert call.raw_arguments is not None
    assert len(call.raw_arguments) == RAW_ARGUMENTS_MAX_CHARS
    assert call.raw_arguments.endswith("...[cut]")


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"id": "chatcmpl-1", "object": "chat.completion"}, "no choices in the body"),
        ({"choices": []}, "no choices in the body"),
        ({"choices": [{"index": 0}]}, "no message in choices[0]"),
        ([1, 2], "the body is a JSON list, not an object"),
    ],
)
async def test_a_200_without_a_completion_names_what_is_missing(
    server: CannedServer, body: object, missing: str
) -> None:
    server.responses.append(CannedResponse(200, body))
    with pytest.raises(ApplicationError) as failure:
        await OpenAIChat().complete(request_for(server))
    assert failure.value.type == "ProviderMalformedResponse"
    assert failure.value.message == f"openai sent a malformed response: {missing}"
