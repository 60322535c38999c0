"""Tool invocations and their results, as they cross the workflow/activity boundary."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef


class SideEffect(StrEnum):
    """What re-running a tool does to the world."""

    READ = "read"  # no effect: always safe to re-run
    IDEMPOTENT = "idempotent"  # same key, same effect: safe to re-run with its key
    IRREVERSIBLE = "irreversible"  # an effect that cannot be taken back


class ToolInvocation(BaseModel):
    run_id: str
    call_id: str
    # Derived from the run id and the call id, never from time or randomness,
    # so a retried activity presents the same key to the tool.
    idempotency_key: str
    workspace: str
    step: int = 0  # the run's step (model turn) that asked for this call
    args: dict[str, Any] = Field(default_factory=dict)
    agent: str = ""  # for the worker's kill-switch check


class ToolResult(BaseModel):
    call_id: str
    tool: str
    output: str
    # Short, human-readable account of what happened (shown in events and the UI).
    summary: str = ""
    # Set when the output was too large for history: `output` is then a preview and the
    # whole output is in the artifact store.
    artifact: ArtifactRef | None = None
