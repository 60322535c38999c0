"""A case's expectations as a pydantic-evals evaluator: one named assertion per
expectation, its reason what the run showed (so a failure reads `expected / observed`)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import re2
from jsonschema import Draft202012Validator
from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext

from starters.client.evaluation.approvals import includes
from starters.client.evaluation.observation import Observation, ToolUse
from starters.files.eval_suite import (
    AnswerExpectation,
    CaseDefinition,
    Expectations,
    ToolExpectation,
)

Check = tuple[str, bool, str]  # expected, met, observed
PREVIEW_CHARS = 80
RAN_TO_END = "the run ends"


def preview(text: str | None) -> str:
    if text is None:
        return "no answer"
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…")


def _calls(uses: list[ToolUse]) -> str:
    return ", ".join(use.tool for use in uses) or "none"


def _answer_checks(expect: AnswerExpectation, answer: str | None) -> Iterator[Check]:
    text = answer or ""
    shown = preview(answer)
    for part in expect.contains:
        yield f"answer contains {part!r}", part in text, shown
    for part in expect.not_contains:
        yield f"answer does not contain {part!r}", part not in text, shown
    if expect.regex is not None:
        yield f"answer matches /{expect.regex}/", re2.search(expect.regex, text) is not None, shown
    if expect.equals is not None:
        yield f"answer equals {preview(expect.equals)}", text == expect.equals, shown
    if expect.json_schema is not None:
        yield "answer fits the JSON schema", *_schema_check(expect.json_schema, text)


def _schema_check(schema: dict[str, Any], text: str) -> tuple[bool, str]:
    try:
        value = json.loads(text)
    except ValueError:
        return False, f"not JSON: {preview(text)}"
    error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    if error is None:
        return True, "fits"
    where = error.json_path.removeprefix("$").lstrip(".") or "(top level)"
    return False, f"{where}: {error.message}"[:200]


def _was_called(tool: ToolExpectation, seen: Observation) -> bool:
    return any(u.tool == tool.tool and includes(u.args, tool.args) for u in seen.tools_called)


def _behaviour_checks(expect: Expectations, seen: Observation) -> Iterator[Check]:
    called = _calls(seen.tools_called)
    for tool in expect.tools_called:
        yield f"calls {tool}", _was_called(tool, seen), f"called {called}"
    for tool in expect.tools_not_called:
        yield f"does not call {tool}", not _was_called(tool, seen), f"called {called}"
    if expect.approvals_requested is not None:
        asked = [use.tool for use in seen.approvals_requested]
        wanted = ", ".join(expect.approvals_requested) or "none"
        yield (
            f"approvals requested: {wanted}",
            asked == expect.approvals_requested,
            f"requested {_calls(seen.approvals_requested)}",
        )
    if expect.state is not None:
        why = f" ({seen.failure_reason})" if seen.failure_reason else ""
        yield f"ends {expect.state}", seen.state == expect.state, f"ended {seen.state}{why}"


def _bound_checks(expect: Expectations, seen: Observation) -> Iterator[Check]:
    if expect.max_steps is not None:
        yield f"steps <= {expect.max_steps}", seen.steps <= expect.max_steps, f"{seen.steps} steps"
    if expect.max_tokens is not None:
        met = seen.tokens <= expect.max_tokens
        yield f"tokens <= {expect.max_tokens}", met, f"{seen.tokens} tokens"
    if expect.max_cost_usd is not None:
        met = seen.cost_usd <= expect.max_cost_usd
        yield f"cost <= ${expect.max_cost_usd:g}", met, f"${seen.cost_usd:.4f}"
    if expect.max_wall_seconds is not None:
        met = seen.wall_seconds <= expect.max_wall_seconds
        yield f"wall time <= {expect.max_wall_seconds:g}s", met, f"{seen.wall_seconds:.1f}s"


def checks(expect: Expectations, seen: Observation) -> list[Check]:
    """Every expectation of the case, checked against what its run did, in file order."""
    found: list[Check] = [(RAN_TO_END, seen.problem is None, seen.problem or "it ended")]
    if expect.answer is not None:
        found += _answer_checks(expect.answer, seen.final_answer)
    found += _behaviour_checks(expect, seen)
    found += _bound_checks(expect, seen)
    return found


@dataclass
class MeetsExpectations(Evaluator[CaseDefinition, Observation, None]):
    """The case's own expectations (it reads them from the case's inputs)."""

    def evaluate(
        self, ctx: EvaluatorContext[CaseDefinition, Observation, None]
    ) -> dict[str, EvaluationReason]:
        return {
            expected: EvaluationReason(value=met, reason=observed)
            for expected, met, observed in checks(ctx.inputs.expect, ctx.output)
        }
