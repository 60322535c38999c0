"""Finding runs and pipelines through Temporal's visibility (Overseer's search attributes)."""

from dataclasses import dataclass
from datetime import datetime

from temporalio.client import Client

from contracts import WORKFLOW_NAME
from contracts import search_attributes as sa
from contracts.pipeline import PIPELINE_WORKFLOW_NAME

# Runs and pipelines (whose agent is `pipeline:<name>`) are listed together.
RUNS_AND_PIPELINES = f'WorkflowType IN ("{WORKFLOW_NAME}", "{PIPELINE_WORKFLOW_NAME}")'
WAITING_FOR_APPROVAL = (
    f'WorkflowType = "{WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
    f"AND {sa.PENDING_APPROVAL.name} = true"
)


@dataclass(frozen=True)
class Listed:
    """One run or pipeline as visibility knows it (no query to the workflow)."""

    run_id: str
    state: str  # Overseer's listed state, "?" before the first publish
    agent: str
    started: datetime
    temporal_status: str  # Temporal's own: running, completed, failed, canceled, ...
    parent_id: str | None  # the pipeline of a pipeline step's run


async def list_runs(
    client: Client,
    *,
    state: str | None = None,
    agent: str | None = None,
    schedule: str | None = None,
    version: str | None = None,
    limit: int | None = None,
) -> list[Listed]:
    """Runs and pipelines, newest first, optionally of one listed state, one agent and one
    schedule."""
    query = RUNS_AND_PIPELINES
    if state:
        query += f" AND {sa.RUN_STATE.name} = {quoted(state)}"
    if agent:
        query += f" AND {sa.AGENT.name} = {quoted(agent)}"
    if schedule:
        query += f" AND {sa.SCHEDULE.name} = {quoted(schedule)}"
    if version:
        query += f" AND {sa.AGENT_VERSION.name} = {quoted(version)}"
    return await _listed(client, query, limit)


async def waiting_for_approval(client: Client, agent: str | None = None) -> list[Listed]:
    """Running runs with at least one pending approval."""
    query = WAITING_FOR_APPROVAL
    if agent:
        query += f" AND {sa.AGENT.name} = {quoted(agent)}"
    return await _listed(client, query, None)


def quoted(value: str) -> str:
    """A string literal of a visibility query: what a person typed stays a value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _listed(client: Client, query: str, limit: int | None) -> list[Listed]:
    return _one_per_run(
        [
            Listed(
                run_id=execution.id,
                state=execution.typed_search_attributes.get(sa.RUN_STATE) or "?",
                agent=execution.typed_search_attributes.get(sa.AGENT) or "?",
                started=execution.start_time,
                temporal_status=execution.status.name.lower() if execution.status else "?",
                parent_id=execution.parent_id,
            )
            async for execution in client.list_workflows(query, limit=limit)
        ]
    )


def _one_per_run(listed: list[Listed]) -> list[Listed]:
    """Each run once. A reset (or a continue-as-new) leaves older executions under the same
    run id; the run is its running execution, else its newest one."""
    chosen: dict[str, Listed] = {}
    for item in listed:
        current = chosen.get(item.run_id)
        if current is None or _rank(item) > _rank(current):
            chosen[item.run_id] = item
    return list(chosen.values())


def _rank(item: Listed) -> tuple[bool, datetime]:
    return item.temporal_status == "running", item.started
