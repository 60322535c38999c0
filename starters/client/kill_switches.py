"""Client-side access to the fleet-wide kill switches (the KillSwitchWorkflow). Errors become
OverseerError."""

from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from contracts.errors import OverseerError
from contracts.kill_switch import (
    KILL_SWITCH_WORKFLOW,
    KILL_SWITCH_WORKFLOW_ID,
    KillRequest,
    KillSwitches,
)

QUERY_TIMEOUT = timedelta(seconds=10)


def _refusal(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, FailureError) else str(error)


class KillSwitchClient:
    """The kill-switch workflow, as the CLI sees it."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(KILL_SWITCH_WORKFLOW_ID)

    async def rules(self) -> KillSwitches:
        """The rules in force; none if the workflow was never started or has ended."""
        try:
            # A closed one holds no rules in force, and may have no worker left to answer.
            described = await self._handle.describe(rpc_timeout=QUERY_TIMEOUT)
            if described.status != WorkflowExecutionStatus.RUNNING:
                return KillSwitches(version=0)
            switches: KillSwitches = await self._handle.query(
                "rules", result_type=KillSwitches, rpc_timeout=QUERY_TIMEOUT
            )
            return switches
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return KillSwitches(version=0)
            raise _problem(error) from None

    async def kill(self, request: KillRequest, task_queue: str) -> KillSwitches:
        """Turn a kill switch on; starts the workflow (on the workers' task queue) if absent."""
        try:
            handle = await self._client.start_workflow(
                KILL_SWITCH_WORKFLOW,
                id=KILL_SWITCH_WORKFLOW_ID,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary="Overseer kill switches: tools and agents stopped fleet-wide",
            )
        except RPCError as error:
            raise _problem(error) from None
        return await self._update(handle, "kill", request)

    async def unkill(self, request: KillRequest) -> KillSwitches:
        """Turn a kill switch off. Never starts the workflow: without it nothing is on."""
        if not (await self.rules()).rules:
            raise OverseerError(f"unkill refused: no kill switch {request.key} is on (on: none)")
        return await self._update(self._handle, "unkill", request)

    async def _update(
        self, handle: WorkflowHandle[Any, Any], update: str, request: KillRequest
    ) -> KillSwitches:
        try:
            switches: KillSwitches = await handle.execute_update(
                update, request, result_type=KillSwitches, rpc_timeout=QUERY_TIMEOUT
            )
            return switches
        except WorkflowUpdateFailedError as error:
            raise OverseerError(f"{update} refused: {_refusal(error)}") from None
        except RPCError as error:
            raise _problem(error) from None


def _problem(error: RPCError) -> OverseerError:
    if error.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return OverseerError(
            f"the kill switches ({KILL_SWITCH_WORKFLOW_ID}) did not answer in time: "
            "is `overseer worker` running?"
        )
    return OverseerError(f"kill switches ({KILL_SWITCH_WORKFLOW_ID}): {error.message}")
