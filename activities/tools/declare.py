"""`tools.declare`: the worker tells a starting run what its tools are, as data.

The run pins the answer in its history (the result of its first model call, which declares
them with `declared_tools`; or, for a run that must know them before that call, a local
activity whose answer is recorded as a marker), so its gate, approvals and
saga work from declarations, never from code a worker happens to have installed: replay is
deterministic, and a worker lacking a tool the agent lists fails the run at its start. The
tools of the agent's MCP servers are listed here too (activities/mcp/declare.py): a server
that cannot start fails the run at its start, in one line naming it.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import heartbeat_while
from activities.mcp.declare import mcp_declarations
from activities.tools.registry import TOOLS, tool_declaration
from activities.tools.routes import ToolRoutes
from contracts.text import clip
from contracts.tools import DeclareTools, ToolDeclaration

TOOLS_MISSING = "ToolsMissing"


@activity.defn(name="tools.declare")
async def declare_tools(request: DeclareTools) -> list[ToolDeclaration]:
    return await declared_tools(request, ToolRoutes())


async def declared_tools(request: DeclareTools, routes: ToolRoutes) -> list[ToolDeclaration]:
    """The run's tools, each with the task queue its pool runs it on (`routes`, from the
    worker's config); a non-retryable ApplicationError (one line) if one cannot be had."""
    missing = [name for name in request.names if name not in TOOLS]
    if missing:
        raise ApplicationError(
            # A forged spec may list any number of names: the line stays short.
            f"the worker has no tool {clip(', '.join(repr(name) for name in missing), 200)} "
            f"(it has: {clip(', '.join(sorted(TOOLS)), 300)})",
            type=TOOLS_MISSING,
            non_retryable=True,
        )
    declared = [tool_declaration(name) for name in request.names]
    if request.mcp:
        try:
            declared += await heartbeat_while(mcp_declarations(request.mcp, set(TOOLS)))
        except ApplicationError as error:
            # At the run's start a server that is down fails the run now, in one line,
            # rather than being retried until the declaration times out.
            raise ApplicationError(error.message, type=error.type, non_retryable=True) from None
        known = {tool.name for tool in declared} | set(TOOLS)
        unknown = [name for name in request.policy_names if name not in known]
        if unknown:
            mcp_tools = ", ".join(tool.name for tool in declared if tool.mcp) or "none"
            raise ApplicationError(
                f"the agent's policy or retries name unknown tool "
                f"{', '.join(map(repr, unknown))} (its MCP tools: {mcp_tools})",
                type=TOOLS_MISSING,
                non_retryable=True,
            )
    if not routes:
        return declared
    return [
        tool.model_copy(update={"task_queue": routes.queue_for(tool, request.agent)})
        for tool in declared
    ]


def declare_tools_routed(
    routes: ToolRoutes,
) -> Callable[[DeclareTools], Coroutine[Any, Any, list[ToolDeclaration]]]:
    """`tools.declare` of a worker: each declaration also tells the run the task queue
    its tool runs on, from the config's tool pools (workers/config.py `tool_pools`; none:
    the run's own)."""

    @activity.defn(name="tools.declare")
    async def declare_routed(request: DeclareTools) -> list[ToolDeclaration]:
        return await declared_tools(request, routes)

    return declare_routed
