"""Anthropic's Messages API with tool use, over httpx.

The key comes from the environment variable named by `api_key_env` (default
ANTHROPIC_API_KEY); `base_url` points at a proxy or a compatible server.
"""

import json
from typing import Any

import httpx

from activities.providers.anthropic_stream import assemble
from activities.providers.http_errors import JsonPoster, api_key, malformed
from activities.providers.sse import SsePoster, TextSink
from contracts.model_io import Message, ModelRequest, ModelResponse, ToolCall, Usage

PROVIDER = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
INVALID_INPUT_KEY = "INVALID_JSON"


def _assistant_blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": _wire_input(call)}
        for call in message.tool_calls
    ]
    return blocks


def _wire_input(call: ToolCall) -> dict[str, Any]:
    # The Messages API takes only an object as `input`: what the model sent that was not
    # one goes back wrapped, as Anthropic's docs suggest for invalid tool JSON, so the
    # model sees its own text rather than `{}`.
    if call.raw_arguments is not None:
        return {INVALID_INPUT_KEY: call.raw_arguments}
    return call.arguments


def _wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Anthropic wants alternating user/assistant turns; tool results are user content."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            wire.append({"role": "assistant", "content": _assistant_blocks(message)})
            continue
        if message.role == "tool":
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.content,
            }
            if message.is_error:
                block["is_error"] = True
        else:
            block = {"type": "text", "text": message.content}
        if wire and wire[-1]["role"] == "user":
            wire[-1]["content"].append(block)
        else:
            wire.append({"role": "user", "content": [block]})
    return wire


def request_body(request: ModelRequest) -> dict[str, Any]:
    spec = request.model
    body: dict[str, Any] = {
        "model": spec.name,
        "max_tokens": spec.max_output_tokens or DEFAULT_MAX_TOKENS,
        "messages": _wire_messages(request.messages),
    }
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    if spec.temperature is not None:
        body["temperature"] = spec.temperature
    return body


def _tool_call(block: dict[str, Any]) -> ToolCall:
    call_id, name = str(block.get("id", "")), str(block.get("name", ""))
    arguments = block.get("input")
    if not isinstance(arguments, dict):
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        return ToolCall.unparsed(call_id, name, raw, "tool input is not a JSON object")
    return ToolCall(id=call_id, name=name, arguments=arguments)


def parse_response(request: ModelRequest, body: Any) -> ModelResponse:
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise malformed(PROVIDER, "no content list in the body")
    blocks = [block for block in body["content"] if isinstance(block, dict)]
    usage = body.get("usage") or {}
    model = str(body.get("model") or request.model.name)
    return ModelResponse(
        text="".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text"),
        tool_calls=[_tool_call(b) for b in blocks if b.get("type") == "tool_use"],
        usage=Usage(
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
        ),
        finish_reason=str(body.get("stop_reason") or "end_turn"),
        model=model,
        model_version=model,
    )


class AnthropicMessages:
    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = JsonPoster(PROVIDER, transport)
        self._sse = SsePoster(PROVIDER, transport)

    def _target(self, request: ModelRequest) -> tuple[str, dict[str, str]]:
        spec = request.model
        key = api_key(PROVIDER, spec.api_key_env or DEFAULT_KEY_ENV, spec.base_url is None)
        headers = {"anthropic-version": API_VERSION}
        if key:
            headers["x-api-key"] = key
        return f"{(spec.base_url or DEFAULT_BASE_URL).rstrip('/')}/v1/messages", headers

    async def complete(self, request: ModelRequest) -> ModelResponse:
        url, headers = self._target(request)
        body = await self._http.post(
            url, request_body(request), headers, request.model.timeout_seconds
        )
        return parse_response(request, body)

    async def stream(self, request: ModelRequest, on_text: TextSink) -> ModelResponse:
        """The same answer as `complete`, asked with `stream: true`: the text goes to
        `on_text` as it arrives."""
        url, headers = self._target(request)
        body = {**request_body(request), "stream": True}
        events = self._sse.events(url, body, headers, request.model.timeout_seconds)
        return parse_response(request, await assemble(events, on_text))
