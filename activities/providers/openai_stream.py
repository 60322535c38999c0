"""A streamed Chat Completions answer, put back together as the body `stream: false` returns.

The chunks (`chat.completion.chunk`) carry choices[0].delta: `content` pieces and
`tool_calls` fragments keyed by `index` (the first fragment of a call has its id and name,
the rest only pieces of its arguments); with `stream_options.include_usage` a last chunk has
the usage and empty choices; `data: [DONE]` ends the stream. Rebuilding the ordinary body
lets `parse_response` read both the same way, so a streamed turn is the same ModelResponse.
"""

from collections.abc import AsyncIterator
from typing import Any

from activities.providers.http_errors import malformed
from activities.providers.sse import ServerEvent, TextSink, json_data, stream_cut

PROVIDER = "openai"
DONE = "[DONE]"
# More parallel tool calls than any model makes: an index past it is a broken server's.
MAX_TOOL_CALLS = 128


class _Answer:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.model: str | None = None
        self.fingerprint: str | None = None

    def add_call_fragment(self, fragment: Any) -> None:
        if not isinstance(fragment, dict):
            raise malformed(PROVIDER, "a tool call fragment is not an object")
        index = fragment.get("index", 0)
        if not isinstance(index, int) or not 0 <= index < MAX_TOOL_CALLS:
            raise malformed(PROVIDER, f"a tool call index is not 0..{MAX_TOOL_CALLS - 1}")
        call = self.calls.setdefault(index, {"id": "", "name": "", "arguments": []})
        call["id"] = fragment.get("id") or call["id"]
        function = fragment.get("function") or {}
        call["name"] = function.get("name") or call["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            call["arguments"].append(arguments)

    def add_chunk(self, chunk: dict[str, Any], on_text: TextSink) -> None:
        self.model = chunk.get("model") or self.model
        self.fingerprint = chunk.get("system_fingerprint") or self.fingerprint
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices") or []
        choice = choices[0] if isinstance(choices, list) and choices else None
        if not isinstance(choice, dict):
            return  # the usage chunk (empty choices), or a keep-alive
        delta = choice.get("delta") or {}
        content = delta.get("content")
        if isinstance(content, str) and content:
            self.text.append(content)
            on_text(content)
        for fragment in delta.get("tool_calls") or []:
            self.add_call_fragment(fragment)
        self.finish_reason = choice.get("finish_reason") or self.finish_reason

    def body(self) -> dict[str, Any]:
        """The non-streamed body this stream amounts to."""
        calls = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": "".join(call["arguments"])},
            }
            for _, call in sorted(self.calls.items())
        ]
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.text) or None}
        if calls:
            message["tool_calls"] = calls
        return {
            "model": self.model,
            "system_fingerprint": self.fingerprint,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
            "usage": self.usage,
        }


async def assemble(events: AsyncIterator[ServerEvent], on_text: TextSink) -> dict[str, Any]:
    """The whole answer, once `[DONE]` came; a stream cut before it raises (retryable)."""
    answer = _Answer()
    async for event in events:
        if event.data.strip() == DONE:
            return answer.body()
        chunk = json_data(PROVIDER, event)
        if "error" in chunk:  # some compatible servers report a late failure in-stream
            raise stream_cut(PROVIDER, str(chunk["error"])[:200])
        answer.add_chunk(chunk, on_text)
    raise stream_cut(PROVIDER, "the connection closed before [DONE]")
