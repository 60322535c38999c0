"""A step item's input and its child's goal: pure where the values are inline, through an
activity (workflows/common/references.py) where they are stored. Workflow code."""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.exceptions import ActivityError

from contracts.artifacts import ArtifactRef
from contracts.pipeline import PipelineStep
from contracts.pipeline_inputs import (
    ByReference,
    InputMissing,
    fan_out_items,
    input_mapping,
    resolve,
)
from contracts.references import by_reference
from workflows.common.failures import message_of
from workflows.common.references import child_goal, resolve_stored

# The goal a child gets: its text, and the whole goal's reference if the text is a preview.
Goal = tuple[str, ArtifactRef | None]
MakeInput = Callable[[], Awaitable[dict[str, Any]]]


async def fan_out_values(step: PipelineStep, goal: str, outputs: dict[str, Any]) -> list[Any]:
    try:
        return fan_out_items(step, goal, outputs)
    except ByReference as stored:
        values = await _read_stored(stored, as_list=True)
        assert isinstance(values, list)
        return values


async def item_input(
    step: PipelineStep, goal: str, outputs: dict[str, Any], item: Any = None
) -> dict[str, Any]:
    found = {}
    for field, reference in input_mapping(step).items():
        try:
            found[field] = resolve(reference, goal, outputs, item)
        except ByReference as stored:
            found[field] = await _read_stored(stored)
    return found


async def child_goal_of(step: PipelineStep, goal: str, make_input: MakeInput) -> Goal:
    step_input = await make_input()
    try:
        return await child_goal(step.goal, goal, step_input)
    except ActivityError as error:
        raise InputMissing(message_of(error)) from None


async def handed_over(goal: Goal, note: str) -> Goal:
    """The goal with a handoff's note added; a stored goal is stored again with it."""
    text, stored = goal
    if stored is None:
        return f"{text}\n\n{note}", None
    return await child_goal("{goal}", by_reference(stored), {}, suffix=f"\n\n{note}")


async def _read_stored(stored: ByReference, as_list: bool = False) -> Any:
    try:
        return await resolve_stored(stored.ref, stored.path, as_list)
    except ActivityError as error:
        raise InputMissing(message_of(error)) from None
