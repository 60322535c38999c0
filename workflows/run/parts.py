"""What every part of AgentRun (engine.py) shares: the state the run holds and the
two methods that record what happens. The mixins (turn, approval wait, decisions, controls,
holds, queue slot, handoffs) subclass it instead of each declaring them again.

Declarations only: the methods exist for type checking alone, so nothing here can shadow
AgentRun's real ones in the MRO.
"""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from contracts.approvals import CancelRequest
from contracts.artifacts import ArtifactRef
from contracts.budget import OperatorNote
from contracts.events import EventKind, RunEvent
from contracts.kill_switch import KillSwitches
from contracts.model_io import Message
from contracts.snapshot import BudgetUsage
from contracts.spec import RunSpec
from contracts.states import RunState
from contracts.tools import ToolDeclaration
from workflows.run.approval_book import ApprovalBook
from workflows.run.ledger import RunLedger
from workflows.run.metrics import RunMetrics
from workflows.run.step_book import StepBook

Body = TypeVar("Body", bound=BaseModel)


class RunParts:
    _spec: RunSpec
    _ledger: RunLedger
    _budget: BudgetUsage
    _metrics: RunMetrics
    _approvals: ApprovalBook
    _steps: StepBook
    _unsent: list[Message]
    _conversation: ArtifactRef | None
    _final_answer: str | None
    _paused: OperatorNote | None
    _kill_switches: KillSwitches
    _blocked_reason: str | None
    _cancel_request: CancelRequest | None
    _drive_task: "asyncio.Task[None] | None"
    _output_attempts: int
    # The tools declared at the run's start, by name (contracts.tools.ToolDeclaration).
    _tools: dict[str, ToolDeclaration]

    if TYPE_CHECKING:

        def _move(
            self,
            target: RunState,
            actor: str,
            detail: str = "",
            evidence: list[str] | None = None,
        ) -> None: ...

        def _note(
            self, kind: EventKind, actor: str, detail: str, evidence: list[str] | None = None
        ) -> RunEvent: ...

        # From RunControls: refused when the run has ended or is being canceled, and a
        # signal's loose body parsed, checked and applied (or recorded as refused).
        def _check_not_ended(self) -> None: ...

        def _signal_control(
            self,
            name: str,
            body: Any,
            model: type[Body],
            check: Callable[[Body], None],
            apply: Callable[[Body], Any],
        ) -> None: ...
