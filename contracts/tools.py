"""Tool invocations and their results, as they cross the workflow/activity boundary."""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef
from contracts.compact import CompactModel
from contracts.mcp import McpServer, McpTarget


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
    # Set for a tool of an MCP server: which server, and the tool's name there.
    mcp: McpTarget | None = None


class ToolResult(BaseModel):
    call_id: str
    tool: str
    output: str
    # Short, human-readable account of what happened (shown in events and the UI).
    summary: str = ""
    # Set when the output was too large for history: `output` is then a preview and the
    # whole output is in the artifact store.
    artifact: ArtifactRef | None = None


class ToolDeclaration(CompactModel):
    """A tool as the workflow knows it: data, never code. The workflow learns its tools from
    a worker (its first model call's answer, or the `tools.declare` local activity before
    it: workflows/run/declaring.py), so the declaration is pinned in the run's history and
    replay never depends on what a worker has installed."""

    name: str
    description: str = ""
    # JSON schema of the arguments: the gate checks a call against it before anything runs
    # or a human is asked.
    input_schema: dict[str, Any] = Field(default_factory=dict)
    side_effect: SideEffect
    activity_name: str
    # The activity that undoes a completed call (a saga runs it); None: nothing undoes it.
    compensation_activity: str | None = None
    # Secrets the tool needs: an agent must list them to call it.
    secrets: list[str] = Field(default_factory=list)
    # The argument shown next to the tool's name in summaries (events, the Web UI).
    summary_arg: str | None = None
    # The task queue of the tool's pool (its compensation runs there too), so only the
    # workers holding its credentials run it; None: the run's own task queue.
    task_queue: str | None = None
    # Set for a tool of an MCP server (activities/mcp): its server and name there, and the
    # stored schemas of all the run's MCP tools (the model activity reads them from there,
    # so no model call carries them in history).
    mcp: McpTarget | None = None
    schemas: ArtifactRef | None = None

    def summary(self, args: dict[str, Any]) -> str:
        """`tool <name> <main argument>`, the schema's default when the call leaves it out."""
        if self.mcp is not None:
            return f"tool {self.name} (mcp {self.mcp.server.name}: {self.mcp.remote_name})"
        if self.summary_arg is None:
            return f"tool {self.name}"
        shown = args.get(self.summary_arg)
        if shown is None:
            properties = self.input_schema.get("properties", {})
            shown = properties.get(self.summary_arg, {}).get("default")
        return f"tool {self.name} {shown}" if shown is not None else f"tool {self.name}"


class DeclareTools(BaseModel):
    """Input of `tools.declare`: the tools a run may call, by name."""

    names: list[str] = Field(default_factory=list)
    # The run's agent: a worker's tool pools can route all of an agent's tools.
    agent: str = ""
    # MCP servers whose (allowed) tools the run may call as well.
    mcp: list[McpServer] = Field(default_factory=list)
    # Tool names the agent's policy and retries use: one that names an MCP server's tool
    # can be checked only once the server has listed its tools.
    policy_names: list[str] = Field(default_factory=list)


def stored_mcp_schemas(declared: Iterable[ToolDeclaration]) -> ArtifactRef | None:
    """The stored model-facing schemas of a run's MCP tools (one artifact for all)."""
    return next((tool.schemas for tool in declared if tool.schemas is not None), None)
