"""A real HTTP server on loopback that streams canned server-sent events.

Each POST takes the next StreamScript: its events are written one by one (flushed, so the
client reads them as they come), optionally holding at `hold_at` until the test releases
it, and either ending properly or closing the connection half-way (`cut_after`).
"""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def sse(data: Any, event: str | None = None) -> bytes:
    """One event in the wire format: `event:` (Anthropic names them), `data:`, blank line."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


@dataclass
class StreamScript:
    events: list[bytes]
    status: int = 200
    # Close the connection after this many events, without the rest (a cut stream).
    cut_after: int | None = None
    # Stop after this many events until `release` is set (the test looks meanwhile).
    hold_at: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    # Pause between events, as a model writing at its own pace does.
    gap_seconds: float = 0.0


class SseServer:
    def __init__(self) -> None:
        self.scripts: list[StreamScript] = []
        self.requests: list[Any] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: the body ends when the connection closes, as a cut stream's does.
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                server.requests.append(json.loads(self.rfile.read(length)))
                script = server.scripts.pop(0)
                self.send_response(script.status)
                kind = "text/event-stream" if script.status == 200 else "application/json"
                self.send_header("content-type", kind)
                self.end_headers()
                for index, event in enumerate(script.events):
                    if index == script.cut_after:
                        return  # the connection closes half-way
                    if index == script.hold_at:
                        script.release.wait(timeout=60)
                    self.wfile.write(event)
                    self.wfile.flush()
                    if script.gap_seconds:
                        time.sleep(script.gap_seconds)  # the server thread writes slowly

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root_url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self.base_url = f"{self.root_url}/v1"

    def __enter__(self) -> "SseServer":
        threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for script in self.scripts:
            script.release.set()
        self._http.shutdown()
        self._http.server_close()


def sse_server() -> Iterator[SseServer]:
    with SseServer() as server:
        yield server


def openai_chunks(text_pieces: list[str], model: str = "gpt-4o-mini-2024-07-18") -> list[bytes]:
    """A Chat Completions stream: a role chunk, the text pieces, the finish, the usage
    chunk (empty choices), [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 1760000000,
                "model": model,
                "system_fingerprint": "fp_44709d6fcb",
                "choices": [choice],
                "usage": None,
            }
        )

    usage = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1760000000,
        "model": model,
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [],
        "usage": {"prompt_tokens": 120, "completion_tokens": 18, "total_tokens": 138},
    }
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": piece}) for piece in text_pieces),
        chunk({}, "stop"),
        sse(usage),
        sse("[DONE]"),
    ]


def anthropic_events(text_pieces: list[str], model: str = "claude-sonnet-4-5") -> list[bytes]:
    """A Messages stream of one text block, usage in message_start and message_delta."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": model,
            "stop_reason": None,
            "usage": {"input_tokens": 210, "output_tokens": 1},
        },
    }
    return [
        sse(start, "message_start"),
        sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        ),
        sse({"type": "ping"}, "ping"),
        *(
            sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": p},
                },
                "content_block_delta",
            )
            for p in text_pieces
        ),
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 42},
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]


def openai_call_chunks(text: str, call_id: str, name: str, arguments: str) -> list[bytes]:
    """A Chat Completions stream of some text and one tool call, its arguments in two
    fragments; the usage chunk last."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse(
            {
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    half = len(arguments) // 2
    call = {
        "index": 0,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": ""},
    }
    return [
        chunk({"role": "assistant", "content": text}),
        chunk({"tool_calls": [call]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[:half]}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}),
        chunk({}, "tool_calls"),
        sse(
            {
                "model": "gpt-4o-mini",
                "choices": [],
                "usage": {"prompt_tokens": 50, "completion_tokens": 12},
            }
        ),
        sse("[DONE]"),
    ]
