"""policy.notify and policy.inbox_url: refused in one line when wrong (at the contract and in
an agent file), and what the two formats say (the Slack buttons are a contract with the
approval service's Slack callback)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from activities.notifications.messages import (
    BUTTON_APPROVE,
    BUTTON_OPEN,
    BUTTON_REJECT,
    json_body,
    slack_message,
)
from contracts.errors import OverseerError, validation_problem
from contracts.notifications import ApprovalNotice, Webhook, signature, signature_valid
from contracts.spec import RunSpec
from starters.files.agent_file import load_agent_file, run_spec

HOOK = "{url: 'https://hooks.example/o'}"


def spec_problem(policy: dict[str, Any], secrets: list[str] | None = None) -> str:
    try:
        RunSpec.model_validate(
            {"agent": "a", "goal": "g", "policy": policy, "secrets": secrets or []}
        )
    except ValidationError as error:
        return validation_problem(error)
    return "ok"


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ({"notify": [{"url": "ftp://h/x"}]}, "url must be http or https, not 'ftp'"),
        ({"notify": [{"url": "/relative"}]}, "url must be http or https, not 'a relative URL'"),
        ({"notify": [{"url": "http://h/a\nb"}]}, "url holds blanks or control characters"),
        ({"notify": [{"url": "http://h/" + "a" * 3000}]}, "at most 2048 characters"),
        ({"notify": [{"url": "http:///path"}]}, "url names no host"),
        ({"notify": [{"url": "http://h", "url_secret": "s"}]}, "exactly one of url and url_secret"),
        ({"notify": [{"format": "json"}]}, "exactly one of url and url_secret"),
        ({"notify": [{"url": "http://h", "format": "xml"}]}, "notify.0.format: Input should be"),
        (
            {"notify": [{"url_secret": "s", "format": "slack", "hmac_secret": "k"}]},
            "json webhooks only",
        ),
        ({"notify": [{"url": "http://h", "headers": {}}]}, "notify.0.headers: Extra inputs"),
        ({"notify": [{"url": "http://h"}] * 11}, "policy.notify: List should have at most 10"),
        ({"inbox_url": "javascript:alert(1)"}, "policy.inbox_url: url must be http"),
        ({"notify": [{"url_secret": "slack_url"}]}, "webhook 1 uses secret(s) slack_url: list"),
        ({"notify": [{"url": "http://h", "hmac_secret": "key"}]}, "uses secret(s) key: list"),
    ],
)
def test_bad_notify_settings_are_one_line_naming_the_problem(
    policy: dict[str, Any], problem: str
) -> None:
    message = spec_problem(policy)
    assert problem in message
    assert "\n" not in message


def test_listed_secrets_pass() -> None:
    policy = {
        "notify": [
            {"url_secret": "slack_url", "format": "slack"},
            {"url": "https://h/hook", "hmac_secret": "key"},
        ],
        "inbox_url": "https://inbox.example",
    }
    assert spec_problem(policy, ["slack_url", "key"]) == "ok"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("policy: {notify: [{url: 'ftp://h/x'}]}", "agent.yaml: policy.notify.0.url: url must"),
        (f"policy: {{notify: [{HOOK}], inbox_url: 'file:///x'}}", "policy.inbox_url: url must"),
        ("policy: {notify: [{url_secret: slack}]}", "policy: notify webhook 1 uses secret(s)"),
        (
            "policy: {notify: [{url: 'http://h', url_secret: s}]}",
            "exactly one of url and url_secret",
        ),
    ],
)
def test_an_agent_file_with_bad_notify_settings_is_refused_in_one_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(f"name: a\nworkspace: .\n{text}\n")
    with pytest.raises(OverseerError) as raised:
        agent, workspace = load_agent_file(path)
        run_spec(agent, workspace, goal="g", requester="rita", trace_id="")
    assert problem in str(raised.value)
    assert "\n" not in str(raised.value)


def notice(**overrides: Any) -> ApprovalNotice:
    fields: dict[str, Any] = {
        "index": 1,
        "webhook": Webhook(url_secret="slack_url", format="slack"),
        "run_id": "run-abc",
        "agent": "tester",
        "action_id": "run-abc/2.1",
        "short_id": "2.1",
        "tool": "write_file",
        "args": {"path": "a.txt", "content": "<!channel> ```x```"},
        "args_preview": '{"content":"<!channel> ```x```","path":"a.txt"}',
        "args_sha256": "ab" * 32,
        "requester": "rita",
        "approvers": ["olga"],
        "requested_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "inbox_url": "https://inbox.example/",
    }
    fields.update(overrides)
    return ApprovalNotice(**fields)


def test_the_slack_message_carries_the_buttons_the_callback_reads() -> None:
    message = slack_message(notice())
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    approve, reject, link = actions["elements"]
    assert (approve["action_id"], reject["action_id"]) == (BUTTON_APPROVE, BUTTON_REJECT)
    value = {"run_id": "run-abc", "action_id": "run-abc/2.1", "args_sha256": "ab" * 32}
    assert json.loads(approve["value"]) == json.loads(reject["value"]) == value
    assert (link["action_id"], link["url"]) == (
        BUTTON_OPEN,
        "https://inbox.example/runs/run-abc/actions/2.1",
    )
    shown = json.dumps(message)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown  # no mention from args
    assert "```x```" not in shown


def test_a_run_id_too_long_for_a_button_value_keeps_the_link_only() -> None:
    long_id = "r" * 1000
    message = slack_message(notice(run_id=long_id, action_id=f"{long_id}/2.1"))
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    assert [button["action_id"] for button in actions["elements"]] == [BUTTON_OPEN]
    without_inbox = slack_message(
        notice(run_id=long_id, action_id=f"{long_id}/2.1", inbox_url=None)
    )
    assert not [block for block in without_inbox["blocks"] if block["type"] == "actions"]


def test_the_json_body_links_to_the_inbox_and_names_the_command() -> None:
    body = json_body(notice(webhook=Webhook(url="https://h/x")))
    assert body["type"] == "approval_requested"
    assert body["inbox_url"] == "https://inbox.example/runs/run-abc/actions/2.1"
    assert body["approve_command"] == "overseer approve run-abc 2.1 --as YOU"
    assert (body["expires_at"], body["args_truncated"]) == (None, False)


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    header = signature(b"key", "1700000000", b"{}")
    assert signature_valid(b"key", "1700000000", b"{}", header)
    assert not signature_valid(b"key", "1700000001", b"{}", header)
    assert not signature_valid(b"key", "1700000000", b"{ }", header)
    assert not signature_valid(b"other", "1700000000", b"{}", header)
