"""The tools of a run's MCP servers, as declarations (part of `tools.declare`).

Each server is asked for its tools (tools/list) once, when the run starts; the answer is
pinned in the run's history with the built-in tools' declarations. The model-facing
schemas of all of them are stored once in the artifact store: each model call carries a
reference, not the schemas (activities/llm.py).
"""

import asyncio
from collections.abc import Mapping

from mcp import Client
from mcp.types import Tool
from pydantic import TypeAdapter
from temporalio.exceptions import ApplicationError

from activities.artifacts import default_store
from activities.mcp.client import MCP_PROTOCOL_ERROR, with_server
from contracts.mcp import McpServer, McpTarget, model_tool_name
from contracts.model_io import ToolSchema
from contracts.text import clip
from contracts.tools import SideEffect, ToolDeclaration

SCHEMAS = TypeAdapter(list[ToolSchema])
DESCRIPTION_MAX_CHARS = 2_000
# Below the run's 30 s declaration timeout (workflows/run/engine.py DECLARE_TIMEOUT): a run
# with MCP servers declares its tools with the local activity, before its first model call.
LIST_MAX_SECONDS = 20.0


def side_effect(tool: Tool) -> SideEffect:
    """MCP annotations are hints from the server; only what they promise lowers the class.
    Read-only: read. Idempotent and not destructive: idempotent. Anything else (destructive,
    or no hint at all): irreversible, so a call waits for approval unless the agent's policy
    says otherwise."""
    hints = tool.annotations
    if hints is None:
        return SideEffect.IRREVERSIBLE
    if hints.read_only_hint:
        return SideEffect.READ
    if hints.idempotent_hint and not hints.destructive_hint:
        return SideEffect.IDEMPOTENT
    return SideEffect.IRREVERSIBLE


async def _list_all(client: Client, _values: Mapping[str, str]) -> list[Tool]:
    return list((await client.list_tools()).tools)


async def server_tools(server: McpServer) -> list[ToolDeclaration]:
    seconds = min(server.timeout_seconds, LIST_MAX_SECONDS)
    listed = await with_server(server, "cannot list its tools", _list_all, seconds)
    names = {tool.name for tool in listed}
    if isinstance(server.tools, list):
        absent = [name for name in server.tools if name not in names]
        if absent:
            raise ApplicationError(
                f"mcp server {server.name!r} has no tool {', '.join(map(repr, absent))} "
                # A server may list any number of tools: the message stays one short line.
                f"(it has: {clip(', '.join(sorted(names)), 300) or 'none'})",
                type=MCP_PROTOCOL_ERROR,
                non_retryable=True,
            )
    return [
        ToolDeclaration(
            name=model_tool_name(server.name, tool.name),
            description=(tool.description or tool.title or tool.name)[:DESCRIPTION_MAX_CHARS],
            input_schema=tool.input_schema,
            side_effect=side_effect(tool),
            activity_name=MCP_CALL_ACTIVITY,
            secrets=server.secrets,
            mcp=McpTarget(server=server, remote_name=tool.name),
        )
        for tool in listed
        if server.allows(tool.name)
    ]


async def mcp_declarations(servers: list[McpServer], taken: set[str]) -> list[ToolDeclaration]:
    """The allowed tools of every server, their schemas stored once; a name that two tools
    would share (or a built-in has) is refused in one line."""
    declared: list[ToolDeclaration] = []
    # Listed side by side, each within a bound, so all answer inside the declaration's
    # own timeout (a slow server fails in one line instead of the declaration retrying).
    listed = await asyncio.gather(*(server_tools(server) for server in servers))
    for server, tools in zip(servers, listed, strict=True):
        for tool in tools:
            if tool.name in taken:
                raise ApplicationError(
                    f"mcp server {server.name!r}: tool {tool.mcp and tool.mcp.remote_name!r} "
                    f"would be called {tool.name!r}, a name already taken: leave it out of tools",
                    type=MCP_PROTOCOL_ERROR,
                    non_retryable=True,
                )
            taken.add(tool.name)
            declared.append(tool)
    if not declared:
        return []
    schemas = [
        ToolSchema(name=tool.name, description=tool.description, parameters=tool.input_schema)
        for tool in declared
    ]
    ref = await default_store().put(SCHEMAS.dump_json(schemas), "application/json")
    return [tool.model_copy(update={"schemas": ref}) for tool in declared]


MCP_CALL_ACTIVITY = "mcp.call_tool"
