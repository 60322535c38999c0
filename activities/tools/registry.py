"""Every tool this build of Overseer knows, by name. Pure declarations: safe to read from
workflow code (imported through the sandbox's pass-through)."""

import functools

from activities.tools.base import ToolDefinition
from activities.tools.files import LIST_FILES, READ_FILE, WRITE_FILE
from activities.tools.handoff import HANDOFF
from activities.tools.tickets import CREATE_TICKET
from activities.tools.webhook import POST_WEBHOOK
from contracts.model_io import ToolSchema


@functools.cache
def tool_schema(name: str) -> ToolSchema:
    """A tool's schema for the model, built once (pydantic's JSON schema is not cheap).
    Shared: callers must not change it."""
    return TOOLS[name].schema()


TOOLS: dict[str, ToolDefinition] = {
    tool.name: tool
    for tool in (LIST_FILES, READ_FILE, WRITE_FILE, CREATE_TICKET, POST_WEBHOOK, HANDOFF)
}
