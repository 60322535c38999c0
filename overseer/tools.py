"""Declare your own tools, supervised like the built-in ones.

    from pydantic import BaseModel
    from overseer.tools import SideEffect, ToolContext, tool

    class RefundInput(BaseModel):
        order_id: str
        amount_cents: int

    @tool(side_effect=SideEffect.IRREVERSIBLE, summary_arg="order_id")
    async def refund_order(args: RefundInput, ctx: ToolContext) -> str:
        \"\"\"Refund an order (the model reads this docstring).\"\"\"
        ...

A long tool can tell a watcher how it is getting on: `progress_note("fetched 3 of 10 pages")`
(shown by `overseer watch` while the call works; batched, so calling it often is cheap).

A worker serves the tools of a module named in its config (`tools: [my_pkg.tools]`),
in OVERSEER_TOOL_MODULES, or installed with an entry point in the group `overseer.tools`.
"""

import inspect
import typing
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel

from activities.progress import progress_note
from activities.tools.base import Compensation, ToolContext, ToolDefinition
from activities.tools.registry import TOOL_NAME
from contracts.tools import SideEffect

__all__ = ["SideEffect", "ToolContext", "ToolDefinition", "progress_note", "tool"]

ToolFunction = Callable[[Any, ToolContext], Awaitable[str]]


def tool(
    *,
    side_effect: SideEffect,
    name: str | None = None,
    description: str | None = None,
    summary_arg: str | None = None,
    compensate: Compensation | None = None,
    secrets: Sequence[str] = (),
) -> Callable[[ToolFunction], ToolDefinition]:
    """Turn `async def f(args: SomeModel, ctx: ToolContext) -> str` into a tool.

    - side_effect: read (no effect), idempotent (same key, same effect) or irreversible
      (waits for approval by default, and is undone by `compensate` in a rollback).
    - name: what the model calls it (default: the function's name); description: what the
      model reads (default: the docstring).
    - summary_arg: the argument shown next to the tool's name in events and the Web UI.
    - compensate: `async def undo(args, ctx) -> str`, run with the same arguments and the same
      idempotency key (ctx.idempotency_key) when a run that made the call rolls back.
    - secrets: names of the secrets it needs (ctx.secrets); an agent must list them.
    """

    def declare(function: ToolFunction) -> ToolDefinition:
        tool_name = name or function.__name__
        where = f"tool {tool_name!r} ({function.__module__}.{function.__qualname__})"
        if not TOOL_NAME.match(tool_name):
            raise ValueError(f"{where}: a name is lowercase letters, digits and _")
        if not inspect.iscoroutinefunction(function):
            raise TypeError(f"{where}: must be an async function")
        if compensate is not None and not inspect.iscoroutinefunction(compensate):
            raise TypeError(f"{where}: its compensation must be an async function")
        return ToolDefinition(
            name=tool_name,
            description=description or inspect.getdoc(function) or tool_name,
            input_model=_input_model(function, where),
            side_effect=SideEffect(side_effect),
            run=function,
            summary_arg=summary_arg,
            compensate=compensate,
            secrets=tuple(secrets),
        )

    return declare


def _input_model(function: ToolFunction, where: str) -> type[BaseModel]:
    hints = typing.get_type_hints(function)
    parameters = list(inspect.signature(function).parameters)
    model = hints.get(parameters[0]) if parameters else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{where}: its first parameter must be annotated with a pydantic model")
    return model
