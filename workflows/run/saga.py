"""Rollback: undo a run's completed irreversible steps, newest first, each recorded."""

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ActivityError

from contracts.events import EventKind
from contracts.retries import ActivityPolicy
from contracts.tools import ToolInvocation, ToolResult
from workflows.common.activity_options import activity_options
from workflows.common.failures import message_of
from workflows.run.step_book import StepBook

Record = Callable[[EventKind, str, list[str]], object]


async def roll_back(
    steps: StepBook,
    *,
    run_id: str,
    workspace: str,
    policy_for: Callable[[str], ActivityPolicy],
    record: Record,
) -> list[str]:
    """Run each compensation in reverse order; returns the steps left uncompensated."""
    uncompensated: list[str] = []
    for step in reversed(steps.completed_irreversible()):
        label = f"step {step.index} ({step.summary})"
        evidence = [step.call_id or "", step.idempotency_key or ""]
        if step.compensation is None:
            uncompensated.append(f"{label}: no compensation declared")
            record(EventKind.COMPENSATION_FAILED, f"{label}: no compensation declared", evidence)
            continue
        undo = steps.begin(
            turn=step.turn,
            kind="compensation",
            name=step.name,
            summary=f"undo {step.summary}",
            side_effect="irreversible",
            call_id=step.call_id,
            idempotency_key=step.idempotency_key,
            args=step.args,
            task_queue=step.task_queue,
        )
        try:
            result: ToolResult = await workflow.execute_activity(
                step.compensation,
                ToolInvocation(
                    run_id=run_id,
                    call_id=step.call_id or "",
                    # The original call's key: the compensation finds what that call did.
                    idempotency_key=step.idempotency_key or "",
                    workspace=workspace,
                    step=step.turn,
                    args=step.args,
                ),
                result_type=ToolResult,
                activity_id=undo.activity_id,
                summary=f"undo {step.summary}",
                task_queue=step.task_queue,  # the tool's pool: it holds the credentials
                **activity_options(policy_for(step.name)),
            )
        except ActivityError as error:
            steps.finish(undo, "failed")
            uncompensated.append(f"{label}: {message_of(error)}")
            record(EventKind.COMPENSATION_FAILED, f"{label}: {message_of(error)}", evidence)
            continue
        steps.finish(undo, "completed")
        record(EventKind.COMPENSATED, f"{label}: {result.summary}", evidence)
    return uncompensated
