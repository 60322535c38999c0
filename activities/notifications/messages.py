"""What a notification says: the generic JSON body, and a Slack incoming-webhook message
with approve / reject buttons and a link to the inbox.

The Slack buttons are read back by the approval service's Slack callback: their
`action_id`s (BUTTON_APPROVE, BUTTON_REJECT) and their `value` (button_value) are a
contract with it.
"""

import json
import shlex
from typing import Any
from urllib.parse import quote

from contracts.notifications import ApprovalNotice

BUTTON_APPROVE = "overseer_approve"
BUTTON_REJECT = "overseer_reject"
BUTTON_OPEN = "overseer_open"
DECISION_BLOCK = "overseer_decision"
# Slack's limits: a button's value, a button's URL, a section's text.
SLACK_VALUE_MAX = 2_000
SLACK_URL_MAX = 3_000
SLACK_TEXT_MAX = 3_000


def inbox_link(notice: ApprovalNotice) -> str | None:
    """The action's page in the approval service's web inbox, if the policy names one."""
    if notice.inbox_url is None:
        return None
    run, action = quote(notice.run_id, safe=""), quote(notice.short_id, safe="")
    return f"{notice.inbox_url.rstrip('/')}/runs/{run}/actions/{action}"


def approve_command(notice: ApprovalNotice) -> str:
    return f"overseer approve {shlex.quote(notice.run_id)} {shlex.quote(notice.short_id)} --as YOU"


def json_body(notice: ApprovalNotice) -> dict[str, Any]:
    return {
        "type": "approval_requested",
        "run_id": notice.run_id,
        "agent": notice.agent,
        "action_id": notice.action_id,
        "short_id": notice.short_id,
        "tool": notice.tool,
        "args": notice.args,
        "args_truncated": notice.args is None,
        "args_sha256": notice.args_sha256,
        "requester": notice.requester,
        "approvers": notice.approvers,
        "approver_groups": notice.approver_groups,
        "requested_at": notice.requested_at.isoformat(),
        "expires_at": notice.expires_at.isoformat() if notice.expires_at else None,
        "inbox_url": inbox_link(notice),
        "approve_command": approve_command(notice),
    }


def button_value(notice: ApprovalNotice) -> str | None:
    """What a Slack button carries back: compact JSON {run_id, action_id, args_sha256}, or
    None when it would pass Slack's 2000-character limit (a run id of ~900 characters)."""
    value = json.dumps(
        {"run_id": notice.run_id, "action_id": notice.action_id, "args_sha256": notice.args_sha256},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return value if len(value) <= SLACK_VALUE_MAX else None


def _escaped(text: str) -> str:
    """Text shown as Slack mrkdwn: its control characters escaped, so the model's
    arguments cannot turn into mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return "```" + _escaped(text).replace("```", "'''") + "```"


def slack_message(notice: ApprovalNotice) -> dict[str, Any]:
    summary = (
        f"Approval needed: {notice.tool} (action {notice.short_id}) in run {notice.run_id} "
        f"of {notice.agent}"
    )
    approvers = ", ".join(notice.approvers) or "any user"
    expires = notice.expires_at.isoformat() if notice.expires_at else "never"
    about = (
        f"*Approval needed*: `{_escaped(notice.tool)}` wants to run\n"
        f"*Run:* `{_escaped(notice.run_id)}` (agent {_escaped(notice.agent)}, "
        f"requested by {_escaped(notice.requester)})\n"
        f"*Action:* `{_escaped(notice.short_id)}` · *Approvers:* {_escaped(approvers)} · "
        f"*Expires:* {expires}"
    )
    blocks: list[dict[str, Any]] = [
        _section(about),
        _section(_code(notice.args_preview)),
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"sha256 `{notice.args_sha256}`"},
                {"type": "mrkdwn", "text": _escaped(approve_command(notice))[:SLACK_TEXT_MAX]},
            ],
        },
    ]
    buttons = _buttons(notice)
    if buttons:
        blocks.append({"type": "actions", "block_id": DECISION_BLOCK, "elements": buttons})
    return {"text": _escaped(summary)[:SLACK_TEXT_MAX], "blocks": blocks}


def _section(text: str) -> dict[str, Any]:
    if len(text) > SLACK_TEXT_MAX:
        text = text[: SLACK_TEXT_MAX - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _buttons(notice: ApprovalNotice) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    value = button_value(notice)
    if value is not None:
        buttons += [
            _button(BUTTON_APPROVE, "Approve", style="primary", value=value),
            _button(BUTTON_REJECT, "Reject", style="danger", value=value),
        ]
    link = inbox_link(notice)
    if link is not None and len(link) <= SLACK_URL_MAX:
        buttons.append(_button(BUTTON_OPEN, "Open in the inbox", url=link))
    return buttons


def _button(action_id: str, label: str, **fields: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        **fields,
    }
