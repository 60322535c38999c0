"""The policy gate: may this tool call run, and does it wait for a human? Pure code."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from temporalio import workflow

from contracts.model_io import ToolCall
from contracts.spec import RunSpec
from contracts.tools import SideEffect

with workflow.unsafe.imports_passed_through():
    from activities.tools.base import ToolDefinition
    from activities.tools.registry import TOOLS


@dataclass(frozen=True)
class GateVerdict:
    tool: ToolDefinition | None
    denied_reason: str | None = None
    needs_approval: bool = False

    @property
    def allowed(self) -> bool:
        return self.denied_reason is None


def tools_needing_approval(spec: RunSpec) -> set[str]:
    if spec.policy.require_approval is not None:
        return set(spec.policy.require_approval)
    return {
        name
        for name in spec.tools
        if name in TOOLS and TOOLS[name].side_effect is SideEffect.IRREVERSIBLE
    }


def gate(spec: RunSpec, call: ToolCall) -> GateVerdict:
    if call.argument_error:
        return GateVerdict(None, f"call to {call.name!r} denied: {call.argument_error}")
    if call.name not in spec.tools:
        return GateVerdict(None, f"tool {call.name!r} is not in the tools of agent {spec.agent!r}")
    tool = TOOLS.get(call.name)
    if tool is None:
        return GateVerdict(None, f"tool {call.name!r} does not exist on this worker")
    invalid = argument_error(tool, call.arguments)
    if invalid:
        return GateVerdict(tool, invalid)
    unscoped = [name for name in tool.secrets if name not in spec.secrets]
    if unscoped:
        return GateVerdict(
            tool,
            f"tool {call.name!r} needs secret(s) {', '.join(unscoped)} "
            f"that agent {spec.agent!r} may not use",
        )
    return GateVerdict(tool, needs_approval=call.name in tools_needing_approval(spec))


def argument_error(tool: ToolDefinition, arguments: dict[str, Any]) -> str | None:
    try:
        tool.input_model.model_validate(arguments)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "arguments"
        return f"invalid arguments for {tool.name}: {where}: {first['msg']}"
    return None
