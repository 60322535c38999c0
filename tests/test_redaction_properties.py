"""Properties of redaction over generated text (hypothesis): nothing the built-in patterns
match is left, text without matches is unchanged, the engine is RE2 (linear time: the
benchmark in bench/redaction.py measures the speed), hostile patterns are refused in one
line or, when RE2 takes them, run in linear time."""

import re

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts import redaction
from contracts.errors import validation_problem
from contracts.limits import REDACT_MAX_CHARS
from contracts.redaction import redact
from contracts.spec import PolicySpec

# Text made of the characters the built-in patterns care about, so matches are frequent.
_PIECES = st.sampled_from(
    ["a", "Z", "9", "@", ".", "-", "_", " ", "\n", "é", "sk-", "ghp_", "xoxb-", "AKIA", "Bearer "]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=80).map("".join)
_ENGINE = type(re2.compile("a"))


def _built_in_matches(text: str) -> list[str]:
    # Python's `re` as the oracle (on short texts): what it finds, RE2 must have redacted.
    # Its \s covers \pZ already, which it does not know.
    patterns = [pattern.replace(r"\pZ", "") for pattern, _ in redaction._BUILT_IN]
    return [found for pattern in patterns for found in re.findall(pattern, text)]


@given(_TEXT)
def test_redaction_leaves_nothing_the_built_in_patterns_match(text: str) -> None:
    assert _built_in_matches(redact(text)) == []


@given(st.text(max_size=300))
def test_text_without_matches_is_unchanged(text: str) -> None:
    if not _built_in_matches(text):
        assert redact(text) == text


@given(st.text(min_size=1, max_size=50), st.integers(min_value=1, max_value=5000))
@settings(max_examples=25, deadline=None)
def test_over_long_text_is_cut_with_a_marker(unit: str, extra: int) -> None:
    text = (unit * (REDACT_MAX_CHARS // len(unit) + 1))[: REDACT_MAX_CHARS + extra]
    redacted = redact(text)
    cut = len(text) - len(redacted.rsplit("…", 1)[0])
    assert redacted.endswith(
        f"… [{len(text) - REDACT_MAX_CHARS + _backoff(text)} more characters cut]"
    )
    assert cut >= 0


def _backoff(text: str) -> int:
    # How far the cut moves back to a blank (see redaction._cut).
    head = text[:REDACT_MAX_CHARS]
    blank = max(head.rfind(" ", -256), head.rfind("\n", -256))
    return 0 if blank < 0 else REDACT_MAX_CHARS - blank - 1


def test_the_engine_is_re2_for_built_in_and_policy_patterns() -> None:
    # Fails if someone swaps back to Python's backtracking `re`.
    assert all(type(compiled) is _ENGINE for compiled, _ in redaction._PATTERNS)
    assert type(redaction._compiled("(a+)+$")) is _ENGINE
    assert type(redaction._combined(("(a+)+$", "x"))) is _ENGINE


@pytest.mark.parametrize(
    ("pattern", "text"),
    [("(a+)+$", "a" * 100_000 + "!"), ("(x+x+)+y", "x" * 100_000), ("(a|aa)+b", "a" * 100_000)],
)
def test_patterns_exponential_for_backtracking_run_on_100k_characters(
    pattern: str, text: str
) -> None:
    assert PolicySpec(redact_patterns=[pattern]).redact_patterns == [pattern]
    assert type(redaction._compiled(pattern)) is _ENGINE
    # Straight through the engine, uncapped: RE2 has no backtracking to explode.
    data = text.encode()
    assert redaction.substitute(redaction._compiled(pattern), b"[r]", data) == data
    assert redact(text, [pattern]).endswith("more characters cut]")


_UNSUPPORTED = st.sampled_from(
    [r"(a)\1", r"(?P<x>a)(?P=x)", "(?=a)b", "(?!a)b", "(?<=a)b", "(?<!a)b", r"a++", r"(?>a)"]
)


@given(_UNSUPPORTED, st.text(alphabet="abc", max_size=5))
@settings(deadline=None)
def test_backreferences_and_lookarounds_are_refused_in_one_line(core: str, tail: str) -> None:
    pattern = core + tail
    with pytest.raises(ValidationError) as refused:
        PolicySpec(redact_patterns=["fine", pattern])
    problem = validation_problem(refused.value)
    assert "\n" not in problem
    assert problem.startswith(f"redact_patterns: redact pattern {pattern!r} is not a regular")


@given(st.sampled_from([r"\b", "é", r"\Cx", "(?i)S", r"\d+", "^a|b$"]), st.text(max_size=60))
def test_any_accepted_pattern_gives_text_back_whatever_the_characters(
    pattern: str, text: str
) -> None:
    # Byte-level matches (\C), empty matches (\b) and lone surrogates never raise.
    assert isinstance(redact(text, [pattern]), str)
