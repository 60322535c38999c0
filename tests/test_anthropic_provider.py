"""The Anthropic provider over a real socket, in the Messages API wire format."""

import pytest
from temporalio.exceptions import ApplicationError

from activities.providers.anthropic_messages import AnthropicMessages
from contracts.model_io import Message, ModelRequest, ModelSpec, ToolCall, ToolSchema
from tests.http_fixture import CannedResponse, CannedServer, canned_server

server = pytest.fixture(canned_server)
KEY_ENV = "OVERSEER_TEST_ANTHROPIC_KEY"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-ant-test")


def request_for(server: CannedServer) -> ModelRequest:
    return ModelRequest(
        run_id="run-1",
        step=2,
        model=ModelSpec(
            provider="anthropic",
            name="claude-sonnet-4-20250514",
            base_url=server.root_url,
            api_key_env=KEY_ENV,
            max_output_tokens=512,
        ),
        messages=[
            Message(role="system", content="be brief"),
            Message(role="user", content="read both notes"),
            Message(
                role="assistant",
                content="Reading.",
                tool_calls=[
                    ToolCall(id="toolu_1", name="read_file", arguments={"path": "a.md"}),
                    ToolCall(id="toolu_2", name="read_file", arguments={"path": "b.md"}),
                ],
            ),
            Message(role="tool", content="A", tool_call_id="toolu_1"),
            Message(role="tool", content="denied: no", tool_call_id="toolu_2", is_error=True),
        ],
        tools=[ToolSchema(name="read_file", description="Read", parameters={"type": "object"})],
    )


async def test_tool_use_is_parsed_and_the_request_is_in_messages_format(
    server: CannedServer,
) -> None:
    server.responses.append(
        CannedResponse(
            200,
            {
                "id": "msg_01",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-20250514",
                "content": [
                    {"type": "text", "text": "Writing the summary."},
                    {
                        "type": "tool_use",
                        "id": "toolu_3",
                        "name": "write_file",
                        "input": {"path": "s.md", "content": "AB"},
                    },
                ],
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {"input_tokens": 410, "output_tokens": 55},
            },
        )
    )
    response = await AnthropicMessages().complete(request_for(server))

    assert response.text == "Writing the summary."
    assert response.tool_calls == [
        ToolCall(id="toolu_3", name="write_file", arguments={"path": "s.md", "content": "AB"})
    ]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (410, 55)
    assert (response.finish_reason, response.model) == ("tool_use", "claude-sonnet-4-20250514")
    [sent] = server.requests
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["system"] == "be brief"
    assert sent.body["max_tokens"] == 512
    assert sent.body["tools"] == [
        {"name": "read_file", "description": "Read", "input_schema": {"type": "object"}}
    ]
    assert sent.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "read both notes"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Reading."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "read_file",
                    "input": {"path": "a.md"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "read_file",
                    "input": {"path": "b.md"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "A"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": "denied: no",
                    "is_error": True,
                },
            ],
        },
    ]


async def test_529_overloaded_is_retryable(server: CannedServer) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.responses.append(CannedResponse(529, overloaded))
    with pytest.raises(ApplicationError) as failure:
        await AnthropicMessages().complete(request_for(server))
    assert not failure.value.non_retryable
    assert failure.value.message == "anthropic returned HTTP 529: Overloaded"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_not_retryable(server: CannedServer, status: int) -> None:
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}
    server.responses.append(CannedResponse(status, error))
    with pytest.raises(ApplicationError) as failure:
        await AnthropicMessages().complete(request_for(server))
    assert failure.value.non_retryable
    assert failure.value.type == "ProviderRequestRejected"
    assert failure.value.message == f"anthropic returned HTTP {status}: bad"


async def test_tool_input_that_is_not_an_object_is_echoed_back_wrapped(
    server: CannedServer,
) -> None:
    message = {
        "id": "msg_02",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "tool_use", "id": "toolu_9", "name": "read_file", "input": "{pa"}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    server.responses += [CannedResponse(200, message), CannedResponse(200, message)]
    [call] = (await AnthropicMessages().complete(request_for(server))).tool_calls
    assert (call.argument_error, call.raw_arguments) == ("tool input is not a JSON object", "{pa")

    follow_up = request_for(server)
    follow_up.messages += [
        Message(role="assistant", tool_calls=[call]),
        Message(role="tool", content="denied", tool_call_id="toolu_9", is_error=True),
    ]
    await AnthropicMessages().complete(follow_up)
    [echoed] = server.requests[1].body["messages"][3]["content"]
    # The Messages API takes only an object as input: the model's text goes back wrapped.
    assert echoed == {
        "type": "tool_use",
        "id": "toolu_9",
        "name": "read_file",
        "input": {"INVALID_JSON": "{pa"},
    }


async def test_a_200_without_content_is_a_malformed_response(server: CannedServer) -> None:
    server.responses.append(CannedResponse(200, {"type": "message", "role": "assistant"}))
    with pytest.raises(ApplicationError) as failure:
        await AnthropicMessages().complete(request_for(server))
    assert (failure.value.type, failure.value.non_retryable) == ("ProviderMalformedResponse", False)
    assert (
        failure.value.message == "anthropic sent a malformed response: no content list in the body"
    )
