"""`mcp.call_tool`: one call of one MCP server's tool, supervised like every other tool.

The kill switches are checked first; the server gets the call's idempotency key in the
request's `_meta` (a server that honours it deduplicates a retried call; one that ignores it
is at-least-once, like any tool without a key); the activity heartbeats while the call is in
flight; secret values are scrubbed from what comes back; a large result goes to the
artifact store. An `isError` result is the tool's answer, not a failure: the model is told.
"""

import json
from collections.abc import Mapping
from typing import cast

from mcp import Client
from mcp.types import CallToolResult, RequestParamsMeta, TextContent
from temporalio import activity

from activities import secrets
from activities.errors import tool_refused
from activities.heartbeat import heartbeat_while
from activities.kill_check import stop_if_killed
from activities.mcp.client import with_server
from activities.mcp.declare import MCP_CALL_ACTIVITY
from activities.tools.activity import tool_result
from contracts.mcp import model_tool_name
from contracts.tools import ToolInvocation, ToolResult

# The `_meta` key that carries the call's idempotency key to the server.
IDEMPOTENCY_META = "overseer/idempotency_key"


def result_text(result: CallToolResult) -> str:
    """The result as the model reads it: its text blocks, else its structured content,
    else each block as JSON (images and resources are described, not inlined)."""
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    if texts:
        return "\n".join(texts)
    if result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False)
    return "\n".join(block.model_dump_json(exclude={"data", "blob"}) for block in result.content)


@activity.defn(name=MCP_CALL_ACTIVITY)
async def call_mcp_tool(invocation: ToolInvocation) -> ToolResult:
    target = invocation.mcp
    if target is None:
        raise tool_refused("mcp.call_tool was given a call with no MCP server")
    server = target.server
    name = model_tool_name(server.name, target.remote_name)  # as kill switches name it
    await stop_if_killed(name, invocation)

    async def call(client: Client, values: Mapping[str, str]) -> str:
        result = await client.call_tool(
            target.remote_name,
            invocation.args,
            meta=cast(RequestParamsMeta, {IDEMPOTENCY_META: invocation.idempotency_key}),
        )
        text = secrets.scrub(result_text(result), values)
        if result.is_error:
            raise tool_refused(f"mcp server {server.name!r} tool {target.remote_name}: {text}")
        return text

    output = await heartbeat_while(
        with_server(server, f"failed calling {target.remote_name}", call)
    )
    result = await tool_result(name, invocation, output)
    activity.logger.info("mcp %s: %s", name, result.summary, extra={"step": invocation.step})
    return result
