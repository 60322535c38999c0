"""Each tool runs as its own activity, named `tool.<name>` (and its compensation as
`tool.<name>.compensate`), so the Web UI and the `temporal` CLI show which tool ran."""

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from opentelemetry import trace
from pydantic import BaseModel, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import secrets
from activities.artifacts import default_store
from activities.errors import RESULT_TOO_LARGE, TOOL_INPUT_INVALID
from activities.heartbeat import heartbeat_while
from activities.kill_check import stop_if_killed
from activities.payloads import offload
from activities.progress import with_progress
from activities.tools.base import ToolContext, ToolDefinition
from activities.tools.registry import TOOLS
from contracts.tools import ToolInvocation, ToolResult

ToolActivity = Callable[[ToolInvocation], Coroutine[Any, Any, ToolResult]]

# Results over 128 KiB go to the artifact store (history keeps a reference); past this
# size (OVERSEER_MAX_RESULT_BYTES) a result is refused: the call fails once, never retried.
MAX_RESULT_BYTES = 64 * 1024 * 1024
MAX_RESULT_ENV = "OVERSEER_MAX_RESULT_BYTES"
# Chaos testing only: hold each tool call this long after its effect, so a worker can be
# killed between the effect and the recording of its result (scripts/chaos.py).
CHAOS_DELAY_ENV = "OVERSEER_CHAOS_TOOL_DELAY_SECONDS"


def _summarize(output: str) -> str:
    first_line = output.strip().splitlines()[0] if output.strip() else "(empty)"
    lines = output.count("\n") + 1
    return first_line[:120] + (f" (+{lines - 1} more lines)" if lines > 1 else "")


def _parse(tool: ToolDefinition, invocation: ToolInvocation) -> tuple[BaseModel, ToolContext]:
    try:
        args = tool.input_model.model_validate(invocation.args)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "arguments"
        raise ApplicationError(
            f"invalid arguments for {tool.name}: {where}: {first['msg']}",
            type=TOOL_INPUT_INVALID,
            non_retryable=True,
        ) from error
    context = ToolContext(
        run_id=invocation.run_id,
        call_id=invocation.call_id,
        idempotency_key=invocation.idempotency_key,
        workspace=Path(invocation.workspace),
        secrets=secrets.resolve(tool.secrets),
    )
    return args, context


async def tool_result(name: str, invocation: ToolInvocation, output: str) -> ToolResult:
    """The result of any tool's activity (Python or MCP), with a large output kept in the
    artifact store (history gets a preview and a reference); over the size limit it is
    refused, never retried. Only once it is stored does the call count as done."""
    size = len(output.encode("utf-8"))
    limit = int(os.environ.get(MAX_RESULT_ENV) or MAX_RESULT_BYTES)
    if size > limit:
        raise ApplicationError(
            f"{name} returned {size} bytes, over the {limit} byte limit for a tool result",
            type=RESULT_TOO_LARGE,
            non_retryable=True,
        )
    kept, artifact = await offload(default_store(), output)
    return ToolResult(
        call_id=invocation.call_id,
        tool=name,
        output=kept,
        summary=_summarize(output),
        artifact=artifact,
    )


async def _scrubbed(work: Awaitable[str], context: ToolContext) -> str:
    """The tool's output, or its error, with the values of its secrets taken out: an
    endpoint that echoes its token must not put the token into history."""
    try:
        return secrets.scrub(await work, context.secrets)
    except ApplicationError as error:
        if context.secrets and secrets.scrub(str(error), context.secrets) != str(error):
            raise ApplicationError(
                secrets.scrub(error.message, context.secrets),
                type=error.type,
                non_retryable=error.non_retryable,
            ) from None
        raise
    except Exception as error:
        if context.secrets and secrets.scrub(str(error), context.secrets) != str(error):
            raise ApplicationError(
                secrets.scrub(str(error), context.secrets), type=type(error).__name__
            ) from None
        raise


def tool_activity(tool: ToolDefinition) -> ToolActivity:
    @activity.defn(name=tool.activity_name)
    async def run_tool(invocation: ToolInvocation) -> ToolResult:
        args, context = _parse(tool, invocation)
        await stop_if_killed(tool.name, invocation)
        # A tool's progress_note calls reach a watcher, its secrets scrubbed out of them.
        work = with_progress(
            tool.summary(invocation.args),
            tool.run(args, context),
            lambda text: secrets.scrub(text, context.secrets),
        )
        output = await _scrubbed(heartbeat_while(work), context)
        if delay := float(os.environ.get(CHAOS_DELAY_ENV) or 0):
            await heartbeat_while(asyncio.sleep(delay))
        result = await tool_result(tool.name, invocation, output)
        trace.get_current_span().set_attributes(
            {
                "overseer.state": "executing",
                "overseer.step": invocation.step,
                "overseer.tool": tool.name,
                "overseer.side_effect": str(tool.side_effect),
            }
        )
        activity.logger.info(
            "%s: %s",
            tool.summary(invocation.args),
            result.summary,
            extra={"step": invocation.step},
        )
        return result

    return run_tool


def compensation_activity(tool: ToolDefinition) -> ToolActivity:
    compensate = tool.compensate
    assert compensate is not None

    @activity.defn(name=tool.compensation_activity_name)
    async def undo_tool(invocation: ToolInvocation) -> ToolResult:
        args, context = _parse(tool, invocation)
        output = await _scrubbed(heartbeat_while(compensate(args, context)), context)
        activity.logger.info("compensated %s: %s", tool.summary(invocation.args), output)
        return await tool_result(tool.name, invocation, output)

    return undo_tool


def tool_activities(chosen: Callable[[str], bool] = lambda name: True) -> list[ToolActivity]:
    """An activity per known tool (and per compensation), built-in and the user's, of the
    tools `chosen` picks by name: call once the user's tools are loaded
    (registry.load_installed_tools)."""
    tools = [tool for tool in TOOLS.values() if chosen(tool.name)]
    return [tool_activity(tool) for tool in tools] + [
        compensation_activity(tool) for tool in tools if tool.compensate is not None
    ]
