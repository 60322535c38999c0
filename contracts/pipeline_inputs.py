"""A step's input, from the pipeline's goal, the fan-out item and earlier outputs. Pure code.

A reference is `goal`, `item`, `<step>` or `<step>.<path>` (keys of objects, indexes of
lists). A large output is held as a tagged reference (contracts.references): looking
inside it raises ByReference, and workflow code asks an activity. A fan-out step's output
is the list of its items' outputs, in item order, with a marked gap (see `gap`) where an
item was skipped.
"""

from typing import Any

from contracts.artifacts import ArtifactRef
from contracts.hashing import canonical_json
from contracts.pipeline import PipelineStep
from contracts.references import reference_in

GOAL = "goal"
ITEM = "item"


class InputMissing(ValueError):
    """A reference that points at nothing: the step cannot be given its input."""


class ByReference(Exception):
    """The path goes inside a stored payload: only an activity may read it."""

    def __init__(self, ref: ArtifactRef, path: list[str]) -> None:
        super().__init__(f"{path} inside artifact {ref}")
        self.ref = ref
        self.path = path


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
    for index, part in enumerate(path):
        stored = reference_in(value)
        if stored is not None:
            raise ByReference(stored, path[index:])
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise InputMissing(f"{reference!r}: the output has nothing at {part!r}")
    return value


def input_mapping(step: PipelineStep) -> dict[str, str]:
    """Input field -> reference, with the default for a step that names none."""
    return step.input or ({ITEM: ITEM} if step.for_each else {GOAL: GOAL})


def step_input(
    step: PipelineStep, goal: str, outputs: dict[str, Any], item: Any = None
) -> dict[str, Any]:
    mapping = input_mapping(step)
    return {field: resolve(ref, goal, outputs, item) for field, ref in mapping.items()}


def fan_out_items(step: PipelineStep, goal: str, outputs: dict[str, Any]) -> list[Any]:
    assert step.for_each is not None
    items = resolve(step.for_each, goal, outputs)
    stored = reference_in(items)
    if stored is not None:
        raise ByReference(stored, [])
    if not isinstance(items, list):
        raise InputMissing(f"for_each {step.for_each!r} is not a list")
    return items


def render_goal(template: str, goal: str, step_input: dict[str, Any]) -> str:
    """The child's goal: the step's template with `{input}` and `{goal}` filled in."""
    return template.replace("{input}", canonical_json(step_input)).replace("{goal}", goal)
