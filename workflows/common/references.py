"""Workflow side of payloads passed by reference: each look inside a stored payload is an
activity, so workflow code stays free of I/O and large payloads stay out of history."""

from typing import Any

from temporalio import workflow

from contracts.artifacts import ArtifactRef
from contracts.pipeline_inputs import render_goal
from contracts.references import (
    ContractCheck,
    ContractVerdict,
    GoalRequest,
    RenderedGoal,
    Resolved,
    ResolveRequest,
    holds_reference,
)
from contracts.retries import ActivityPolicy
from workflows.common.activity_options import activity_options

with workflow.unsafe.imports_passed_through():
    from activities.references import (
        CHECK_CONTRACT_ACTIVITY,
        RENDER_GOAL_ACTIVITY,
        RESOLVE_ACTIVITY,
    )

# Reading the artifact store is quick: a short timeout, a few attempts.
POLICY = ActivityPolicy(start_to_close_seconds=30.0, max_attempts=3)


async def stored_answer_violation(answer: ArtifactRef, schema: dict[str, Any]) -> str | None:
    """What is wrong with the stored answer under `schema`, or None."""
    verdict: ContractVerdict = await workflow.execute_activity(
        CHECK_CONTRACT_ACTIVITY,
        ContractCheck(answer=answer, output_schema=schema),
        result_type=ContractVerdict,
        summary=f"check the {answer.size}-byte answer against its contract",
        **activity_options(POLICY),
    )
    return verdict.violation


async def resolve_stored(ref: ArtifactRef, path: list[str], as_list: bool = False) -> Any:
    """The value at `path` inside a stored JSON payload (large parts stay by reference)."""
    where = ".".join(path) or "(whole)"
    resolved: Resolved = await workflow.execute_activity(
        RESOLVE_ACTIVITY,
        ResolveRequest(ref=ref, path=path, as_list=as_list),
        result_type=Resolved,
        summary=f"read {where} of stored output {str(ref)[:19]}",
        **activity_options(POLICY),
    )
    return resolved.value


async def child_goal(
    template: str, goal: Any, step_input: dict[str, Any], suffix: str = ""
) -> tuple[str, ArtifactRef | None]:
    """The child's goal text, and its whole content's reference if the text is a preview.
    `goal` is the pipeline's goal, or a stored goal (a tagged reference)."""
    if isinstance(goal, str) and not holds_reference(step_input):
        return render_goal(template, goal, step_input) + suffix, None
    rendered: RenderedGoal = await workflow.execute_activity(
        RENDER_GOAL_ACTIVITY,
        GoalRequest(template=template, goal=goal, input=step_input, suffix=suffix),
        result_type=RenderedGoal,
        summary="render the goal from stored outputs",
        **activity_options(POLICY),
    )
    return rendered.text, rendered.artifact
