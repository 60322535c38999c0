"""Every side effect of a run: model calls and tools."""

from collections.abc import Callable
from typing import Any

from activities.llm import complete
from activities.tools.activity import TOOL_ACTIVITIES


def all_activities() -> list[Callable[..., Any]]:
    return [complete, *TOOL_ACTIVITIES]
