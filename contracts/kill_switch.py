"""Fleet-wide kill switches: rules that stop matching tool calls in every run."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from contracts.identity import ActorId
from contracts.strict import Name, Reason, StrictBody

KILL_SWITCH_WORKFLOW_ID = "overseer-kill-switches"
KILL_SWITCH_WORKFLOW = "KillSwitchWorkflow"

Scope = Literal["tool", "agent", "all"]


class KillRequest(StrictBody):
    """Body of the kill / unkill updates of the kill-switch workflow."""

    scope: Scope
    name: Name | None = None  # the tool or agent; none for "all" (and never blank)
    by: ActorId
    reason: Reason = ""

    @model_validator(mode="after")
    def _named_unless_all(self) -> "KillRequest":
        if self.scope == "all" and self.name:
            raise ValueError("a kill of all tools takes no name")
        if self.scope != "all" and not self.name:
            raise ValueError(f"a {self.scope} kill needs the {self.scope}'s name")
        return self

    @property
    def key(self) -> str:
        return "all" if self.scope == "all" else f"{self.scope}:{self.name}"

    @property
    def named(self) -> str:
        """The tool's or agent's name; "" for a kill of all."""
        return self.name or ""


class KillRule(BaseModel):
    scope: Scope
    name: str = ""
    by: str
    reason: str = ""
    at: datetime

    @property
    def key(self) -> str:
        return "all" if self.scope == "all" else f"{self.scope}:{self.name}"

    def stops(self, agent: str, tool: str) -> bool:
        if self.scope == "all":
            return True
        return self.name == (agent if self.scope == "agent" else tool)


class KillSwitches(BaseModel):
    """The rules in force, as the kill-switch workflow sends them to runs (newest wins)."""

    version: int = Field(ge=0)
    rules: list[KillRule] = Field(default_factory=list)

    def stopping(self, agent: str, tool: str) -> KillRule | None:
        return next((rule for rule in self.rules if rule.stops(agent, tool)), None)
