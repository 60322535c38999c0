"""Handoffs: an agent hands its task to a human (and waits) or to another agent (and ends)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from contracts.identity import ActorId
from contracts.limits import HUMAN_INPUT_MAX_CHARS
from contracts.strict import StrictBody

# The built-in tool a model calls to hand off; handled by the workflow, not an activity.
HANDOFF_TOOL = "handoff"
HUMAN = "human"


class HandoffRequest(BaseModel):
    """The arguments of the `handoff` tool."""

    to: str = Field(min_length=1, description='"human", or the name of another agent')
    reason: str = Field(min_length=1, description="why the task is handed off")


class Handoff(BaseModel):
    """A handoff that happened: shown in the snapshot and carried by the run's result."""

    to: str
    reason: str
    call_id: str
    at: datetime


class HumanInput(StrictBody):
    """Body of the `human_input` update and signal: the reply to a handoff to a human."""

    by: ActorId
    text: Annotated[str, StringConstraints(min_length=1, max_length=HUMAN_INPUT_MAX_CHARS)]
