"""The parts of a Slack click that need no run: where the outcome may be posted, and the
startup check of the signing secret."""

import json

import pytest

from approvals.config import ServiceConfig
from approvals.slack import check_slack
from approvals.slack_payload import parse_click, slack_hook
from contracts.errors import OverseerError
from tests.test_slack_actions import ALICE, block_actions, form

VALUE = json.dumps({"run_id": "r", "action_id": "r/1.1", "args_sha256": "a" * 64})
HOOK = "https://hooks.slack.com/actions/T0001/1234/abcdef"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/actions/T0001/1234/abcdef",  # not TLS
        "https://hooks.slack.com.evil.example/actions/x",  # a look-alike host
        "https://hooks.slack.com@evil.example/actions/x",  # userinfo trick (no slash after .com)
        "https://evil.example/https://hooks.slack.com/",
        "https://127.0.0.1:8300/slack/actions",
        "https://hooks.slack.com/\\@evil.example/",
        "https://hooks.slack.com/actions/\r\nHost: evil.example",
        "https://hooks.slack.com/actions/\u0430",  # non-ASCII
        "",
    ],
)
def test_outcomes_are_posted_only_to_slacks_own_hooks(url: str) -> None:
    assert slack_hook(url) is None
    payload = block_actions(ALICE, "overseer_approve", VALUE, response_url=url)
    assert parse_click(form(payload).decode()).response_url is None


def test_a_slack_hook_is_kept() -> None:
    assert slack_hook(HOOK) == HOOK
    payload = block_actions(ALICE, "overseer_reject", VALUE, response_url=HOOK)
    click = parse_click(form(payload).decode())
    assert (click.slack_user, click.verdict, click.response_url) == (ALICE, "rejected", HOOK)
    assert click.target.action_id == "r/1.1"


def test_a_slack_section_without_its_secret_stops_the_service_at_startup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    config = ServiceConfig.model_validate(
        {"signing_key": "k.json", "tokens_file": "t.yaml", "slack": {"users": {ALICE: "alice"}}}
    )
    with pytest.raises(OverseerError) as error:
        check_slack(config)
    assert str(error.value) == (
        "Slack callbacks need the app's signing secret in $SLACK_SIGNING_SECRET "
        "(slack.signing_secret_env), and it is unset"
    )
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    check_slack(config)  # set: no error
    check_slack(config.model_copy(update={"slack": None}))  # no Slack: nothing needed
