"""How a tool is declared: a pydantic input model, a side-effect class, a stable activity name."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from activities.tools.paths import inside_workspace
from contracts.tools import SideEffect, ToolDeclaration


@dataclass(frozen=True)
class ToolContext:
    """What a tool may know about the call besides its arguments."""

    run_id: str
    call_id: str
    idempotency_key: str
    workspace: Path
    # The secrets the tool declared, resolved by the worker (never from the workflow).
    secrets: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, relative: str, *, file: bool = True) -> Path:
        """The path inside the workspace, or a refusal (TOOL_REFUSED, told to the model) if
        it escapes it (symlinks included), leads into Overseer's own files or is malformed.
        With `file` (the default) it must name something other than the workspace itself."""
        return inside_workspace(self.workspace, relative, file=file)


ToolFunction = Callable[[Any, ToolContext], Awaitable[str]]
# Undoes a completed call: gets the call's arguments and context (same idempotency key).
Compensation = Callable[[Any, ToolContext], Awaitable[str]]


@dataclass(frozen=True)
class ToolDefinition:
    name: str
    description: str
    input_model: type[BaseModel]
    side_effect: SideEffect
    run: ToolFunction
    # The argument shown next to the tool name in activity summaries, e.g. the path.
    summary_arg: str | None = None
    # Run in reverse order when a run is canceled or fails after this call completed.
    compensate: Compensation | None = None
    # Names of the secrets the tool needs; an agent must list them to call it.
    secrets: tuple[str, ...] = ()

    @property
    def activity_name(self) -> str:
        return f"tool.{self.name}"

    @property
    def compensation_activity_name(self) -> str:
        return f"tool.{self.name}.compensate"

    def summary(self, args: dict[str, Any]) -> str:
        """`tool <name> <main argument>`, defaults included, for the Web UI and events."""
        if self.summary_arg is None:
            return f"tool {self.name}"
        try:
            shown = self.input_model.model_validate(args).model_dump().get(self.summary_arg)
        except ValidationError:
            shown = args.get(self.summary_arg)
        return f"tool {self.name} {shown}" if shown is not None else f"tool {self.name}"

    def declaration(self) -> ToolDeclaration:
        """What the workflow needs to know of this tool, as data."""
        return ToolDeclaration(
            name=self.name,
            description=self.description,
            input_schema=self.input_model.model_json_schema(),
            side_effect=self.side_effect,
            activity_name=self.activity_name,
            compensation_activity=self.compensation_activity_name if self.compensate else None,
            secrets=list(self.secrets),
            summary_arg=self.summary_arg,
        )
