"""A real HTTP server on loopback that answers with queued, canned responses."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class CannedResponse:
    status: int
    body: Any  # JSON-serializable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    # Wait this long before answering (to make the client time out).
    delay_seconds: float = 0.0


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any


class CannedServer:
    def __init__(self) -> None:
        self.responses: list[CannedResponse] = []
        # Answered once `responses` is used up.
        self.default: CannedResponse | None = None
        self.requests: list[RecordedRequest] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                server.requests.append(
                    RecordedRequest(self.path, dict(self.headers.items()), json.loads(raw))
                )
                canned = server.responses.pop(0) if server.responses else server.default
                assert canned is not None, f"no canned response left for {self.path}"
                if canned.delay_seconds:
                    time.sleep(canned.delay_seconds)  # the server thread stalls, like a hung API
                payload = (
                    canned.body
                    if isinstance(canned.body, bytes)
                    else json.dumps(canned.body).encode()
                )
                self.send_response(canned.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root_url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self.base_url = f"{self.root_url}/v1"

    def __enter__(self) -> "CannedServer":
        threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


def canned_server() -> Iterator[CannedServer]:
    with CannedServer() as server:
        yield server
