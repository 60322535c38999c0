"""Which task queue runs which tools: the worker config's tool pools, as the `tools.declare`
activity applies them to a run's declarations (workers/config.py `tool_pools`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.tools import ToolDeclaration


@dataclass(frozen=True)
class ToolRoutes:
    # Pool task queues by tool name, by MCP server name and by agent name.
    tools: Mapping[str, str] = field(default_factory=dict)
    mcp_servers: Mapping[str, str] = field(default_factory=dict)
    agents: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.tools or self.mcp_servers or self.agents)

    def queue_for(self, declared: ToolDeclaration, agent: str) -> str | None:
        """The most specific route wins: the tool itself, then its MCP server, then the
        agent whose run calls it. None: the run's own task queue."""
        if declared.name in self.tools:
            return self.tools[declared.name]
        if declared.mcp is not None and declared.mcp.server.name in self.mcp_servers:
            return self.mcp_servers[declared.mcp.server.name]
        return self.agents.get(agent)
