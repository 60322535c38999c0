"""Notifications out: the webhooks a policy tells when an action starts waiting for a
decision (`policy.notify`), and what a run hands the activity that tells one of them.

Pure data. A webhook's URL can itself be a secret (a Slack incoming webhook's is): then the
policy names the secret (`url_secret`) and only the worker reads the URL
(activities/secrets.py), as it does the HMAC key (`hmac_secret`). Neither ever enters a
spec, an activity's input or result, an event or a log.
"""

import hashlib
import hmac
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from contracts.redaction import redact
from contracts.strict import Name, StrictBody

NOTIFY_MAX = 10
URL_MAX_CHARS = 2_048
# How deep redaction walks a call's arguments; what lies deeper is not shown.
ARGS_MAX_DEPTH = 32
# Arguments larger than this (as JSON) are not sent whole: a notification shows a preview
# and links to the inbox, which has them all.
ARGS_MAX_CHARS = 16 * 1024
PREVIEW_MAX_CHARS = 1_500
SIGNATURE_HEADER = "X-Overseer-Signature"
TIMESTAMP_HEADER = "X-Overseer-Timestamp"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook or inbox URL (one line), or None when it can."""
    if len(url) > URL_MAX_CHARS:
        return f"is longer than {URL_MAX_CHARS} characters"
    if not url.isprintable() or any(c.isspace() for c in url):
        return "holds blanks or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"must be http or https, not {parts.scheme or 'a relative URL'!r}"
    if not parts.hostname:
        return "names no host"
    return None


def _checked_url(url: str) -> str:
    if problem := url_problem(url):
        raise ValueError(f"url {problem}")
    return url


# Length first (pydantic), so a megabyte of text is refused before it is scanned.
WebUrl = Annotated[str, StringConstraints(max_length=URL_MAX_CHARS), AfterValidator(_checked_url)]


class Webhook(StrictBody):
    """`{url: https://..., format: json, hmac_secret: NAME}` or `{url_secret: NAME, format:
    slack}`: where a notification goes, in which form, and (json) the key that signs it."""

    url: WebUrl | None = None
    # The name of a worker secret holding the URL, for URLs that are credentials themselves.
    url_secret: Name | None = None
    format: Literal["json", "slack"] = "json"
    # The name of a worker secret holding the HMAC-SHA256 key that signs a json body.
    hmac_secret: Name | None = None

    @model_validator(mode="after")
    def _one_url(self) -> "Webhook":
        if (self.url is None) == (self.url_secret is None):
            raise ValueError("a notify webhook gives exactly one of url and url_secret")
        if self.hmac_secret is not None and self.format != "json":
            raise ValueError("hmac_secret signs json webhooks only (Slack verifies nothing)")
        return self

    @property
    def secrets(self) -> list[str]:
        return [name for name in (self.url_secret, self.hmac_secret) if name is not None]


def webhook_label(webhook: Webhook, index: int, host: str | None = None) -> str:
    """How events name a webhook: its place in the policy, its format and its host; never
    its whole URL (a query can hold a token) and never a secret URL."""
    if host is None:
        host = (
            urlsplit(webhook.url).hostname or "?"
            if webhook.url
            else f"URL from secret {webhook.url_secret}"
        )
    return f"webhook {index} ({webhook.format}, {host})"


def notify_secrets_problem(webhooks: list[Webhook], secrets: list[str]) -> str | None:
    """Why the webhooks' secrets are not all in the agent's `secrets` (one line), or None."""
    for index, webhook in enumerate(webhooks, start=1):
        missing = [name for name in webhook.secrets if name not in secrets]
        if missing:
            return (
                f"notify webhook {index} uses secret(s) {', '.join(missing)}: "
                "list them under secrets"
            )
    return None


def redacted_args(value: Any, patterns: list[str], depth: int = 0) -> Any:
    """The arguments with every string (keys too) redacted as events are: a notification
    leaves the run for places the run's log does not go."""
    if depth > ARGS_MAX_DEPTH:
        return "[nested too deep]"
    if isinstance(value, str):
        return redact(value, patterns)
    if isinstance(value, dict):
        return {
            redact(str(key), patterns): redacted_args(item, patterns, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted_args(item, patterns, depth + 1) for item in value]
    return value


class ApprovalNotice(BaseModel):
    """The input of the `approvals.notify` activity: one webhook, one waiting action.
    Holds no secret: the webhook names its secrets, the worker resolves them."""

    index: int  # the webhook's place in policy.notify, from 1
    webhook: Webhook
    run_id: str
    agent: str
    action_id: str
    short_id: str
    tool: str
    # Redacted; None when larger than ARGS_MAX_CHARS as JSON (the preview still shows some).
    args: dict[str, Any] | None
    args_preview: str = Field(max_length=PREVIEW_MAX_CHARS + 1)
    args_sha256: str
    requester: str
    approvers: list[str]
    approver_groups: list[str] = Field(default_factory=list)
    requested_at: datetime
    expires_at: datetime | None = None
    # The approval service's web inbox (policy.inbox_url), if it has one.
    inbox_url: str | None = None


class NoticeSent(BaseModel):
    """The activity's result: the webhook's answer. `host` only, never the URL."""

    status: int
    host: str


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    """The `X-Overseer-Signature` of a json notification: HMAC-SHA256 over
    `<timestamp>.<body>` (the timestamp is in `X-Overseer-Timestamp`), as `sha256=<hex>`.
    A receiver recomputes it over the raw body and compares in constant time."""
    mac = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signature_valid(key: bytes, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(key, timestamp, body), header)


# The activity that tells one webhook, and how its failures are classified.
NOTIFY_ACTIVITY = "approvals.notify"
# The webhook refused the notification (a 4xx other than 429, a redirect, a bad secret URL):
# sending it again cannot help.
NOTIFY_REFUSED = "NotifyRefused"
# Unreachable, timed out, 429 or 5xx: worth another attempt.
NOTIFY_UNAVAILABLE = "NotifyUnavailable"
