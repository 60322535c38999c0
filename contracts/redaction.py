"""Redaction of emails and API-key-like tokens in text meant for people (logs, events,
the Web UI's details), plus any patterns a run's policy adds.

Redaction runs inside workflow tasks, on text people and models control, so its cost must
not depend on what that text or a policy pattern looks like. Python's backtracking `re`
took 51 s for 64 KB against the email pattern alone, and exponential time for a policy
pattern such as `(a+)+$`. RE2 (the `google-re2` wheel) matches in time linear in the text
whatever the pattern, and refuses what it cannot do that way (backreferences,
lookarounds), which is how a pattern is refused here. Each field is also cut to
REDACT_MAX_CHARS first, so one call costs a bounded amount whatever the caller passes.
"""

import functools
from collections.abc import Sequence
from typing import Any

import re2

from contracts.limits import REDACT_MAX_CHARS

# Bounds on a run's (or a worker's) own patterns, checked where they enter.
PATTERN_MAX_CHARS = 500
PATTERNS_MAX = 50
# RE2's compiled size of a pattern, and of all of a policy's patterns together (they run
# as one alternation). When RE2's DFA runs out of memory it falls back to its NFA, whose
# cost per character grows with this size: bounding it bounds that cost.
PROGRAM_MAX_SIZE = 2_000
PROGRAMS_MAX_SIZE = 10_000
# A cut is moved back to the last blank within this many characters, so the part of a
# token kept in front of the cut (a key's first characters) is not shown.
_CUT_BACKOFF_CHARS = 256


def _options() -> Any:
    options = re2.Options()
    # A refused pattern is reported once, by pattern_problem, not as an absl line on stderr.
    options.log_errors = False
    # Only whole matches are replaced: no submatch positions to compute.
    options.never_capture = True
    return options


_OPTIONS = _options()
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED

_BUILT_IN = (
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "[email]"),
    # Provider keys (sk-..., sk-ant-..., sk-proj-...), GitHub and Slack tokens, AWS key ids.
    (r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}", "[secret]"),
    (r"\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}", "[secret]"),
    (r"\bxox[abprs]-[A-Za-z0-9-]{10,}", "[secret]"),
    (r"\bAKIA[0-9A-Z]{16}\b", "[secret]"),
    # RE2's \s is ASCII only: these are the blanks Python's `re` knew (str.isspace).
    (r"(?i)\bbearer[\s\pZ\x0b\x1c-\x1f\x85]+[A-Za-z0-9._~+/-]{16,}=*", "Bearer [secret]"),
)
_PATTERNS = tuple((re2.compile(pattern, _OPTIONS), to) for pattern, to in _BUILT_IN)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a redaction pattern (one line), or None when it can."""
    if len(pattern) > PATTERN_MAX_CHARS:
        return f"is longer than {PATTERN_MAX_CHARS} characters"
    try:
        compiled = _compiled(pattern)
    except re2.error as error:
        reason = error.args[0] if error.args else "refused"
        reason = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        return (
            f"is not a regular expression RE2 accepts (no backreferences or lookarounds): {reason}"
        )
    if compiled.programsize > PROGRAM_MAX_SIZE:
        return f"is too complex (RE2 program size {compiled.programsize} > {PROGRAM_MAX_SIZE})"
    if compiled.fullmatch(""):
        return "matches the empty text"
    return None


def patterns_problem(patterns: Sequence[str]) -> str | None:
    """Why `patterns` cannot be a policy's redaction patterns (one line), or None."""
    if len(patterns) > PATTERNS_MAX:
        return f"{len(patterns)} redact patterns, more than {PATTERNS_MAX}"
    for pattern in patterns:
        if problem := pattern_problem(pattern):
            return f"redact pattern {pattern!r} {problem}"
    if patterns and (size := _combined(tuple(patterns)).programsize) > PROGRAMS_MAX_SIZE:
        return (
            f"redact patterns too complex together (RE2 program size {size} > {PROGRAMS_MAX_SIZE})"
        )
    return None


def redact(text: str, extra: Sequence[str] = ()) -> str:
    """The text with built-in and `extra` patterns (RE2 regular expressions) replaced.

    Text longer than REDACT_MAX_CHARS is cut first, with a marker saying how much was cut.
    `extra` patterns are expected to have passed patterns_problem (one that RE2 refuses
    raises re2.error); they run as one alternation, so what one replaces is never looked
    at by another (a pattern matching a part of "[redacted]" cannot make the text grow).
    """
    head, marker = _cut(text)
    data = head.encode("utf-8", "surrogatepass")  # lone surrogates (from JSON) survive
    for compiled, replacement in _PATTERNS:
        data = substitute(compiled, replacement.encode(), data)
    if extra:
        data = substitute(_combined(tuple(extra)), b"[redacted]", data)
    return _decode(data) + marker


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


@functools.lru_cache(maxsize=256)
def _combined(patterns: tuple[str, ...]) -> Any:
    # Flags such as (?i) stay inside their group, as in Perl.
    return _compiled("|".join(f"(?:{pattern})" for pattern in patterns))


def _cut(text: str) -> tuple[str, str]:
    if len(text) <= REDACT_MAX_CHARS:
        return text, ""
    head = text[:REDACT_MAX_CHARS]
    blank = max(head.rfind(" ", -_CUT_BACKOFF_CHARS), head.rfind("\n", -_CUT_BACKOFF_CHARS))
    if blank >= 0:
        head = head[: blank + 1]
    return head, f"… [{len(text) - len(head)} more characters cut]"


def substitute(compiled: Any, replacement: bytes, data: bytes) -> bytes:
    """`data` (UTF-8) with every match of `compiled` replaced: the engine under `redact`,
    uncapped. Works on bytes offsets, which RE2 gives, instead of the `re2` module's `sub`,
    which maps each match back to str offsets and costs about five times more per match."""
    match = compiled._regexp.Match  # the C++ RE2 object of the `re2` module's wrapper
    kept: list[bytes] = []  # what lies between matches; the replacement joins them
    keep = kept.append
    size = len(data)
    pos = since = 0
    while pos <= size:
        ((start, end),) = match(_UNANCHORED, data, pos, size)
        if start < 0:
            break
        keep(data[since:start])
        since = pos = end
        if end == start:  # an empty match: step over one whole character
            pos += 1
            while pos < size and 0x80 <= data[pos] < 0xC0:
                pos += 1
    keep(data[since:])
    return replacement.join(kept)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # a pattern such as `\C` matched part of a character
        return data.decode("utf-8", "replace")
