"""Tell every running agent run the kill switches now in force (a batch signal by a
visibility query), so a killed tool stops within seconds across the fleet."""

import asyncio

from temporalio import activity

from contracts import WORKFLOW_NAME
from contracts.kill_switch import KillSwitches

RUNNING_RUNS = f"WorkflowType = '{WORKFLOW_NAME}' AND ExecutionStatus = 'Running'"
BATCH = 50


@activity.defn(name="kill_switches.broadcast")
async def broadcast_kill_switches(switches: KillSwitches) -> int:
    """Signal `kill_switches` to every running run; returns how many were told."""
    client = activity.client()
    run_ids = [execution.id async for execution in client.list_workflows(RUNNING_RUNS)]
    for start in range(0, len(run_ids), BATCH):
        batch = run_ids[start : start + BATCH]
        await asyncio.gather(
            *(
                client.get_workflow_handle(run_id).signal("kill_switches", switches)
                for run_id in batch
            ),
            return_exceptions=True,  # a run that ended meanwhile needs no telling
        )
        activity.heartbeat(start)
    activity.logger.info("kill switches v%d sent to %d runs", switches.version, len(run_ids))
    return len(run_ids)
