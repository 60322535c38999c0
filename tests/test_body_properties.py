"""Property tests of the update and signal body validators: whatever JSON a Temporal client
sends, a body parses into its model or is refused with one bounded line, and an accepted
body holds the contract's guarantees."""

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts.approvals import CancelRequest, Decision
from contracts.budget import EXTENSIBLE, BudgetExtension, OperatorNote
from contracts.handoff import HumanInput
from contracts.identity import actor_id_problem
from contracts.kill_switch import KillRequest
from contracts.limits import REASON_MAX_CHARS
from contracts.queue import LimitsChange, Reprioritize
from workflows.common.bodies import BodyRefused, parse_body

BODIES: list[type[BaseModel]] = [
    Decision,
    CancelRequest,
    OperatorNote,
    BudgetExtension,
    HumanInput,
    KillRequest,
    LimitsChange,
    Reprioritize,
]
FIELDS = [
    "action_id",
    "args_sha256",
    "approver",
    "reason",
    "edit",
    "edited_args",
    "by",
    "text",
    "scope",
    "name",
    "run_id",
    "priority",
    "overall",
    "per_agent",
    *EXTENSIBLE,
]
# JSON as a client can send it: every JSON type, hostile strings and numbers included.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
    | st.sampled_from(["", "   ", "alice", "a\x00b", "\x1b[2J", "tool", "all", "0" * 64])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)


def _refusal_or_model(model: type[BaseModel], body: Any) -> BaseModel | str:
    try:
        return parse_body(model, body)
    except BodyRefused as refused:
        return str(refused)


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(BODIES), body=bodies)
def test_any_json_is_parsed_or_refused_in_one_bounded_line(
    model: type[BaseModel], body: Any
) -> None:
    outcome = _refusal_or_model(model, body)
    if isinstance(outcome, str):
        assert outcome and "\n" not in outcome and len(outcome) <= 300
        assert outcome.isprintable()
        return
    assert isinstance(outcome, model)
    # What is accepted holds the guarantees the workflow relies on.
    for field in ("approver", "by"):
        value = getattr(outcome, field, None)
        if value is not None:
            assert actor_id_problem(value) is None
    reason = getattr(outcome, "reason", "")
    assert len(reason) <= REASON_MAX_CHARS
    for field in EXTENSIBLE:
        amount = getattr(outcome, field, 0)
        assert not isinstance(amount, bool) and math.isfinite(amount) and amount >= 0


@settings(max_examples=200, deadline=None)
@given(approver=st.text(max_size=200))
def test_an_approver_is_accepted_exactly_when_the_grammar_says_so(approver: str) -> None:
    body = {"action_id": "2.1", "args_sha256": "0" * 64, "approver": approver}
    accepted = isinstance(_refusal_or_model(Decision, body), Decision)
    assert accepted == (actor_id_problem(approver) is None)
