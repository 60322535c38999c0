"""OpenAI Chat Completions with tool calling, over httpx.

Works with OpenAI and the servers that speak its wire format (vLLM, Ollama, llama.cpp
server, LiteLLM proxy): set the model's `base_url`, and `api_key_env` to the name of the
environment variable holding the key (the key itself never enters the agent file or history).
"""

import json
from typing import Any

import httpx

from activities.providers.http_errors import JsonPoster, api_key, malformed
from activities.providers.openai_stream import assemble
from activities.providers.sse import SsePoster, TextSink
from contracts.model_io import Message, ModelRequest, ModelResponse, ToolCall, Usage

PROVIDER = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def _wire_arguments(call: ToolCall) -> str:
    # Arguments that did not parse go back as the model wrote them: `{}` in their place
    # would hide the mistake the tool result then tells it about.
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def _wire_message(message: Message) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _wire_arguments(call)},
            }
            for call in message.tool_calls
        ]
    if message.role == "tool":
        wire["tool_call_id"] = message.tool_call_id
    return wire


def request_body(request: ModelRequest) -> dict[str, Any]:
    spec = request.model
    body: dict[str, Any] = {
        "model": spec.name,
        "messages": [_wire_message(message) for message in request.messages],
    }
    if request.tools:
        body["tools"] = [
            {"type": "function", "function": tool.model_dump()} for tool in request.tools
        ]
    if spec.temperature is not None:
        body["temperature"] = spec.temperature
    if spec.max_output_tokens is not None:
        body["max_tokens"] = spec.max_output_tokens
    return body


def _parse_tool_call(raw: dict[str, Any]) -> ToolCall:
    function = raw.get("function") or {}
    call_id, name = str(raw.get("id", "")), str(function.get("name", ""))
    text = function.get("arguments") or "{}"
    if isinstance(text, dict):  # some compatible servers send the object itself
        return ToolCall(id=call_id, name=name, arguments=text)
    if not isinstance(text, str):
        return ToolCall.unparsed(call_id, name, json.dumps(text), "arguments are not a string")
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as error:
        return ToolCall.unparsed(call_id, name, text, f"arguments are not valid JSON: {error}")
    if not isinstance(arguments, dict):
        return ToolCall.unparsed(call_id, name, text, "arguments are not a JSON object")
    return ToolCall(id=call_id, name=name, arguments=arguments)


def _first_choice(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """choices[0] and its message, or the malformed-response error naming what is missing."""
    if not isinstance(body, dict):
        raise malformed(PROVIDER, f"the body is a JSON {type(body).__name__}, not an object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise malformed(PROVIDER, "no choices in the body")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or not isinstance(message, dict):
        raise malformed(PROVIDER, "no message in choices[0]")
    return choice, message


def parse_response(request: ModelRequest, body: Any) -> ModelResponse:
    choice, message = _first_choice(body)
    usage = body.get("usage") or {}
    model = str(body.get("model") or request.model.name)
    return ModelResponse(
        text=message.get("content") or "",
        tool_calls=[_parse_tool_call(raw) for raw in message.get("tool_calls") or []],
        usage=Usage(
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        ),
        finish_reason=str(choice.get("finish_reason") or "stop"),
        model=model,
        model_version=str(body.get("system_fingerprint") or model),
    )


class OpenAIChat:
    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = JsonPoster(PROVIDER, transport)
        self._sse = SsePoster(PROVIDER, transport)

    def _target(self, request: ModelRequest) -> tuple[str, dict[str, str]]:
        spec = request.model
        # A local server (Ollama, llama.cpp) needs no key; api.openai.com does.
        key = api_key(PROVIDER, spec.api_key_env or DEFAULT_KEY_ENV, spec.base_url is None)
        url = f"{(spec.base_url or DEFAULT_BASE_URL).rstrip('/')}/chat/completions"
        return url, {"Authorization": f"Bearer {key}"} if key else {}

    async def complete(self, request: ModelRequest) -> ModelResponse:
        url, headers = self._target(request)
        body = await self._http.post(
            url, request_body(request), headers, request.model.timeout_seconds
        )
        return parse_response(request, body)

    async def stream(self, request: ModelRequest, on_text: TextSink) -> ModelResponse:
        """The same answer as `complete`, asked with `stream: true`: the text goes to
        `on_text` as it arrives; usage comes in the last chunk (`include_usage`)."""
        url, headers = self._target(request)
        body = {
            **request_body(request),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        events = self._sse.events(url, body, headers, request.model.timeout_seconds)
        return parse_response(request, await assemble(events, on_text))
