"""Values passed by reference between a pipeline's steps, and the inputs of the activities
that look inside them. A large output stays in the artifact store; workflow code holds only
a tagged reference (`{"$artifact": {...}}`) in its place."""

from typing import Any

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef

REF_KEY = "$artifact"
JSON_MEDIA_TYPE = "application/json"


def by_reference(ref: ArtifactRef) -> dict[str, Any]:
    """The tagged value standing for a stored payload (JSON if its media type says so)."""
    return {REF_KEY: ref.model_dump()}


def reference_in(value: Any) -> ArtifactRef | None:
    """The reference if `value` is a tagged one, else None."""
    if isinstance(value, dict) and len(value) == 1 and REF_KEY in value:
        return ArtifactRef.model_validate(value[REF_KEY])
    return None


def holds_reference(value: Any) -> bool:
    if reference_in(value) is not None:
        return True
    if isinstance(value, dict):
        return any(holds_reference(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_reference(item) for item in value)
    return False


class ContractCheck(BaseModel):
    """Does the stored answer satisfy the schema?"""

    answer: ArtifactRef
    output_schema: dict[str, Any]


class ContractVerdict(BaseModel):
    violation: str | None = None  # None: the answer satisfies the schema


class ResolveRequest(BaseModel):
    """The value at `path` inside a stored JSON payload."""

    ref: ArtifactRef
    path: list[str] = Field(default_factory=list)
    # For a fan-out: the value must be a list, returned item by item.
    as_list: bool = False


class Resolved(BaseModel):
    # Small values inline, large ones as tagged references (see `by_reference`); a list
    # (as_list) holds each item that way.
    value: Any = None


class GoalRequest(BaseModel):
    """A child's goal, from the step's template and an input that holds references."""

    template: str
    goal: Any  # the pipeline's goal; or a stored goal (tagged reference) to add a note to
    input: dict[str, Any] = Field(default_factory=dict)
    suffix: str = ""  # appended as is, after the template is filled in (a handoff's note)


class RenderedGoal(BaseModel):
    text: str  # the whole goal, or a preview of it when `artifact` is set
    artifact: ArtifactRef | None = None
