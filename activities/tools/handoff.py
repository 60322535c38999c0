"""`handoff`: hand the task to a human (the run waits for a reply) or to another agent.

Declared here so models see its schema and the gate validates its arguments; the workflow
carries it out itself (workflows/run/handoff.py), so its activity never runs.
"""

from activities.errors import tool_refused
from activities.tools.base import ToolContext, ToolDefinition
from contracts.handoff import HANDOFF_TOOL, HandoffRequest
from contracts.tools import SideEffect


async def _not_an_activity(args: HandoffRequest, ctx: ToolContext) -> str:
    raise tool_refused("handoff is carried out by the run itself, not as an activity")


HANDOFF = ToolDefinition(
    name=HANDOFF_TOOL,
    description=(
        'Hand the task to a human (to: "human"; you get their reply) or to another agent '
        "(to: its name; your run ends and that agent continues). Say why."
    ),
    input_model=HandoffRequest,
    side_effect=SideEffect.READ,
    run=_not_an_activity,
    summary_arg="to",
)
