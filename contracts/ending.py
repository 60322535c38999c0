"""How a run or a pipeline ends in Temporal's own terms, so its Temporal status (the Web UI
list, `overseer ls`) agrees with Overseer's end state.

Temporal closes a workflow as Canceled only after a cancel request reached it; a cancel
asked of Overseer (the `cancel` update or signal) is not one. So the workflow asks Temporal
to cancel it, through an activity (the server refuses a workflow's cancel request aimed at
itself), once it has wound down.
"""

from pydantic import BaseModel

from contracts.snapshot import RunResult

REQUEST_OWN_CANCEL = "request_own_cancel"
CHILD_ENDED_SIGNAL = "child_ended"


class OwnCancel(BaseModel):
    """The activity's input: which workflow run asks to be canceled, and why."""

    workflow_id: str
    run_id: str
    reason: str


class ChildEnded(BaseModel):
    """Signalled by a pipeline's child run just before it ends canceled or failed: its
    Temporal status then carries no result, so the pipeline learns the end from this."""

    run_id: str
    result: RunResult
