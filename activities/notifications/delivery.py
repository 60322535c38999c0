"""`approvals.notify`: POST one notification to one webhook, once per attempt.

Temporal owns the retries (the workflow's retry policy): this maps what happened to a
retryable (unreachable, timed out, 429, 5xx) or a non-retryable (any other 4xx, a redirect,
a bad secret URL) ApplicationError. Secrets (a secret URL, the HMAC key) are resolved here
and never leave: every message is scrubbed of them, and raised `from None` so no httpx
error (whose text can hold the URL) is chained into the failure history keeps.
"""

import hashlib
import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notifications.messages import json_body, slack_message
from activities.providers.http_errors import retry_after
from activities.secrets import resolve, scrub
from contracts.errors import one_line
from contracts.notifications import (
    NOTIFY_ACTIVITY,
    NOTIFY_REFUSED,
    NOTIFY_UNAVAILABLE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ApprovalNotice,
    NoticeSent,
    signature,
    url_problem,
)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ANSWER_SHOWN_CHARS = 200


@activity.defn(name=NOTIFY_ACTIVITY)
async def notify_approval(notice: ApprovalNotice) -> NoticeSent:
    """Tell one webhook that an action waits for a decision; its HTTP status and host."""
    webhook = notice.webhook
    secrets = resolve(webhook.secrets)  # a missing one: SecretMissing, not retried
    url = secrets[webhook.url_secret] if webhook.url_secret else webhook.url
    assert url is not None  # the contract holds exactly one of url and url_secret
    if webhook.url_secret and (problem := url_problem(url)):
        raise _refused(f"the URL in secret {webhook.url_secret} {problem}", [secrets])
    hidden = _hidden(secrets, webhook.url_secret)
    body, headers = _encoded(notice, secrets)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise _unavailable("timed out", hidden) from None
    except httpx.HTTPError as error:
        raise _unavailable(f"unreachable ({type(error).__name__})", hidden) from None
    status = response.status_code
    if 200 <= status < 300:
        return NoticeSent(status=status, host=urlsplit(url).hostname or "?")
    said = f"HTTP {status}: {response.text[:ANSWER_SHOWN_CHARS]}"
    if status == 429 or status >= 500:
        raise _unavailable(said, hidden, next_retry_delay=retry_after(response))
    if 300 <= status < 400:
        said = f"HTTP {status}: redirects are not followed"
    raise _refused(said, hidden)


def _encoded(notice: ApprovalNotice, secrets: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    webhook = notice.webhook
    payload = json_body(notice) if webhook.format == "json" else slack_message(notice)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    delivery = f"{notice.action_id}#{notice.index}".encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "overseer-notify",
        # The same on every attempt: a receiver can drop a delivery it already has.
        "Idempotency-Key": hashlib.sha256(delivery).hexdigest()[:32],
    }
    if webhook.hmac_secret is not None:
        timestamp = str(int(time.time()))
        key = secrets[webhook.hmac_secret].encode()
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = signature(key, timestamp, body)
    return body, headers


def _hidden(secrets: dict[str, str], url_secret: str | None) -> list[dict[str, str]]:
    """What a message must not show, longest first: the secrets, then a secret URL's path
    and query (a receiver's answer may echo them)."""
    if url_secret is None:
        return [secrets]
    parts = urlsplit(secrets[url_secret])
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return [secrets, {url_secret: rest}] if len(rest) > 1 else [secrets]


def _message(text: str, hidden: list[dict[str, str]]) -> str:
    for secrets in hidden:
        text = scrub(text, secrets)
    return one_line(text)


def _refused(text: str, hidden: list[dict[str, str]]) -> ApplicationError:
    return ApplicationError(_message(text, hidden), type=NOTIFY_REFUSED, non_retryable=True)


def _unavailable(
    text: str, hidden: list[dict[str, str]], next_retry_delay: timedelta | None = None
) -> ApplicationError:
    return ApplicationError(
        _message(text, hidden), type=NOTIFY_UNAVAILABLE, next_retry_delay=next_retry_delay
    )
