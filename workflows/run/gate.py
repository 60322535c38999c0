"""The policy gate: may this tool call run, and does it wait for a human? Pure code.

It works from the run's tool declarations (data pinned in history at the run's start),
never from a tool's code: arguments are checked against the declared JSON schema.
"""

from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import best_match

from contracts.model_io import ToolCall
from contracts.output_contract import LinearTimeValidator
from contracts.spec import RunSpec
from contracts.tools import SideEffect, ToolDeclaration

Declared = dict[str, ToolDeclaration]


@dataclass(frozen=True)
class GateVerdict:
    tool: ToolDeclaration | None
    denied_reason: str | None = None
    needs_approval: bool = False

    @property
    def allowed(self) -> bool:
        return self.denied_reason is None


def agent_tools(spec: RunSpec, tools: Declared) -> list[str]:
    """What the agent may call: the tools it lists, then those its MCP servers declared
    (named `<server>_<tool>`, known only once the run has declared them)."""
    return [*spec.tools, *(name for name, tool in tools.items() if tool.mcp is not None)]


def tools_needing_approval(spec: RunSpec, tools: Declared) -> set[str]:
    if spec.policy.require_approval is not None:
        return set(spec.policy.require_approval)
    return {
        name
        for name in agent_tools(spec, tools)
        if name in tools and tools[name].side_effect is SideEffect.IRREVERSIBLE
    }


def gate(spec: RunSpec, tools: Declared, call: ToolCall) -> GateVerdict:
    if call.argument_error:
        return GateVerdict(None, f"call to {call.name!r} denied: {call.argument_error}")
    if call.name not in agent_tools(spec, tools):
        return GateVerdict(None, f"tool {call.name!r} is not in the tools of agent {spec.agent!r}")
    tool = tools.get(call.name)
    if tool is None:
        return GateVerdict(None, f"tool {call.name!r} was not declared at the run's start")
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
    return GateVerdict(tool, needs_approval=call.name in tools_needing_approval(spec, tools))


def argument_error(tool: ToolDeclaration, arguments: dict[str, Any]) -> str | None:
    """Why the arguments miss the tool's declared schema (one line), or None. The schema's
    patterns run on RE2: a model writes the arguments."""
    found = best_match(LinearTimeValidator(tool.input_schema).iter_errors(arguments))
    if found is None:
        return None
    where = ".".join(str(part) for part in found.absolute_path) or "arguments"
    return f"invalid arguments for {tool.name}: {where}: {found.message}"
