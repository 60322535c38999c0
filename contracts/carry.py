"""What a run carries into its next segment when it continues as new."""

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef
from contracts.budget import OperatorNote
from contracts.events import RunEvent
from contracts.kill_switch import KillSwitches
from contracts.model_io import Message
from contracts.run_log import ArchivedPage
from contracts.snapshot import BudgetUsage
from contracts.states import RunState
from contracts.steps import StepRecord
from contracts.tools import ToolDeclaration


class CarriedState(BaseModel):
    state: RunState
    # Earlier segments' events and steps are in the artifact store (`archived`); these are
    # what was not archived (all of them, if archiving failed) and the completed
    # irreversible steps a rollback would still have to undo.
    events: list[RunEvent]
    steps: list[StepRecord]
    archived: list[ArchivedPage] = Field(default_factory=list)
    last_seq: int = 0  # the last event's sequence number, archived or not
    steps_recorded: int = 0  # how many steps the run has begun, archived or not
    steps_archived: int = 0  # steps 1 to this are in `archived`
    budget: BudgetUsage
    conversation: ArtifactRef | None
    unsent: list[Message] = Field(default_factory=list)
    model_version: str
    output_attempts: int = 0
    segment: int  # how many times the run continued as new
    paused: OperatorNote | None = None
    kill_switches: KillSwitches | None = None
    # The tools the run declared at its start (pinned in its first segment's history).
    tools: list[ToolDeclaration] = Field(default_factory=list)
    # The live-progress stream's next offset (workflows/run/live.py); its items are not carried.
    stream_offset: int = 0
