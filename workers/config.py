"""Worker configuration: concurrency, model pools and their rate limits, circuit breakers,
the user's tool modules, the tool pools (tools that run on their own workers) and the
worker's deployment version (worker versioning).

Read from a YAML file (`overseer worker --config worker.yaml`); every field has a default.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from activities.providers.breaker import BreakerSettings
from activities.tools.routes import ToolRoutes
from contracts.errors import OverseerError
from contracts.strict import Name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelPool(_Strict):
    """A task queue for model calls only, e.g. one per provider.

    Runs whose model names this `task_queue` send their model calls here; the worker
    serving it runs at most `max_concurrent` at once, and Temporal holds the whole fleet
    to `calls_per_second` on this queue.
    """

    task_queue: str = Field(min_length=1)
    max_concurrent: int = Field(default=4, ge=1)
    calls_per_second: float | None = Field(default=None, gt=0)


class ToolPool(_Strict):
    """A task queue for some tools only, e.g. the payments tools.

    Runs call these tools on `task_queue`, so only the workers serving it (and holding the
    credentials those tools need) run them; a worker serving the main queue does not even
    register them. Every worker of a deployment lists the same pools: the one answering a
    run's `tools.declare` tells the run where each tool runs.
    """

    task_queue: str = Field(min_length=1, max_length=200)
    # What runs here: these tools, every tool of these MCP servers (by the `name` agents give
    # them), every tool of these agents' runs. The most specific route wins.
    tools: list[Name] = Field(default_factory=list, max_length=200)
    mcp_servers: list[Name] = Field(default_factory=list, max_length=200)
    agents: list[Name] = Field(default_factory=list, max_length=200)
    max_concurrent: int = Field(default=4, ge=1)

    @model_validator(mode="after")
    def _routes_something(self) -> Self:
        if not (self.tools or self.mcp_servers or self.agents):
            raise ValueError(
                f"pool {self.task_queue} routes nothing: give tools, mcp_servers or agents"
            )
        return self


class BreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, ge=1)
    cooldown_seconds: float = Field(default=30.0, gt=0)

    def settings(self) -> BreakerSettings:
        return BreakerSettings(self.failure_threshold, timedelta(seconds=self.cooldown_seconds))


# Temporal writes a version as `<deployment>.<build id>`: the deployment name has no dot.
DeploymentName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,100}$")]
BuildId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.+-]{1,100}$")]
DEPLOYMENT_VARIABLE = "OVERSEER_DEPLOYMENT"
BUILD_ID_VARIABLE = "OVERSEER_BUILD_ID"


class WorkerVersioning(_Strict):
    """The Worker Deployment Version this worker serves (`overseer deploy` makes one current).

    Runs start on the current version and stay on it until they end (pinned); the run queue
    and the kill switches follow the current version (auto-upgrade). Without it the worker is
    unversioned: every run goes to whichever worker polls.
    """

    deployment: DeploymentName
    build_id: BuildId


class WorkerConfig(_Strict):
    max_concurrent_activities: int = Field(default=100, ge=1)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    model_pools: list[ModelPool] = Field(default_factory=list)
    # Python modules whose tools this worker serves, besides the built-in ones and those
    # installed with an `overseer.tools` entry point (see activities/tools/registry.py).
    tools: list[str] = Field(default_factory=list, max_length=200)
    tool_pools: list[ToolPool] = Field(default_factory=list, max_length=100)
    # "all": the main task queue (workflows, the tools not in a pool) and every pool;
    # "pools": only the pools (a payments worker runs payments tools and nothing else).
    serve: Literal["all", "pools"] = "all"
    versioning: WorkerVersioning | None = None

    @model_validator(mode="after")
    def _pools_are_disjoint(self) -> Self:
        for what in ("tools", "mcp_servers", "agents"):
            owner: dict[str, str] = {}
            for pool in self.tool_pools:
                for name in getattr(pool, what):
                    if owner.setdefault(name, pool.task_queue) != pool.task_queue:
                        kind = {"tools": "tool", "mcp_servers": "MCP server", "agents": "agent"}
                        raise ValueError(
                            f"{kind[what]} {name!r} is in two pools "
                            f"({owner[name]} and {pool.task_queue})"
                        )
        queues = [pool.task_queue for pool in self.model_pools]
        queues += [pool.task_queue for pool in self.tool_pools]
        if twice := sorted({queue for queue in queues if queues.count(queue) > 1}):
            raise ValueError(f"task queue {twice[0]!r} serves two pools")
        if self.serve == "pools" and not queues:
            raise ValueError("serve: pools, but the config has no pools")
        return self

    def tool_routes(self) -> ToolRoutes:
        """The pools' task queues by tool, by MCP server and by agent."""

        def by(what: str) -> dict[str, str]:
            return {name: p.task_queue for p in self.tool_pools for name in getattr(p, what)}

        return ToolRoutes(tools=by("tools"), mcp_servers=by("mcp_servers"), agents=by("agents"))


def load_worker_config(
    path: Path | None, deployment: str | None = None, build_id: str | None = None
) -> WorkerConfig:
    """The worker's config file; the deployment version from the arguments, else from
    $OVERSEER_DEPLOYMENT and $OVERSEER_BUILD_ID, else from the file (give both or neither)."""
    config = _read_worker_config(path) if path else WorkerConfig()
    deployment = deployment or os.environ.get(DEPLOYMENT_VARIABLE) or None
    build_id = build_id or os.environ.get(BUILD_ID_VARIABLE) or None
    if deployment is None and build_id is None:
        return config
    if deployment is None or build_id is None:
        missing = "--deployment" if deployment is None else "--build-id"
        raise OverseerError(
            f"worker versioning needs both a deployment and a build id: give {missing} "
            f"(or ${DEPLOYMENT_VARIABLE} and ${BUILD_ID_VARIABLE})"
        )
    try:
        versioning = WorkerVersioning(deployment=deployment, build_id=build_id)
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0]).replace("_", "-")
        raise OverseerError(
            f"--{field}: letters, digits, '-' and '_' only (a build id may also have '.' "
            "and '+'), at most 100"
        ) from None
    return config.model_copy(update={"versioning": versioning})


def _read_worker_config(path: Path) -> WorkerConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return WorkerConfig.model_validate(raw)
    except OSError as error:
        raise OverseerError(f"cannot read worker config {path}: {error.strerror}") from None
    except yaml.YAMLError:
        raise OverseerError(f"{path}: not valid YAML") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])  # empty: the config as a whole
        message = first["msg"].removeprefix("Value error, ")  # our own validator's words
        raise OverseerError(f"{path}: {where + ': ' if where else ''}{message}") from None
