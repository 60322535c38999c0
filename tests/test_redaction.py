import asyncio
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.worker import Worker

from contracts.errors import OverseerError, validation_problem
from contracts.limits import GOAL_MAX_CHARS, REDACT_MAX_CHARS
from contracts.redaction import PATTERN_MAX_CHARS, PATTERNS_MAX, pattern_problem, redact
from contracts.spec import PolicySpec
from contracts.states import RunState
from starters.files.agent_file import load_agent_file
from tests.helpers import events, make_spec, snapshot, start
from workers.log_format import REDACT_ENV, JsonLineFormatter, configure_logging


def test_emails_and_key_like_tokens_are_redacted() -> None:
    text = (
        "mail ops@example.com with key sk-proj-AbCdEf1234567890XyZ, "
        "Authorization: Bearer abcdefghijklmnop1234 and AKIAIOSFODNN7EXAMPLE"
    )
    assert redact(text) == (
        "mail [email] with key [secret], Authorization: Bearer [secret] and [secret]"
    )


def test_json_log_lines_are_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("bob@corp.io",), None)
    assert '"msg": "to [email]"' in JsonLineFormatter().format(record)


def test_configured_patterns_are_redacted_in_logs_and_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OVERSEER_REDACT_PATTERNS", "ACME-\\d{6}\n")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "order %s", ("ACME-123456",), None)
    assert '"msg": "order [redacted]"' in JsonLineFormatter().format(record)
    assert redact("case ACME-654321 for x@y.io", ["ACME-\\d{6}"]) == "case [redacted] for [email]"


async def test_a_runs_policy_patterns_are_redacted_in_its_events_and_details(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    policy = PolicySpec(require_approval=[], redact_patterns=[r"hello\.txt"])
    handle = await start(client, make_spec(tmp_path, policy=policy), worker.task_queue)
    await handle.result()

    details = [e.detail for e in await events(handle)]
    assert any("[redacted]" in detail for detail in details)
    assert not any("hello.txt" in detail for detail in details)
    assert (tmp_path / "out/hello.txt").exists()  # the tool itself had the raw value


# -- linear time: RE2, bounded fields, patterns refused where they enter (issue 14) --------

# The longest goal a run takes. With Python's `re` the email pattern alone needed seconds
# on it (quadratic), and `(a+)+$` never ends on a run of a's followed by another character.
ADVERSARIAL_GOAL = "a" * (GOAL_MAX_CHARS - 1) + "!"


async def test_a_hostile_goal_and_policy_pattern_neither_wedge_the_run_nor_slow_another(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    policy = PolicySpec(require_approval=[], redact_patterns=["(a+)+$"])
    hostile = make_spec(tmp_path / "bad", goal=ADVERSARIAL_GOAL, policy=policy)
    bad = await start(client, hostile, worker.task_queue)
    calm = make_spec(tmp_path / "good", policy=PolicySpec(require_approval=[]))
    good = await start(client, calm, worker.task_queue)

    async with asyncio.timeout(60):
        assert (await good.result()).state is RunState.COMPLETED
        # The hostile run's workflow tasks complete: it answers queries, then ends.
        assert (await snapshot(bad)).goal == ADVERSARIAL_GOAL
        assert (await bad.result()).state is RunState.COMPLETED


def test_policy_patterns_ride_through_one_pass_so_replacements_cannot_grow() -> None:
    # Applied one after another, "e" would re-redact the "[redacted]" left by "a".
    assert redact("a a", ["a", "e", "d"]) == "[redacted] [redacted]"


def test_over_long_text_is_cut_before_a_blank_with_a_marker() -> None:
    words = "word " * (REDACT_MAX_CHARS // 5) + "x" * 1000
    redacted = redact(words)
    head, marker = redacted.split("…")
    assert len(head) <= REDACT_MAX_CHARS and head.endswith(" ")
    assert marker == f" [{len(words) - len(head)} more characters cut]"


def test_a_key_cut_in_two_shows_none_of_its_characters() -> None:
    key = "sk-" + "A" * 40
    text = "x" * (REDACT_MAX_CHARS - 10) + " " + key  # 9 characters of it before the cut
    assert "sk-" not in redact(text) and "AAAA" not in redact(text)


def test_lone_surrogates_and_other_scripts_survive_redaction() -> None:
    assert redact("é\ud800 mail a@b.io 日本", ["本"]) == "é\ud800 mail [email] 日[redacted]"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(?<=a)b", "not a regular expression RE2 accepts"),
        (r"(a)\1", "invalid escape sequence: \\1"),
        ("(", "missing )"),
        ("x" * (PATTERN_MAX_CHARS + 1), f"longer than {PATTERN_MAX_CHARS} characters"),
        (r"\pL{300}", "too complex"),
        ("a*", "matches the empty text"),
    ],
)
def test_a_pattern_re2_refuses_is_told_why_in_one_line(pattern: str, problem: str) -> None:
    said = pattern_problem(pattern)
    assert said is not None and problem in said and "\n" not in said


def test_too_many_patterns_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        PolicySpec(redact_patterns=["a"] * (PATTERNS_MAX + 1))
    assert validation_problem(refused.value).startswith("redact_patterns: List should have at")


def test_an_agent_file_with_a_lookbehind_pattern_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text('name: a\npolicy: {redact_patterns: ["(?<=a)b"]}\n')
    with pytest.raises(OverseerError) as refused:
        load_agent_file(path)
    message = str(refused.value)
    assert "\n" not in message and "'(?<=a)b'" in message
    assert "not a regular expression RE2 accepts" in message


def test_a_worker_with_a_refused_log_pattern_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REDACT_ENV, "ACME-\\d{6}\n(a)\\1\n")
    with pytest.raises(OverseerError) as refused:
        configure_logging()
    assert str(refused.value).startswith(f"{REDACT_ENV}: redact pattern '(a)\\\\1' is not")
    # Set after start-up: log lines are still written, with the built-in patterns.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("bob@corp.io",), None)
    assert '"msg": "to [email]"' in JsonLineFormatter().format(record)
