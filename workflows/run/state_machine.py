"""The run's transition table, in pure code. An illegal transition is a bug: it fails loudly."""

from contracts.states import RunState

S = RunState

# Every non-terminal state may also end in failed, canceled or rolled_back (see below).
_FORWARD: dict[RunState, frozenset[RunState]] = {
    S.CREATED: frozenset({S.CONTEXT_LOADED}),
    S.CONTEXT_LOADED: frozenset({S.PLANNING}),
    S.PLANNING: frozenset({S.EXECUTING, S.WAITING_FOR_APPROVAL, S.COMPLETED, S.BLOCKED}),
    S.WAITING_FOR_APPROVAL: frozenset({S.EXECUTING, S.PLANNING, S.BLOCKED}),
    S.EXECUTING: frozenset({S.PLANNING, S.WAITING_FOR_APPROVAL, S.BLOCKED}),
    S.BLOCKED: frozenset({S.PLANNING, S.WAITING_FOR_APPROVAL, S.EXECUTING}),
}
_ENDINGS = frozenset({S.FAILED, S.CANCELED, S.ROLLED_BACK})

TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    state: _FORWARD.get(state, frozenset()) | (frozenset() if state.is_terminal else _ENDINGS)
    for state in RunState
}


class IllegalTransition(RuntimeError):
    """A transition the table does not allow: a bug in the workflow, never user input."""


def check_transition(current: RunState, target: RunState) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"illegal run state transition {current} -> {target}")
