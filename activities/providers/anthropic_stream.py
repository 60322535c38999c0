"""A streamed Messages answer, put back together as the body `stream: false` returns.

The events: message_start (the message, empty content, usage.input_tokens),
content_block_start / content_block_delta (text_delta, or input_json_delta pieces of a
tool_use block's input) / content_block_stop, message_delta (stop_reason and the cumulative
usage.output_tokens), message_stop; `ping` any time; `error` (e.g. overloaded_error) when
the stream fails after it started. Rebuilding the ordinary body lets `parse_response` read
both the same way, so a streamed turn is the same ModelResponse.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

from activities.providers.http_errors import malformed
from activities.providers.sse import ServerEvent, TextSink, json_data, stream_cut

PROVIDER = "anthropic"
# More content blocks than any answer has: an index past it is a broken server's.
MAX_BLOCKS = 256


def _index(data: dict[str, Any]) -> int:
    index = data.get("index")
    if not isinstance(index, int) or not 0 <= index < MAX_BLOCKS:
        raise malformed(PROVIDER, f"a content block index is not 0..{MAX_BLOCKS - 1}")
    return index


class _Answer:
    def __init__(self) -> None:
        self.message: dict[str, Any] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.pieces: dict[int, list[str]] = {}
        self.usage: dict[str, Any] = {}
        self.stop_reason: str | None = None

    def start(self, data: dict[str, Any]) -> None:
        message = data.get("message")
        if isinstance(message, dict):
            self.message = message
            self.usage.update(message.get("usage") or {})

    def block_start(self, data: dict[str, Any]) -> None:
        block = data.get("content_block")
        if not isinstance(block, dict):
            raise malformed(PROVIDER, "content_block_start without a content_block")
        index = _index(data)
        self.blocks[index] = dict(block)
        self.pieces[index] = []

    def block_delta(self, data: dict[str, Any], on_text: TextSink) -> None:
        index = _index(data)
        delta = data.get("delta") or {}
        if index not in self.blocks or not isinstance(delta, dict):
            raise malformed(PROVIDER, "content_block_delta for a block that never started")
        if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
            self.pieces[index].append(delta["text"])
            on_text(delta["text"])
        elif delta.get("type") == "input_json_delta":
            self.pieces[index].append(str(delta.get("partial_json") or ""))

    def message_delta(self, data: dict[str, Any]) -> None:
        delta = data.get("delta") or {}
        self.stop_reason = delta.get("stop_reason") or self.stop_reason
        # Cumulative counts: the last one wins, fields it leaves out keep their value.
        usage = data.get("usage") or {}
        self.usage.update({k: v for k, v in usage.items() if v is not None})

    def _block(self, index: int) -> dict[str, Any]:
        block, text = self.blocks[index], "".join(self.pieces[index])
        if block.get("type") == "text":
            return {**block, "text": block.get("text", "") + text}
        if block.get("type") == "tool_use" and text:
            try:
                return {**block, "input": json.loads(text)}
            except json.JSONDecodeError:
                # Kept as text: parse_response turns it into an unparsed call the model is told of.
                return {**block, "input": text}
        return block

    def body(self) -> dict[str, Any]:
        return {
            **self.message,
            "content": [self._block(index) for index in sorted(self.blocks)],
            "stop_reason": self.stop_reason or self.message.get("stop_reason"),
            "usage": self.usage,
        }


async def assemble(events: AsyncIterator[ServerEvent], on_text: TextSink) -> dict[str, Any]:
    """The whole answer, once message_stop came; a cut stream or an `error` event raises
    (retryable)."""
    answer = _Answer()
    async for event in events:
        data = json_data(PROVIDER, event)
        kind = data.get("type", event.event)
        if kind == "message_stop":
            return answer.body()
        if kind == "error":
            error = data.get("error")
            error = error if isinstance(error, dict) else {"message": str(error)}
            detail = f"{error.get('type', 'error')}: {error.get('message', '')}"[:200]
            raise stream_cut(PROVIDER, detail)
        if kind == "message_start":
            answer.start(data)
        elif kind == "content_block_start":
            answer.block_start(data)
        elif kind == "content_block_delta":
            answer.block_delta(data, on_text)
        elif kind == "message_delta":
            answer.message_delta(data)
        # ping, content_block_stop and event types added later carry nothing to keep.
    raise stream_cut(PROVIDER, "the connection closed before message_stop")
