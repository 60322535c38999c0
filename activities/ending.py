"""Asking Temporal to cancel the calling workflow (see contracts/ending.py for why)."""

from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from contracts.ending import REQUEST_OWN_CANCEL, OwnCancel


@activity.defn(name=REQUEST_OWN_CANCEL)
async def request_own_cancel(request: OwnCancel) -> None:
    handle = activity.client().get_workflow_handle(request.workflow_id, run_id=request.run_id)
    try:
        await handle.cancel(reason=request.reason)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:  # gone already: nothing left to cancel
            raise
