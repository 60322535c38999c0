import logging

from contracts.redaction import redact
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
