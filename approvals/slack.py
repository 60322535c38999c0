"""Slack's interactivity callbacks: an approver clicks Approve or Reject in a notification.

Slack signs every request with the app's signing secret; slack_sdk's verifier checks it on
the raw body and refuses timestamps more than five minutes off, so a captured request
cannot be replayed later. The Slack user is mapped to an Overseer identity through the
config's `slack.users` table (a Slack user id is not an Overseer identity by itself), the
desk decides as that person and signs with the service key, and the run checks the policy
and the signature again.
"""

import logging
import os
import time
from typing import TYPE_CHECKING

import httpx
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from slack_sdk.signature import SignatureVerifier

from approvals.config import ServiceConfig, SlackConfig
from approvals.identity import Identity
from approvals.slack_payload import Click, PayloadProblem, parse_click
from contracts.approvals import DecisionReceipt
from contracts.errors import OverseerError, one_line

if TYPE_CHECKING:
    from approvals.service import Service

log = logging.getLogger(__name__)
router = APIRouter()

# A click's payload is a few kilobytes; anything larger is not from Slack.
BODY_MAX_BYTES = 64 * 1024
# slack_sdk refuses timestamps further off than this; the same figure names the refusal.
TIMESTAMP_MAX_SKEW_SECONDS = 300
# Seconds since 1970 fit in 11 digits until the year 5138.
TIMESTAMP_MAX_DIGITS = 11
SIGNATURE_MAX_CHARS = 100
# Slack's response_url accepts a message for 30 minutes; one try, never blocking the reply.
RESPONSE_URL_TIMEOUT_SECONDS = 5.0


class SlackRefusal(OverseerError):
    """The request is refused before anything is decided: an HTTP status and one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(one_line(message))
        self.status = status


def slack_signing_secret(slack: SlackConfig) -> str:
    """The signing secret from the environment; OverseerError naming the variable if unset."""
    secret = os.environ.get(slack.signing_secret_env, "").strip()
    if not secret:
        raise OverseerError(
            f"Slack callbacks need the app's signing secret in ${slack.signing_secret_env} "
            "(slack.signing_secret_env), and it is unset"
        )
    return secret


def check_slack(config: ServiceConfig) -> None:
    """At startup: a configured Slack section must have its signing secret."""
    if config.slack is not None:
        slack_signing_secret(config.slack)


@router.post("/slack/actions", include_in_schema=False)
async def slack_actions(request: Request, background: BackgroundTasks) -> JSONResponse:
    """Slack's interactivity request URL. Refusals of the request itself (size, signature,
    malformed payload) are HTTP errors; an outcome Slack should show the person (decided,
    or not allowed) is a 200 with a message, as Slack expects."""
    service: Service = request.app.state.service
    try:
        slack = _slack_config(service.config)
        click = parse_click(await _verified_body(request, slack))
    except SlackRefusal as refusal:
        log.warning("slack callback refused: %s", refusal)
        return JSONResponse({"detail": str(refusal)}, status_code=refusal.status)
    except PayloadProblem as problem:
        return JSONResponse({"detail": one_line(str(problem))}, status_code=400)
    message = await _decide(service, slack, click)
    if click.response_url is not None:
        background.add_task(_post_to_slack, click.response_url, message)
    return JSONResponse(message)


def _slack_config(config: ServiceConfig) -> SlackConfig:
    if config.slack is None:
        raise SlackRefusal(404, "Slack callbacks are not configured (no slack: section)")
    return config.slack


async def _verified_body(request: Request, slack: SlackConfig) -> str:
    """The body, bounded and UTF-8, once Slack's signature over it holds."""
    try:
        secret = slack_signing_secret(slack)
    except OverseerError as error:
        raise SlackRefusal(503, str(error)) from None
    raw = await _bounded_body(request)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SlackRefusal(400, "the body is not UTF-8") from None
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_MAX_DIGITS):
        raise SlackRefusal(401, "X-Slack-Request-Timestamp is missing or not a number")
    # ASCII only: hmac.compare_digest raises on other text instead of answering False.
    if not signature.isascii() or not 0 < len(signature) <= SIGNATURE_MAX_CHARS:
        raise SlackRefusal(401, "X-Slack-Signature is missing, too long or not ASCII")
    if not SignatureVerifier(secret).is_valid(body, timestamp, signature):
        if abs(time.time() - int(timestamp)) > TIMESTAMP_MAX_SKEW_SECONDS:
            raise SlackRefusal(
                401,
                f"the request's timestamp is more than {TIMESTAMP_MAX_SKEW_SECONDS} seconds "
                "from now (a replay, or a clock that is off); nothing was decided",
            )
        raise SlackRefusal(401, "Slack's signature does not match the request; nothing was decided")
    return body


async def _bounded_body(request: Request) -> bytes:
    too_large = f"the body is larger than {BODY_MAX_BYTES} bytes"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > 12 or int(declared) > BODY_MAX_BYTES):
        raise SlackRefusal(413, too_large)
    # Read in chunks: a lying or absent Content-Length cannot make the service buffer more.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_MAX_BYTES:
            raise SlackRefusal(413, too_large)
    return bytes(body)


async def _decide(service: "Service", slack: SlackConfig, click: Click) -> dict[str, object]:
    """Decide as the mapped person; the message Slack shows them either way."""
    target = click.target
    mapped = slack.users.get(click.slack_user)
    if mapped is None:
        return _ephemeral(
            f"Not decided: Slack user {click.slack_user} is not mapped to an Overseer identity "
            "(add them to slack.users in the approval service's config)"
        )
    identity = Identity(mapped.user, tuple(mapped.groups), via="slack")
    reason = f"{click.verdict} from Slack by {identity.user}"
    try:
        receipt = await service.desk.decide(
            identity,
            target.run_id,
            target.action_id,
            click.verdict,
            args_sha256=target.args_sha256,
            reason=reason,
        )
    except OverseerError as error:
        log.info("slack decision by %s refused: %s", identity.user, error)
        return _ephemeral(f"Not decided: {one_line(str(error))}")
    log.info("slack: %s %s action %s", identity.user, click.verdict, receipt.action_id)
    return {"replace_original": True, "text": outcome_text(target.run_id, receipt)}


def outcome_text(run_id: str, receipt: DecisionReceipt) -> str:
    signed = f"signed by key {receipt.key_id}" if receipt.key_id else "unsigned"
    return (
        f"Action {receipt.action_id} of run {run_id} {receipt.verdict} by {receipt.approver} "
        f"(event #{receipt.event_seq}, {signed})"
    )


def _ephemeral(text: str) -> dict[str, object]:
    # Only the person who clicked sees it; the buttons stay for someone who may decide.
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


async def _post_to_slack(url: str, message: dict[str, object]) -> None:
    """Slack shows a block_actions outcome through the payload's response_url (the HTTP
    reply only acknowledges the click). Best effort: the decision is already recorded."""
    try:
        async with httpx.AsyncClient(
            timeout=RESPONSE_URL_TIMEOUT_SECONDS, follow_redirects=False
        ) as http:
            response = await http.post(url, json=message)
        if response.status_code >= 400:
            log.warning("slack response_url answered %s", response.status_code)
    except httpx.HTTPError as error:
        log.warning("slack response_url failed: %s", one_line(str(error)))
