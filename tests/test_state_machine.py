from itertools import pairwise

import pytest

from contracts.states import RunState
from workflows.run.state_machine import TRANSITIONS, IllegalTransition, check_transition


def test_the_happy_path_is_allowed() -> None:
    path = [
        RunState.CREATED,
        RunState.CONTEXT_LOADED,
        RunState.PLANNING,
        RunState.WAITING_FOR_APPROVAL,
        RunState.EXECUTING,
        RunState.PLANNING,
        RunState.COMPLETED,
    ]
    for current, target in pairwise(path):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RunState.CREATED, RunState.EXECUTING),
        (RunState.WAITING_FOR_APPROVAL, RunState.COMPLETED),
        (RunState.COMPLETED, RunState.PLANNING),
        (RunState.CANCELED, RunState.FAILED),
    ],
)
def test_an_illegal_transition_fails_loudly(current: RunState, target: RunState) -> None:
    with pytest.raises(IllegalTransition, match=f"{current} -> {target}"):
        check_transition(current, target)


def test_terminal_states_have_no_way_out_and_others_can_always_end() -> None:
    for state in RunState:
        if state.is_terminal:
            assert TRANSITIONS[state] == frozenset()
        else:
            assert {RunState.FAILED, RunState.CANCELED} <= TRANSITIONS[state]
