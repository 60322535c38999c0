"""MCP servers an agent may use: how to reach one, and which of its tools the agent gets.

Pure data. Credentials are named, never inlined: `env` (stdio) and `headers` (HTTP) map to
secret NAMES the agent lists in `secrets:`; a worker resolves the values when it connects
(activities/secrets.py), so they never enter a spec, a history, an event or a log.
"""

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from contracts.limits import NAME_MAX_CHARS, PATH_MAX_CHARS, SPEC_MAX_CALL_SECONDS
from contracts.strict import Name, StrictBody

# A server's name prefixes its tools' model-facing names (`<server>_<tool>`), so it keeps
# to what every provider accepts in a tool name.
SERVER_NAME = r"^[a-z][a-z0-9_]{0,31}$"
# Model-facing tool names: OpenAI and Anthropic both accept ^[a-zA-Z0-9_-]{1,64}$; the
# tighter form is also what built-in tool names use (activities/tools/registry.py).
TOOL_NAME_MAX = 64
MCP_SERVERS_MAX = 20
MCP_TOOLS_MAX = 200
MCP_CREDENTIALS_MAX = 50
DEFAULT_TIMEOUT_SECONDS = 60.0

Arg = Annotated[str, StringConstraints(max_length=PATH_MAX_CHARS)]
EnvVar = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,128}$")]


class McpServer(StrictBody):
    """`{name, command: [...], env: {VAR: secret}}` (stdio) or `{name, url, headers:
    {Header: secret}}` (streamable HTTP), with `tools: [a, b]` or `tools: all`."""

    name: str = Field(pattern=SERVER_NAME)
    command: list[Arg] | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=PATH_MAX_CHARS)
    env: dict[EnvVar, Name] = Field(default_factory=dict, max_length=MCP_CREDENTIALS_MAX)
    headers: dict[HeaderName, Name] = Field(default_factory=dict, max_length=MCP_CREDENTIALS_MAX)
    # The server's own tool names (as it lists them); "all": every tool it lists.
    tools: (
        list[Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX_CHARS)]]
        | (Literal["all"])
    ) = Field(default="all")
    # One connect-and-call (or connect-and-list) may take this long before it is abandoned.
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=SPEC_MAX_CALL_SECONDS)

    @model_validator(mode="after")
    def _one_transport(self) -> "McpServer":
        if (self.command is None) == (self.url is None):
            raise ValueError(f"mcp server {self.name!r}: give either command or url")
        if self.url is not None and self.env:
            raise ValueError(f"mcp server {self.name!r}: env is for command servers (use headers)")
        if self.command is not None and self.headers:
            raise ValueError(f"mcp server {self.name!r}: headers are for url servers (use env)")
        if isinstance(self.tools, list) and len(self.tools) > MCP_TOOLS_MAX:
            raise ValueError(f"mcp server {self.name!r}: more than {MCP_TOOLS_MAX} tools")
        return self

    @property
    def secrets(self) -> list[str]:
        return sorted({*self.env.values(), *self.headers.values()})

    def allows(self, remote_name: str) -> bool:
        return self.tools == "all" or remote_name in self.tools


def model_tool_name(server: str, remote_name: str) -> str:
    """What the model calls a server's tool: `<server>_<tool>`, lower case, anything but
    [a-z0-9_] as `_`, cut to 64 characters (a clash is refused when tools are declared)."""
    tool = re.sub(r"[^a-z0-9_]", "_", remote_name.lower())
    return f"{server}_{tool}"[:TOOL_NAME_MAX]


def mcp_secrets_problem(servers: list[McpServer], secrets: list[str]) -> str | None:
    """Why the servers' credentials are not all in the agent's `secrets` (one line), or None."""
    for server in servers:
        missing = [name for name in server.secrets if name not in secrets]
        if missing:
            return (
                f"mcp server {server.name!r} uses secret(s) {', '.join(missing)}: "
                "list them under secrets"
            )
    names = [server.name for server in servers]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        return f"mcp server name(s) {', '.join(twice)} given more than once"
    return None


class McpTarget(StrictBody):
    """Where a declared MCP tool lives: its server and its name there."""

    server: McpServer
    remote_name: str = Field(min_length=1, max_length=NAME_MAX_CHARS)
