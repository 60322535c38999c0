"""The suite's verdict on a case's pending approval: `auto`, `reject`, or its rules."""

from typing import Any, Literal

from contracts.approvals import ApprovalRequest
from starters.files.eval_suite import ApprovalRule

Verdict = Literal["approve", "reject"]
NO_RULE = "no rule of the suite approves it"


def includes(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether `actual` has every key of `expected` with an equal value (a subset match)."""
    return all(key in actual and actual[key] == value for key, value in expected.items())


def verdict_on(
    approve: Literal["auto", "reject"] | list[ApprovalRule], request: ApprovalRequest
) -> tuple[Verdict, str]:
    """The verdict and its reason: the first rule that matches; none matching rejects."""
    if approve == "auto":
        return "approve", "approve: auto"
    if approve == "reject":
        return "reject", "approve: reject"
    for rule in approve:
        if rule.tool == request.tool and includes(request.args, rule.args):
            return rule.verdict, rule.reason or f"rule for {rule.tool}"
    return "reject", NO_RULE
