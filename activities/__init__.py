"""Every side effect of a run: model calls and their providers, tools, the artifact store.

Imports contracts only; workflows read declarations from here, never the reverse."""

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from activities.llm import ModelActivities
    from activities.tools.routes import ToolRoutes


def all_activities(
    models: "ModelActivities", routes: "ToolRoutes | None" = None
) -> list[Callable[..., Any]]:
    """Every activity of a worker; the user's tools must be loaded first
    (activities.tools.registry.load_installed_tools). A tool routed to a pool by its name is
    left out: only that pool's workers run it. (A tool routed by its MCP server or its agent
    stays: other servers and agents use the same activity.)"""
    # Imported here, not with the package: the CLI imports one activities module (the
    # artifact store) and must not pay for every provider, MCP client and tool.
    from activities.broadcast import broadcast_kill_switches
    from activities.ending import request_own_cancel
    from activities.mcp.call import call_mcp_tool
    from activities.references import ReferenceActivities
    from activities.run_log import RunLogActivities
    from activities.run_queue import join_run_queue
    from activities.schedules import pause_if_failing, previous_run
    from activities.tools.activity import tool_activities
    from activities.tools.declare import declare_tools_routed
    from activities.tools.routes import ToolRoutes

    routes = routes or ToolRoutes()
    # The run's first model call declares its tools as `tools.declare` would: with the pools.
    models = dataclasses.replace(models, routes=routes)
    references = ReferenceActivities(models.store)  # the same store as the model calls
    return [
        models.complete,
        references.check_contract,
        references.resolve,
        references.render_goal,
        RunLogActivities(models.store).archive,
        broadcast_kill_switches,
        join_run_queue,
        request_own_cancel,
        declare_tools_routed(routes),
        call_mcp_tool,
        previous_run,
        pause_if_failing,
        *tool_activities(lambda name: name not in routes.tools),
    ]
