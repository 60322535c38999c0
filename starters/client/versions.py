"""The versions of an agent that ran, with how their runs went: from visibility alone."""

from dataclasses import dataclass, field

from temporalio.client import Client

from contracts import WORKFLOW_NAME
from contracts import search_attributes as sa
from starters.client.listing import quoted

# Runs looked at per agent, newest first: enough for rates, bounded for a listing.
RUNS_LOOKED_AT = 5000


@dataclass
class VersionFigures:
    version: str
    runs: int = 0
    running: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    steps: int = 0
    first_seen: str = ""
    last_seen: str = ""

    @property
    def ended(self) -> int:
        return self.runs - self.running

    def rate(self, outcome: str) -> float:
        return self.outcomes.get(outcome, 0) / self.ended if self.ended else 0.0

    @property
    def mean_cost_usd(self) -> float:
        return self.cost_usd / self.ended if self.ended else 0.0

    @property
    def mean_steps(self) -> float:
        return self.steps / self.ended if self.ended else 0.0


async def agent_versions(client: Client, agent: str) -> list[VersionFigures]:
    """Each version of `agent` seen, newest first by its last run."""
    query = (
        f'WorkflowType = "{WORKFLOW_NAME}" AND {sa.AGENT.name} = {quoted(agent)} '
        'AND ExecutionStatus != "ContinuedAsNew"'
    )
    figures: dict[str, VersionFigures] = {}
    async for execution in client.list_workflows(query, limit=RUNS_LOOKED_AT):
        attributes = execution.typed_search_attributes
        version = attributes.get(sa.AGENT_VERSION) or "(not known yet)"
        row = figures.setdefault(version, VersionFigures(version))
        row.runs += 1
        started = execution.start_time.strftime("%Y-%m-%d %H:%M")
        row.first_seen = min(row.first_seen or started, started)
        row.last_seen = max(row.last_seen, started)
        outcome = attributes.get(sa.OUTCOME)
        if outcome is None:
            row.running += 1
            continue
        row.outcomes[outcome] = row.outcomes.get(outcome, 0) + 1
        row.cost_usd += attributes.get(sa.COST_USD) or 0.0
        row.steps += attributes.get(sa.STEPS) or 0
    return sorted(figures.values(), key=lambda row: row.last_seen, reverse=True)
