"""Agent files: YAML describing an agent (model, tools, policy, budget) -> a RunSpec."""

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, field_validator

from contracts.errors import OverseerError, validation_problem
from contracts.limits import (
    DESCRIPTION_MAX_CHARS,
    GOAL_MAX_CHARS,
    INSTRUCTIONS_MAX_CHARS,
    NAME_MAX_CHARS,
    PATH_MAX_CHARS,
    SPEC_MAX_CONCURRENT_RUNS,
)
from contracts.mcp import MCP_SERVERS_MAX, McpServer, mcp_secrets_problem
from contracts.model_io import ModelSpec
from contracts.retries import RetryConfig
from contracts.spec import BudgetSpec, PolicySpec, RunSpec
from contracts.strict import StrictBody
from starters.files.checks import (
    broad_workspace,
    checked_output_schema,
    checked_tool_names,
)
from starters.files.size import check_size
from starters.files.yaml_file import read_yaml

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_CHARS)]


class AgentFile(StrictBody):
    """Every level refuses unknown keys (they are typos until proven otherwise), strings
    where numbers belong, and numbers out of range."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=NAME_MAX_CHARS)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_CHARS)
    instructions: str = Field(default="", max_length=INSTRUCTIONS_MAX_CHARS)
    # Relative to the agent file's directory.
    workspace: str = Field(default=".", min_length=1, max_length=PATH_MAX_CHARS)
    tools: list[str] = Field(default_factory=list)
    # Secrets the agent's tools may use, by name (workers hold the values).
    secrets: list[Name] = Field(default_factory=list, max_length=100)
    # MCP servers whose tools the agent may call, as `<server>_<tool>` (contracts/mcp.py).
    mcp: list[McpServer] = Field(default_factory=list, max_length=MCP_SERVERS_MAX)
    model: ModelSpec = Field(default_factory=ModelSpec)
    fallback_models: list[ModelSpec] = Field(default_factory=list, max_length=10)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    output_schema: dict[str, Any] | None = None
    output_retries: int = Field(default=2, ge=0, le=10)
    retries: RetryConfig = Field(default_factory=RetryConfig)
    # Runs of this agent active at once; more wait in `created`, in the run queue.
    max_concurrent_runs: int | None = Field(default=None, ge=1, le=SPEC_MAX_CONCURRENT_RUNS)
    # The file it was read from, to name it in later errors.
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, tools: list[str]) -> list[str]:
        return checked_tool_names(tools)

    @field_validator("mcp")
    @classmethod
    def _mcp_secrets_listed(cls, servers: list[McpServer], info: ValidationInfo) -> list[McpServer]:
        if problem := mcp_secrets_problem(servers, info.data.get("secrets", [])):
            raise ValueError(problem)
        return servers

    @field_validator("policy")
    @classmethod
    def _approval_of_known_tools(cls, policy: PolicySpec, info: ValidationInfo) -> PolicySpec:
        checked_tool_names(
            _not_mcp(policy.require_approval or [], info), "require_approval names unknown tool"
        )
        return policy

    @field_validator("retries")
    @classmethod
    def _retries_of_known_tools(cls, retries: RetryConfig, info: ValidationInfo) -> RetryConfig:
        checked_tool_names(_not_mcp([*retries.per_tool], info), "per_tool names unknown tool")
        return retries

    @field_validator("output_schema")
    @classmethod
    def _schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return checked_output_schema(schema)


def _not_mcp(names: list[str], info: ValidationInfo) -> list[str]:
    """The names that are not `<server>_...` of one of the file's MCP servers: those tools
    are known only when a run lists them (a typo there names no tool, and nothing waits)."""
    prefixes = tuple(f"{server.name}_" for server in info.data.get("mcp", []))
    return [name for name in names if not (prefixes and name.startswith(prefixes))]


def load_agent_file(path: Path) -> tuple[AgentFile, Path]:
    """The parsed agent and its workspace directory (absolute)."""
    raw = read_yaml(path, "agent file")
    try:
        agent = AgentFile.model_validate(raw)
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error, '(top level)')}") from None
    agent._source = path
    try:
        workspace = (path.parent / agent.workspace).resolve()
        is_dir = workspace.is_dir()
    except (OSError, ValueError):  # a NUL byte, a symlink loop
        raise OverseerError(f"{path}: workspace: not a usable path") from None
    if not is_dir:
        raise OverseerError(f"{path}: workspace: {workspace} is not a directory")
    too_broad = broad_workspace(workspace)
    if too_broad is not None:
        raise OverseerError(
            f"{path}: workspace: {workspace} is {too_broad}; give the agent a project directory"
        )
    return agent, workspace


def run_spec(
    agent: AgentFile, workspace: Path, *, goal: str, requester: str, trace_id: str
) -> RunSpec:
    """The RunSpec of a run of `agent`: refused (before anything starts) when the goal is
    empty or too long, or when the whole spec would be too large for a workflow's input."""
    if not goal.strip():
        raise OverseerError("--goal must not be empty")
    if len(goal) > GOAL_MAX_CHARS:
        raise OverseerError(f"--goal is {len(goal)} characters, more than {GOAL_MAX_CHARS}")
    source = agent._source or f"agent {agent.name}"
    try:
        spec = RunSpec(
            agent=agent.name,
            goal=goal,
            instructions=agent.instructions,
            model=agent.model,
            fallback_models=agent.fallback_models,
            tools=agent.tools,
            secrets=agent.secrets,
            mcp=agent.mcp,
            policy=agent.policy,
            budget=agent.budget,
            output_schema=agent.output_schema,
            output_retries=agent.output_retries,
            retries=agent.retries,
            requester=requester,
            workspace=str(workspace),
            trace_id=trace_id,
        )
    except ValidationError as error:
        raise OverseerError(f"{source}: {validation_problem(error)}") from None
    check_size(spec, source, "run spec")
    return spec
