"""Every tool this worker (or this `overseer` command) knows, by name.

The built-in tools, plus the tools of the user's own packages: those installed with an
entry point in the group `overseer.tools`, the modules named in OVERSEER_TOOL_MODULES
(comma-separated), and the modules a worker's config lists under `tools:`. Loading runs the
user's code, so it happens once, when a worker or a command starts (`load_installed_tools`),
never in workflow code: a run learns its tools as data (activities/tools/declare.py).
"""

import functools
import importlib
import os
import re
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from types import ModuleType

from activities.tools.base import ToolDefinition
from activities.tools.files import LIST_FILES, READ_FILE, WRITE_FILE
from activities.tools.handoff import HANDOFF
from activities.tools.tickets import CREATE_TICKET
from activities.tools.webhook import POST_WEBHOOK
from contracts.errors import OverseerError
from contracts.model_io import ToolSchema
from contracts.tools import ToolDeclaration

ENTRY_POINT_GROUP = "overseer.tools"
MODULES_ENV = "OVERSEER_TOOL_MODULES"
# A tool's name is its activity's name (`tool.<name>`) and what a model calls it by.
TOOL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

BUILTIN: tuple[ToolDefinition, ...] = (
    LIST_FILES,
    READ_FILE,
    WRITE_FILE,
    CREATE_TICKET,
    POST_WEBHOOK,
    HANDOFF,
)
TOOLS: dict[str, ToolDefinition] = {tool.name: tool for tool in BUILTIN}
# Where each tool came from: "built-in", or the module / entry point that declared it.
SOURCES: dict[str, str] = dict.fromkeys(TOOLS, "built-in")
_loaded_sources: set[str] = set()
_entry_points_scanned = False


@functools.cache
def tool_declaration(name: str) -> ToolDeclaration:
    """A tool's declaration, built once (pydantic's JSON schema is not cheap, and every run
    start asks for it). Shared: callers copy before they change it."""
    return TOOLS[name].declaration()


@functools.cache
def tool_schema(name: str) -> ToolSchema:
    """A tool's schema for the model, from its declaration. Shared: callers must not change it."""
    declared = tool_declaration(name)
    return ToolSchema(
        name=declared.name, description=declared.description, parameters=declared.input_schema
    )


def load_installed_tools(modules: Sequence[str] = ()) -> list[str]:
    """Load the user's tools: entry points, OVERSEER_TOOL_MODULES, then `modules`. Returns
    the names of every tool now known. A module that cannot be imported, or a tool whose
    name clashes with another's, is an OverseerError naming it (the worker does not start)."""
    global _entry_points_scanned
    # The installed packages' metadata is read once per process: a pipeline file loads
    # several agent files, and each checks its tool names.
    if not _entry_points_scanned:
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            source = f"entry point {entry.name} ({entry.value})"
            try:
                loaded = entry.load()
            except Exception as error:
                raise OverseerError(f"tools: {source} cannot be loaded: {error}") from None
            register(tools_in(loaded), source)
        _entry_points_scanned = True
    configured = [m.strip() for m in os.environ.get(MODULES_ENV, "").split(",") if m.strip()]
    for module in [*configured, *modules]:
        load_tool_module(module)
    return sorted(TOOLS)


def load_tool_module(name: str) -> None:
    source = f"module {name}"
    if source in _loaded_sources:
        return
    try:
        module = importlib.import_module(name)
    except Exception as error:
        raise OverseerError(f"tools: module {name!r} cannot be imported: {error}") from None
    register(tools_in(module), source)


def tools_in(found: object) -> list[ToolDefinition]:
    """The tools a module defines (its ToolDefinition attributes, in definition order), or
    the tool or list of tools an entry point names."""
    if isinstance(found, ToolDefinition):
        return [found]
    if isinstance(found, ModuleType):
        return [value for value in vars(found).values() if isinstance(value, ToolDefinition)]
    if isinstance(found, Iterable):
        return [value for value in found if isinstance(value, ToolDefinition)]
    return []


def register(tools: list[ToolDefinition], source: str) -> None:
    for tool in tools:
        if not TOOL_NAME.match(tool.name):
            raise OverseerError(
                f"tools: {source}: {tool.name!r} is not a tool name "
                "(lowercase letters, digits and _, starting with a letter, at most 64)"
            )
        known = TOOLS.get(tool.name)
        if known is not None and known is not tool:
            raise OverseerError(
                f"tools: {source} declares {tool.name!r}, which {SOURCES[tool.name]} "
                "already declares: rename one"
            )
    for tool in tools:
        TOOLS[tool.name] = tool
        SOURCES[tool.name] = source
    _loaded_sources.add(source)
