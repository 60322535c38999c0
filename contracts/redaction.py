"""Redaction of emails and API-key-like tokens in text meant for people (logs, events,
the Web UI's details), plus any patterns a run's policy adds."""

import functools
import re
from collections.abc import Sequence

_PATTERNS = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    # Provider keys (sk-..., sk-ant-..., sk-proj-...), GitHub and Slack tokens, AWS key ids.
    (re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"), "[secret]"),
    (re.compile(r"\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}"), "[secret]"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "[secret]"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "[secret]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*"), "Bearer [secret]"),
)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def redact(text: str, extra: Sequence[str] = ()) -> str:
    """The text with built-in and `extra` patterns (regular expressions) replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for configured in extra:
        text = _compiled(configured).sub("[redacted]", text)
    return text
