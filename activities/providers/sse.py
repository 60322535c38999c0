"""Server-sent events from a provider's streaming endpoint, over httpx.

The same rules as JsonPoster (activities/providers/http_errors.py): one attempt, Temporal
owns retries, HTTP status mapped before the stream starts. Once it has started, a stream that
ends before the provider's own end marker is cut: that is retryable (the whole call is
asked again), never an answer assembled from half a stream.
"""

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from activities.providers.http_errors import (
    PROVIDER_UNAVAILABLE,
    malformed,
    status_error,
    transport_error,
)

# A receiver of the model's text as it arrives (activities/progress.py batches it).
TextSink = Callable[[str], None]

# One SSE line longer than this is not a provider's chunk: a runaway server is cut off
# instead of growing the worker's memory (httpx itself buffers a line until its newline).
LINE_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class ServerEvent:
    event: str  # the `event:` field; "message" when the server sent none (OpenAI)
    data: str


def stream_cut(provider: str, detail: str) -> ApplicationError:
    """A stream that stopped half-way: retryable, the call is asked again as a whole."""
    return ApplicationError(f"{provider} stream cut: {detail}", type=PROVIDER_UNAVAILABLE)


def json_data(provider: str, event: ServerEvent) -> dict[str, Any]:
    try:
        data = json.loads(event.data)
    except json.JSONDecodeError as error:
        raise malformed(provider, f"a stream event is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise malformed(provider, "a stream event is not a JSON object")
    return data


async def _events(provider: str, lines: AsyncIterator[str]) -> AsyncIterator[ServerEvent]:
    """The SSE framing (WHATWG): `field: value` lines, a blank line ends an event."""
    name, data = "", list[str]()
    async for line in lines:
        if len(line) > LINE_MAX_CHARS:
            raise malformed(provider, f"a stream line is over {LINE_MAX_CHARS} characters")
        if not line:
            if data:
                yield ServerEvent(name or "message", "\n".join(data))
            name, data = "", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        # Comments (`: keep-alive`), `id:` and `retry:` mean nothing to one POST.
    if data:  # a last event without its blank line still counts
        yield ServerEvent(name or "message", "\n".join(data))


class SsePoster:
    """One pooled HTTP client per provider, like JsonPoster, for `stream: true` calls."""

    def __init__(self, provider: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.provider = provider
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def events(
        self, url: str, body: dict[str, Any], headers: dict[str, str], timeout_seconds: float
    ) -> AsyncIterator[ServerEvent]:
        """The server's events in order; raises the classified ApplicationError on an HTTP
        status or a broken connection. The caller says whether the stream ended properly."""
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport)
        # The timeout is between two reads: a stream may last longer than one read may wait.
        timeout = httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds))
        headers = {**headers, "accept": "text/event-stream"}
        try:
            async with self._client.stream(
                "POST", url, json=body, headers=headers, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise status_error(self.provider, response)
                async for event in _events(self.provider, response.aiter_lines()):
                    yield event
        except httpx.TransportError as error:
            # Connection reset or closed mid-body (httpx.RemoteProtocolError): retryable.
            raise transport_error(self.provider, error) from error
