"""Each tool runs as its own activity, named `tool.<name>`, so the Web UI and the
`temporal` CLI show which tool ran."""

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from opentelemetry import trace
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import TOOL_INPUT_INVALID
from activities.heartbeat import heartbeat_while
from activities.tools.base import ToolContext, ToolDefinition
from activities.tools.registry import TOOLS
from contracts.tools import ToolInvocation, ToolResult

ToolActivity = Callable[[ToolInvocation], Coroutine[Any, Any, ToolResult]]


def _summarize(output: str) -> str:
    first_line = output.strip().splitlines()[0] if output.strip() else "(empty)"
    lines = output.count("\n") + 1
    return first_line[:120] + (f" (+{lines - 1} more lines)" if lines > 1 else "")


def tool_activity(tool: ToolDefinition) -> ToolActivity:
    @activity.defn(name=tool.activity_name)
    async def run_tool(invocation: ToolInvocation) -> ToolResult:
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
        )
        output = await heartbeat_while(tool.run(args, context))
        result = ToolResult(
            call_id=invocation.call_id, tool=tool.name, output=output, summary=_summarize(output)
        )
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


TOOL_ACTIVITIES: list[ToolActivity] = [tool_activity(tool) for tool in TOOLS.values()]
