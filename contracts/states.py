"""The run's explicit states (the mission's vocabulary)."""

from enum import StrEnum


class RunState(StrEnum):
    CREATED = "created"
    CONTEXT_LOADED = "context_loaded"
    PLANNING = "planning"
    WAITING_FOR_APPROVAL = "waiting_for_approval"
    EXECUTING = "executing"
    BLOCKED = "blocked"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    ROLLED_BACK = "rolled_back"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {RunState.COMPLETED, RunState.FAILED, RunState.CANCELED, RunState.ROLLED_BACK}
)
