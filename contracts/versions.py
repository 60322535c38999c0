"""Agent versions: a content hash of everything that shapes an agent's behaviour.

What the agent file resolves to (instructions, model and fallbacks, tools, MCP servers,
secrets it may use, policy, budget, output contract, retries) and the declarations of the
tools the workers gave it, so the same agent file run against changed tools is another
version. Not in it: what varies per run (goal, requester, workspace, trace, queue, schedule)
and comments or key order in the file. Pure code: the workflow computes it when it knows
its tools (pinned in the spec of its later segments).
"""

import hashlib
from typing import TYPE_CHECKING, Any

from contracts.hashing import canonical_json
from contracts.tools import ToolDeclaration

if TYPE_CHECKING:
    from contracts.spec import RunSpec

# Fields of a RunSpec that do not shape behaviour: they vary per run or per deployment.
PER_RUN = frozenset(
    {
        "goal",
        "goal_artifact",
        "requester",
        "workspace",
        "trace_id",
        "retry_of",
        "queue",
        "carried",
        "schedule",
        "agent_version",
        "release",
        "continue_as_new_after_steps",
    }
)
VERSION_PREFIX = "v"
VERSION_HEX = 12


def behaviour(spec: "RunSpec") -> dict[str, Any]:
    """The parts of the spec that shape behaviour, as plain JSON data."""
    data = spec.model_dump(mode="json")
    return {name: value for name, value in data.items() if name not in PER_RUN}


def agent_version(spec: "RunSpec", tools: list[ToolDeclaration]) -> str:
    """`v` and 12 hex digits of the SHA-256 of the behaviour and the tool declarations."""
    declared = sorted((tool.full_json() for tool in tools), key=lambda t: t["name"])
    text = canonical_json({"spec": behaviour(spec), "tools": declared})
    return VERSION_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:VERSION_HEX]
