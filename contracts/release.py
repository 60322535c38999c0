"""Releases: an agent's stable and candidate versions, the share of new runs the candidate
gets, and the rule that halts it (a ReleaseWorkflow per agent, durable like the kill
switches and the run queue; no side database)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.identity import ActorId
from contracts.schedules import Outcome
from contracts.strict import Name, RequiredReason, StrictBody

RELEASE_WORKFLOW = "ReleaseWorkflow"
Role = Literal["stable", "candidate"]
# Runs per role the halt rule looks at, at most.
WINDOW_MAX = 1000


def release_workflow_id(agent: str) -> str:
    return f"overseer-release-{agent}"


class ReleaseRole(StrictBody):
    """Set in the RunSpec of a run started under a release: which side it ran on."""

    release_id: Name
    role: Role
    # The candidate this run was started on (its label in the release), if a candidate.
    candidate: str = Field(default="", max_length=64)


class CandidateRequest(StrictBody):
    """`overseer release AGENT --candidate FILE --percent P`: the body of `set_candidate`."""

    # The candidate's RunSpec as its agent file resolves (goal and requester are per run):
    # JSON, so any starter can start candidate runs without the file.
    spec_json: str = Field(max_length=300_000)
    version: Name
    percent: float = Field(ge=0, le=100)
    # The halt rule: over the last `window` runs of each side, the candidate's rate of
    # unsuccessful runs (failed, rejected, budget exhausted) may exceed stable's by `margin`.
    window: int = Field(default=20, ge=1, le=WINDOW_MAX)
    min_runs: int = Field(default=5, ge=1, le=WINDOW_MAX)
    margin: float = Field(default=0.2, ge=0, le=1)
    by: ActorId
    reason: RequiredReason


class ReleaseDecision(StrictBody):
    """`--promote` or `--rollback`: who and why."""

    by: ActorId
    reason: RequiredReason


class RunReport(StrictBody):
    """Signalled by a run started under the release when it ends."""

    run_id: Name
    role: Role
    candidate: str = Field(default="", max_length=64)
    version: str = Field(max_length=64)
    outcome: Outcome


class ReleaseNote(BaseModel):
    at: datetime
    text: str


class SideFigures(BaseModel):
    runs: int = 0
    unsuccessful: int = 0

    @property
    def rate(self) -> float:
        return self.unsuccessful / self.runs if self.runs else 0.0


class ReleaseView(BaseModel):
    agent: str
    status: Literal["none", "canary", "halted", "promoted", "rolled_back"] = "none"
    stable_version: str = ""
    candidate_version: str = ""
    candidate_spec_json: str = ""
    percent: float = 0.0
    window: int = 20
    min_runs: int = 5
    margin: float = 0.2
    stable: SideFigures = Field(default_factory=SideFigures)
    candidate: SideFigures = Field(default_factory=SideFigures)
    # The last outcomes of each side, newest last (bounded by the window).
    stable_outcomes: list[str] = Field(default_factory=list)
    candidate_outcomes: list[str] = Field(default_factory=list)
    notes: list[ReleaseNote] = Field(default_factory=list)
