"""The worker's own look at the kill switches, right before a tool runs.

Runs learn of kill switches by signal, but a run started moments ago may not be listed by
visibility yet when the kill-switch workflow broadcasts; this check closes that gap. The
rules are read with a query on the kill-switch workflow, cached for a second per worker.
"""

import time
from datetime import timedelta

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contracts.kill_switch import KILL_SWITCH_WORKFLOW_ID, KillSwitches
from contracts.tools import ToolInvocation

KILLED = "KilledBySwitch"
CACHE_SECONDS = 1.0
QUERY_TIMEOUT = timedelta(seconds=10)
_cached: tuple[float, KillSwitches] | None = None


async def current_switches() -> KillSwitches:
    global _cached
    if _cached and time.monotonic() - _cached[0] < CACHE_SECONDS:
        return _cached[1]
    handle = activity.client().get_workflow_handle(KILL_SWITCH_WORKFLOW_ID)
    switches = KillSwitches(version=0)
    try:
        # Only a running kill-switch workflow holds rules in force (and has workers to
        # answer the query); one never started or ended has none.
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            switches = await handle.query(
                "rules", result_type=KillSwitches, rpc_timeout=QUERY_TIMEOUT
            )
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise  # the activity is retried: a tool never runs unchecked
    _cached = (time.monotonic(), switches)
    return switches


async def stop_if_killed(tool: str, invocation: ToolInvocation) -> None:
    switches = await current_switches()
    rule = switches.stopping(invocation.agent, tool)
    if rule is not None:
        raise ApplicationError(
            f"kill switch {rule.key} stops {tool} (set by {rule.by}: {rule.reason})",
            switches.model_dump(mode="json"),
            type=KILLED,
            non_retryable=True,
        )
