import logging
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from contracts.redaction import redact
from contracts.spec import PolicySpec
from tests.helpers import events, make_spec, start
from workers.log_format import JsonLineFormatter


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
