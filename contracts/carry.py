"""What a run carries into its next segment when it continues as new."""

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef
from contracts.budget import OperatorNote
from contracts.events import RunEvent
from contracts.kill_switch import KillSwitches
from contracts.model_io import Message
from contracts.snapshot import BudgetUsage
from contracts.states import RunState
from contracts.steps import StepRecord


class CarriedState(BaseModel):
    state: RunState
    events: list[RunEvent]
    steps: list[StepRecord]
    budget: BudgetUsage
    conversation: ArtifactRef | None
    unsent: list[Message] = Field(default_factory=list)
    model_version: str
    output_attempts: int = 0
    segment: int  # how many times the run continued as new
    paused: OperatorNote | None = None
    kill_switches: KillSwitches | None = None
