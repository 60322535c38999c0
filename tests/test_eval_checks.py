"""A case's expectations against what its run did, and the suite's approval rules."""

from datetime import UTC, datetime

from contracts.approvals import ApprovalRequest
from starters.client.evaluation.approvals import NO_RULE, verdict_on
from starters.client.evaluation.checks import checks
from starters.client.evaluation.observation import Observation, ToolUse
from starters.files.eval_suite import ApprovalRule, Expectations

SEEN = Observation(
    run_id="r-1",
    state="completed",
    final_answer='{"open_items": 3}',
    tools_called=[ToolUse(tool="write_file", args={"path": "out/a.md", "content": "x"})],
    approvals_requested=[ToolUse(tool="write_file", args={"path": "out/a.md"})],
    steps=3,
    tokens=120,
    cost_usd=0.002,
    wall_seconds=1.5,
)


def unmet(**expect: object) -> list[tuple[str, str]]:
    found = checks(Expectations.model_validate(expect), SEEN)
    return [(expected, observed) for expected, met, observed in found if not met]


def test_met_expectations_leave_nothing_unmet() -> None:
    assert (
        unmet(
            answer={
                "contains": "open_items",
                "regex": r'"open_items":\s*\d+',
                "equals": '{"open_items": 3}',
                "json_schema": {"type": "object", "required": ["open_items"]},
            },
            tools_called=[{"tool": "write_file", "args": {"path": "out/a.md"}}],
            tools_not_called=["delete_file", {"tool": "write_file", "args": {"path": "b"}}],
            approvals_requested=["write_file"],
            state="completed",
            max_steps=3,
            max_tokens=120,
            max_cost_usd=0.01,
            max_wall_seconds=2,
        )
        == []
    )


def test_each_unmet_expectation_says_what_the_run_did() -> None:
    assert unmet(
        answer={"not_contains": "open", "json_schema": {"type": "array"}},
        tools_called=[{"tool": "write_file", "args": {"path": "b"}}],
        approvals_requested=[],
        state="failed",
        max_steps=2,
        max_cost_usd=0.001,
    ) == [
        ("answer does not contain 'open'", repr('{"open_items": 3}')),
        ("answer fits the JSON schema", "(top level): {'open_items': 3} is not of type 'array'"),
        ("calls write_file(path='b')", "called write_file"),
        ("approvals requested: none", "requested write_file"),
        ("ends failed", "ended completed"),
        ("steps <= 2", "3 steps"),
        ("cost <= $0.001", "$0.0020"),
    ]


def test_a_run_not_followed_to_its_end_fails_the_case() -> None:
    stuck = SEEN.model_copy(update={"problem": "did not end within 5m"})
    [(expected, met, observed)] = checks(Expectations(), stuck)
    assert (expected, met, observed) == ("the run ends", False, "did not end within 5m")


def request(tool: str, **args: object) -> ApprovalRequest:
    return ApprovalRequest(
        action_id="r-1/2.1",
        call_id="c",
        step=2,
        tool=tool,
        args=dict(args),
        args_json="{}",
        args_sha256="0" * 64,
        approvers=[],
        requested_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_approval_rules_first_match_wins_and_no_match_rejects() -> None:
    rules = [
        ApprovalRule(tool="write_file", args={"path": "out/a.md"}, verdict="approve"),
        ApprovalRule(tool="write_file", verdict="reject", reason="only out/a.md"),
    ]
    assert verdict_on(rules, request("write_file", path="out/a.md", content="x"))[0] == "approve"
    assert verdict_on(rules, request("write_file", path="b")) == ("reject", "only out/a.md")
    assert verdict_on(rules, request("delete_file", path="b")) == ("reject", NO_RULE)
    assert verdict_on("auto", request("delete_file"))[0] == "approve"
    assert verdict_on("reject", request("write_file"))[0] == "reject"
