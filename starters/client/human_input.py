"""`overseer reply`: answer a run that handed its task to a human (it waits in `blocked`)."""

from datetime import timedelta

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError

from contracts.errors import OverseerError
from contracts.handoff import HumanInput

TIMEOUT = timedelta(seconds=10)


async def reply(client: Client, run_id: str, answer: HumanInput) -> int:
    """Send the reply (the `human_input` update); returns the recorded event's number."""
    try:
        seq: int = await client.get_workflow_handle(run_id).execute_update(
            "human_input", answer, result_type=int, rpc_timeout=TIMEOUT
        )
        return seq
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        raise OverseerError(
            f"reply refused: {cause.message if isinstance(cause, FailureError) else error}"
        ) from None
    except RPCError as error:
        raise OverseerError(f"run {run_id}: {error.message}") from None
