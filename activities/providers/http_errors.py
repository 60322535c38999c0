"""Map a provider's HTTP failure to Temporal behaviour: retry it, or fail the call at once.

The HTTP client's own retries stay off; Temporal owns retries and their backoff.
"""

import email.utils
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from activities.errors import PROVIDER_REQUEST_REJECTED

PROVIDER_UNAVAILABLE = "ProviderUnavailable"
PROVIDER_MALFORMED_RESPONSE = "ProviderMalformedResponse"

# Worth another try: timeouts, conflicts, rate limits, server errors, overload (529).
RETRYABLE_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after(response: httpx.Response, now: datetime | None = None) -> timedelta | None:
    """The server's Retry-After, given either in seconds or as an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - (now or datetime.now(UTC)))


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "message" in error:
        return str(error["message"])[:200]
    return str(body)[:200]


def status_error(provider: str, response: httpx.Response) -> ApplicationError:
    status = response.status_code
    message = f"{provider} returned HTTP {status}: {_error_text(response)}"
    if is_retryable_status(status):
        return ApplicationError(
            message, type=PROVIDER_UNAVAILABLE, next_retry_delay=retry_after(response)
        )
    return ApplicationError(message, type=PROVIDER_REQUEST_REJECTED, non_retryable=True)


def transport_error(provider: str, error: httpx.TransportError) -> ApplicationError:
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else "unreachable"
    return ApplicationError(f"{provider} {kind}: {error!r}", type=PROVIDER_UNAVAILABLE)


def malformed(provider: str, detail: str) -> ApplicationError:
    return ApplicationError(
        f"{provider} sent a malformed response: {detail}", type=PROVIDER_MALFORMED_RESPONSE
    )


class JsonPoster:
    """One pooled HTTP client per provider, made on first use (creating a client per call
    would rebuild its TLS context every time)."""

    def __init__(self, provider: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.provider = provider
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def post(
        self, url: str, body: dict[str, Any], headers: dict[str, str], timeout_seconds: float
    ) -> Any:
        """POST JSON and return the decoded answer, or raise the classified ApplicationError.

        One attempt only (httpx does not retry requests): Temporal owns retries.
        """
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport)
        timeout = httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds))
        try:
            response = await self._client.post(url, json=body, headers=headers, timeout=timeout)
        except httpx.TransportError as error:
            raise transport_error(self.provider, error) from error
        if response.status_code != 200:
            raise status_error(self.provider, response)
        try:
            return response.json()
        except ValueError as error:
            raise malformed(self.provider, "body is not JSON") from error


def api_key(provider: str, key_env: str, required: bool) -> str | None:
    """The key from the worker's environment; keys never travel in workflow inputs."""
    key = os.environ.get(key_env)
    if key or not required:
        return key
    raise ApplicationError(
        f"{provider}: environment variable {key_env} is not set on the worker",
        type=PROVIDER_REQUEST_REJECTED,
        non_retryable=True,
    )
