"""Pipeline files: YAML naming steps, each an agent file with its input mapping and output
contract -> a PipelineSpec. Agent files are relative to the pipeline file."""

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from contracts.errors import OverseerError, validation_problem
from contracts.limits import DESCRIPTION_MAX_CHARS, GOAL_MAX_CHARS, NAME_MAX_CHARS, PATH_MAX_CHARS
from contracts.pipeline import FailurePolicy, PipelineSpec, PipelineStep
from contracts.pipeline_inputs import GOAL, ITEM
from contracts.spec import RunSpec
from contracts.strict import StrictBody
from starters.files.agent_file import load_agent_file, run_spec
from starters.files.checks import checked_output_schema
from starters.files.size import check_size
from starters.files.yaml_file import read_yaml

AgentPath = Annotated[str, Field(min_length=1, max_length=PATH_MAX_CHARS)]
Reference = Annotated[str, Field(min_length=1, max_length=NAME_MAX_CHARS)]


class StepEntry(StrictBody):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=NAME_MAX_CHARS)
    agent: AgentPath  # agent file
    goal: str = Field(default="{input}", max_length=GOAL_MAX_CHARS)
    input: dict[Reference, Reference] = Field(default_factory=dict, max_length=100)
    output_schema: dict[str, Any] | None = None
    for_each: Reference | None = None
    concurrency: int = Field(default=1, ge=1, le=100)
    on_failure: FailurePolicy = "fail"
    fallback: AgentPath | None = None  # agent file

    @field_validator("output_schema")
    @classmethod
    def _schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return checked_output_schema(schema)


class PipelineFile(StrictBody):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=NAME_MAX_CHARS)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_CHARS)
    # Agent files a step may hand its task to (step and fallback agents need not be listed).
    agents: list[AgentPath] = Field(default_factory=list, max_length=100)
    steps: list[StepEntry] = Field(min_length=1, max_length=100)
    max_handoffs: int = Field(default=3, ge=0, le=20)
    # Continue as new after this many children per history segment (see PipelineSpec).
    continue_as_new_after_children: int | None = Field(default=None, ge=1, le=100_000)


def is_pipeline_file(path: Path) -> bool:
    """A pipeline file has `steps:`; an agent file never does."""
    if not path.is_file():
        return False  # the agent file loader says what is wrong
    return "steps" in read_yaml(path)


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
    raw = read_yaml(path, "pipeline file")
    try:
        pipeline = PipelineFile.model_validate(raw)
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error, '(top level)')}") from None
    _check_references(path, pipeline)
    if len(goal) > GOAL_MAX_CHARS:
        raise OverseerError(f"--goal is {len(goal)} characters, more than {GOAL_MAX_CHARS}")

    def agent(file: str, where: str) -> RunSpec:
        try:
            loaded, workspace = load_agent_file(path.parent / file)
            # The pipeline renders each child's goal; this one is a placeholder.
            return run_spec(loaded, workspace, goal=goal, requester=requester, trace_id=trace_id)
        except OverseerError as error:  # named from the pipeline file down to the problem
            raise OverseerError(f"{path}: {where}: {error}") from None

    steps = [
        PipelineStep(
            name=entry.name,
            agent=agent(entry.agent, f"steps.{index}.agent"),
            goal=entry.goal,
            input=entry.input,
            output_schema=entry.output_schema,
            for_each=entry.for_each,
            concurrency=entry.concurrency,
            on_failure=entry.on_failure,
            fallback=agent(entry.fallback, f"steps.{index}.fallback") if entry.fallback else None,
        )
        for index, entry in enumerate(pipeline.steps)
    ]
    agents = {
        spec.agent: spec
        for spec in (agent(file, f"agents.{i}") for i, file in enumerate(pipeline.agents))
    }
    try:
        spec = PipelineSpec(
            name=pipeline.name,
            goal=goal,
            steps=steps,
            agents=agents,
            requester=requester,
            trace_id=trace_id,
            max_handoffs=pipeline.max_handoffs,
            continue_as_new_after_children=pipeline.continue_as_new_after_children,
        )
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error)}") from None
    check_size(spec, path, "pipeline spec")
    return spec
