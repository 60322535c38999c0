"""Agent files: YAML describing an agent (model, tools, policy, budget) -> a RunSpec."""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import OverseerError
from contracts.model_io import ModelSpec
from contracts.retries import RetryConfig
from contracts.spec import BudgetSpec, PolicySpec, RunSpec
from starters.files.yaml_file import read_yaml


class AgentFile(BaseModel):
    # Unknown keys are typos until proven otherwise.
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    instructions: str = ""
    # Relative to the agent file's directory.
    workspace: str = "."
    tools: list[str] = Field(default_factory=list)
    # Secrets the agent's tools may use, by name (workers hold the values).
    secrets: list[str] = Field(default_factory=list)
    model: ModelSpec = Field(default_factory=ModelSpec)
    fallback_models: list[ModelSpec] = Field(default_factory=list)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    output_schema: dict[str, Any] | None = None
    output_retries: int = Field(default=2, ge=0, le=10)
    retries: RetryConfig = Field(default_factory=RetryConfig)
    # Runs of this agent active at once; more wait in `created`, in the run queue.
    max_concurrent_runs: int | None = Field(default=None, ge=1)


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def load_agent_file(path: Path) -> tuple[AgentFile, Path]:
    """The parsed agent and its workspace directory (absolute)."""
    raw = read_yaml(path, "agent file")
    if not isinstance(raw, dict):
        raise OverseerError(f"{path}: expected a mapping of agent settings at the top level")
    try:
        agent = AgentFile.model_validate(raw)
    except ValidationError as error:
        raise OverseerError(f"{path}: {_first_error(error)}") from None
    workspace = (path.parent / agent.workspace).resolve()
    if not workspace.is_dir():
        raise OverseerError(f"{path}: workspace {workspace} is not a directory")
    return agent, workspace


def run_spec(
    agent: AgentFile, workspace: Path, *, goal: str, requester: str, trace_id: str
) -> RunSpec:
    if not goal.strip():
        raise OverseerError("--goal must not be empty")
    return RunSpec(
        agent=agent.name,
        goal=goal,
        instructions=agent.instructions,
        model=agent.model,
        fallback_models=agent.fallback_models,
        tools=agent.tools,
        secrets=agent.secrets,
        policy=agent.policy,
        budget=agent.budget,
        output_schema=agent.output_schema,
        output_retries=agent.output_retries,
        retries=agent.retries,
        requester=requester,
        workspace=str(workspace),
        trace_id=trace_id,
    )
