"""A step's input, from the pipeline's goal, the fan-out item and earlier outputs. Pure code.

A reference is `goal`, `item`, `<step>` or `<step>.<path>` (keys of objects, indexes of
lists). A fan-out step's output is the list of its items' outputs, in item order, with a
marked gap (see `gap`) where an item was skipped.
"""

from typing import Any

from contracts.hashing import canonical_json
from contracts.pipeline import PipelineStep

GOAL = "goal"
ITEM = "item"


class InputMissing(ValueError):
    """A reference that points at nothing: the step cannot be given its input."""


def gap(label: str, reason: str) -> dict[str, Any]:
    """What a skipped step (or item) passes on instead of an output."""
    return {"gap": {"step": label, "reason": reason}}


def resolve(reference: str, goal: str, outputs: dict[str, Any], item: Any = None) -> Any:
    head, *path = reference.split(".")
    if head == GOAL and not path:
        return goal
    if head == ITEM:
        value = item
    elif head in outputs:
        value = outputs[head]
    else:
        raise InputMissing(f"{reference!r}: no earlier step {head!r} has an output")
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise InputMissing(f"{reference!r}: the output has nothing at {part!r}")
    return value


def step_input(
    step: PipelineStep, goal: str, outputs: dict[str, Any], item: Any = None
) -> dict[str, Any]:
    mapping = step.input or ({ITEM: ITEM} if step.for_each else {GOAL: GOAL})
    return {field: resolve(ref, goal, outputs, item) for field, ref in mapping.items()}


def fan_out_items(step: PipelineStep, goal: str, outputs: dict[str, Any]) -> list[Any]:
    assert step.for_each is not None
    items = resolve(step.for_each, goal, outputs)
    if not isinstance(items, list):
        raise InputMissing(f"for_each {step.for_each!r} is not a list")
    return items


def render_goal(step: PipelineStep, goal: str, step_input: dict[str, Any]) -> str:
    """The child's goal: the step's template with `{input}` and `{goal}` filled in."""
    return step.goal.replace("{input}", canonical_json(step_input)).replace("{goal}", goal)
