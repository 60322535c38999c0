"""What a Slack click sends: a `block_actions` payload, read strictly where Overseer uses it.

Slack's request body is form-encoded with one field, `payload`, holding JSON. Slack sends
many fields Overseer does not read (team, channel, message, container...): those are
allowed; the ones that decide something (who clicked, which button, which action) are
validated as hostile input, with the same grammars as every other body.
"""

from typing import Annotated, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from contracts.errors import OverseerError, validation_problem
from contracts.strict import Name, Sha256Hex, StrictBody

APPROVE_BUTTON = "overseer_approve"
REJECT_BUTTON = "overseer_reject"
# Slack caps a button's value at 2000 characters.
BUTTON_VALUE_MAX_CHARS = 2000
# Slack sends the one action that was clicked; an actions block holds at most 25.
ACTIONS_MAX = 25
# Only Slack's own webhook host is ever posted to: the payload names the URL, and a
# forged-but-signed or replayed payload must not turn the service into a proxy (SSRF).
SLACK_HOOKS_PREFIX = "https://hooks.slack.com/"
URL_MAX_CHARS = 2000


class PayloadProblem(OverseerError):
    """The request is not a block_actions payload Overseer can act on (one line)."""


class _SlackObject(BaseModel):
    # Slack adds fields over time; unknown ones are kept out of the way, not refused.
    model_config = ConfigDict(extra="ignore", strict=True)


class SlackUserRef(_SlackObject):
    id: Name


class SlackAction(_SlackObject):
    action_id: Literal["overseer_approve", "overseer_reject"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=BUTTON_VALUE_MAX_CHARS)]


class BlockActions(_SlackObject):
    type: Literal["block_actions"]
    user: SlackUserRef
    actions: list[SlackAction] = Field(min_length=1, max_length=ACTIONS_MAX)
    response_url: Annotated[str, StringConstraints(max_length=URL_MAX_CHARS)] | None = None


class ButtonValue(StrictBody):
    """What the notification put in the button: the action, as the approver saw it."""

    run_id: Name
    action_id: Name
    args_sha256: Sha256Hex


class Click(BaseModel):
    slack_user: str
    verdict: Literal["approved", "rejected"]
    target: ButtonValue
    response_url: str | None


def parse_click(body: str) -> Click:
    """The click in a form-encoded Slack request body, or PayloadProblem naming what is wrong."""
    try:
        fields = parse_qs(body, keep_blank_values=True, strict_parsing=True, max_num_fields=20)
    except ValueError:
        raise PayloadProblem("the body is not a form-encoded Slack request") from None
    payloads = fields.get("payload", [])
    if len(payloads) != 1:
        raise PayloadProblem("the body has no single `payload` field")
    try:
        actions = BlockActions.model_validate_json(payloads[0])
    except ValidationError as error:
        raise PayloadProblem(_problem("payload", error)) from None
    action = actions.actions[0]
    try:
        target = ButtonValue.model_validate_json(action.value)
    except ValidationError as error:
        raise PayloadProblem(_problem("button value", error)) from None
    return Click(
        slack_user=actions.user.id,
        verdict="approved" if action.action_id == APPROVE_BUTTON else "rejected",
        target=target,
        response_url=slack_hook(actions.response_url),
    )


def _problem(what: str, error: ValidationError) -> str:
    if error.errors()[0]["type"] == "json_invalid":
        return f"{what} is not JSON"
    return f"{what}: {validation_problem(error)}"


def slack_hook(url: str | None) -> str | None:
    """The URL if it is one of Slack's own response hooks, else None (never posted to)."""
    if url is None or not url.startswith(SLACK_HOOKS_PREFIX):
        return None
    if not url.isascii() or not url.isprintable() or any(c in url for c in " \\@"):
        return None
    return url
