"""Data contracts shared by workflows, activities and starters. Imports nothing heavy."""

from contracts.approvals import ApprovalRequest, CancelRequest, Decision, DecisionReceipt
from contracts.events import EventKind, RunEvent
from contracts.hashing import action_hash, canonical_json
from contracts.model_io import (
    Message,
    ModelRequest,
    ModelResponse,
    ModelSpec,
    ScriptTurn,
    ToolCall,
    ToolSchema,
    Usage,
)
from contracts.snapshot import BudgetUsage, EventsQuery, RunResult, RunSnapshot
from contracts.spec import BudgetSpec, PolicySpec, RunSpec
from contracts.states import TERMINAL_STATES, RunState
from contracts.tools import SideEffect, ToolInvocation, ToolResult

TASK_QUEUE = "overseer"
WORKFLOW_NAME = "AgentRunWorkflow"

__all__ = [
    "TASK_QUEUE",
    "TERMINAL_STATES",
    "WORKFLOW_NAME",
    "ApprovalRequest",
    "BudgetSpec",
    "BudgetUsage",
    "CancelRequest",
    "Decision",
    "DecisionReceipt",
    "EventKind",
    "EventsQuery",
    "Message",
    "ModelRequest",
    "ModelResponse",
    "ModelSpec",
    "PolicySpec",
    "RunEvent",
    "RunResult",
    "RunSnapshot",
    "RunSpec",
    "RunState",
    "ScriptTurn",
    "SideEffect",
    "ToolCall",
    "ToolInvocation",
    "ToolResult",
    "ToolSchema",
    "Usage",
    "action_hash",
    "canonical_json",
]
