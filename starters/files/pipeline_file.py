"""Pipeline files: YAML naming steps, each an agent file with its input mapping and output
contract -> a PipelineSpec. Agent files are relative to the pipeline file."""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import OverseerError
from contracts.pipeline import FailurePolicy, PipelineSpec, PipelineStep
from contracts.pipeline_inputs import GOAL, ITEM
from contracts.spec import RunSpec
from starters.files.agent_file import load_agent_file, run_spec
from starters.files.yaml_file import read_yaml


class StepEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    agent: str  # agent file
    goal: str = "{input}"
    input: dict[str, str] = Field(default_factory=dict)
    output_schema: dict[str, Any] | None = None
    for_each: str | None = None
    concurrency: int = Field(default=1, ge=1, le=100)
    on_failure: FailurePolicy = "fail"
    fallback: str | None = None  # agent file


class PipelineFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    # Agent files a step may hand its task to (step and fallback agents need not be listed).
    agents: list[str] = Field(default_factory=list)
    steps: list[StepEntry] = Field(min_length=1)
    max_handoffs: int = Field(default=3, ge=0, le=20)
    # Continue as new after this many children per history segment (see PipelineSpec).
    continue_as_new_after_children: int | None = Field(default=None, ge=1)


def is_pipeline_file(path: Path) -> bool:
    """A pipeline file has `steps:`; an agent file never does."""
    if not path.is_file():
        return False  # the agent file loader says what is wrong
    raw = read_yaml(path)
    return isinstance(raw, dict) and "steps" in raw


def _check_references(path: Path, pipeline: PipelineFile) -> None:
    earlier: set[str] = set()
    for step in pipeline.steps:
        if step.name in earlier:
            raise OverseerError(f"{path}: step {step.name!r} is named twice")
        refs = [*step.input.values(), *([step.for_each] if step.for_each else [])]
        for ref in refs:
            head = ref.split(".")[0]
            allowed = (
                earlier | {GOAL} | ({ITEM} if step.for_each and ref != step.for_each else set())
            )
            if head not in allowed:
                raise OverseerError(
                    f"{path}: step {step.name!r} refers to {ref!r}, which is not the goal, "
                    "the fan-out item or an earlier step"
                )
        if (step.on_failure == "fallback") != (step.fallback is not None):
            raise OverseerError(
                f"{path}: step {step.name!r}: on_failure: fallback needs a fallback agent file "
                "(and a fallback agent file needs on_failure: fallback)"
            )
        earlier.add(step.name)


def load_pipeline_file(path: Path, *, goal: str, requester: str, trace_id: str) -> PipelineSpec:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise OverseerError(f"{path}: expected a mapping of pipeline settings at the top level")
    try:
        pipeline = PipelineFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise OverseerError(f"{path}: {where}: {first['msg']}") from None
    _check_references(path, pipeline)

    def agent(file: str) -> RunSpec:
        loaded, workspace = load_agent_file(path.parent / file)
        # The pipeline renders each child's goal; this one is a placeholder.
        return run_spec(loaded, workspace, goal=goal, requester=requester, trace_id=trace_id)

    steps = [
        PipelineStep(
            name=entry.name,
            agent=agent(entry.agent),
            goal=entry.goal,
            input=entry.input,
            output_schema=entry.output_schema,
            for_each=entry.for_each,
            concurrency=entry.concurrency,
            on_failure=entry.on_failure,
            fallback=agent(entry.fallback) if entry.fallback else None,
        )
        for entry in pipeline.steps
    ]
    agents = {spec.agent: spec for spec in (agent(file) for file in pipeline.agents)}
    return PipelineSpec(
        name=pipeline.name,
        goal=goal,
        steps=steps,
        agents=agents,
        requester=requester,
        trace_id=trace_id,
        max_handoffs=pipeline.max_handoffs,
        continue_as_new_after_children=pipeline.continue_as_new_after_children,
    )
