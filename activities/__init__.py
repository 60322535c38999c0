"""Every side effect of a run: model calls and tools."""

from collections.abc import Callable
from typing import Any

from activities.broadcast import broadcast_kill_switches
from activities.llm import ModelActivities
from activities.tools.activity import TOOL_ACTIVITIES


def all_activities(models: ModelActivities) -> list[Callable[..., Any]]:
    return [models.complete, broadcast_kill_switches, *TOOL_ACTIVITIES]
