"""Evaluation suites: YAML files of cases run against an agent (`overseer eval`). Paths are
relative to the suite file; every level refuses unknown keys:

    agent: ../agents/demo.yaml
    threshold: 0.9                  # the pass rate below which `overseer eval` fails
    cases:
      - name: writes-the-report
        goal: Summarize the notes
        approve: auto               # auto | reject | [{tool: write_file, verdict: approve}]
        expect:
          answer: {contains: out/report.md}
          tools_called: [list_files, {tool: write_file, args: {path: out/report.md}}]
          approvals_requested: [write_file]
          state: completed
          max_steps: 8
      - name: offline-regression
        goal: Summarize the notes
        cassette: demo.cassette.json  # or script: [{say: ...}]; default: the agent's model
"""

from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import re2
from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from contracts.errors import OverseerError, validation_problem
from contracts.limits import GOAL_MAX_CHARS, PATH_MAX_CHARS, SPEC_MAX_STEPS
from contracts.model_io import ModelSpec, ScriptTurn
from contracts.strict import Name, Reason, StrictBody
from starters.files.checks import checked_output_schema
from starters.files.schedule_file import duration
from starters.files.yaml_file import read_yaml

CASES_MAX = 200
FILES_MAX = 100
LIST_MAX = 100
TEXT_MAX = 10_000
CaseName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
RelativePath = Annotated[str, StringConstraints(min_length=1, max_length=PATH_MAX_CHARS)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]


class ToolExpectation(StrictBody):
    """A tool call: by this tool, with arguments that include these (a subset match)."""

    tool: Name
    args: dict[str, Any] = Field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.tool}({_args_text(self.args)})" if self.args else self.tool


def _args_text(args: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in args.items())[:200]


def _tool_expectations(value: Any) -> Any:
    """`write_file` is short for {tool: write_file}."""
    if isinstance(value, list):
        return [{"tool": item} if isinstance(item, str) else item for item in value]
    return value


class AnswerExpectation(StrictBody):
    contains: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    not_contains: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    # RE2 syntax: matched in linear time, whatever the pattern or the answer.
    regex: Text | None = None
    equals: Text | None = None
    json_schema: dict[str, Any] | None = None

    @field_validator("contains", "not_contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re2.compile(pattern)
            except re2.error as error:
                raise ValueError(f"not an RE2 regular expression: {error}") from None
        return pattern

    @field_validator("json_schema")
    @classmethod
    def _schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return checked_output_schema(schema)


class Expectations(StrictBody):
    answer: AnswerExpectation | None = None
    tools_called: list[ToolExpectation] = Field(default_factory=list, max_length=LIST_MAX)
    tools_not_called: list[ToolExpectation] = Field(default_factory=list, max_length=LIST_MAX)
    # The tools whose calls asked for approval, in order (exactly these).
    approvals_requested: list[Name] | None = Field(default=None, max_length=LIST_MAX)
    state: Literal["completed", "failed", "canceled", "rolled_back", "blocked"] | None = None
    max_steps: int | None = Field(default=None, ge=1, le=SPEC_MAX_STEPS)
    max_tokens: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, ge=0)
    max_wall_seconds: float | None = Field(default=None, gt=0)

    @field_validator("tools_called", "tools_not_called", mode="before")
    @classmethod
    def _short_tools(cls, value: Any) -> Any:
        return _tool_expectations(value)


class ApprovalRule(StrictBody):
    """The suite's verdict on a pending call of this tool (with these arguments, a subset)."""

    tool: Name
    args: dict[str, Any] = Field(default_factory=dict)
    verdict: Literal["approve", "reject"]
    reason: Reason = ""


class JudgeCriteria(StrictBody):
    """An LLM judge reads the final answer against the rubric: a run of the judge agent."""

    rubric: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]


class JudgeModel(StrictBody):
    # The judge's model (a small, cheap one; the scripted provider plays it offline).
    model: ModelSpec


class CaseDefinition(StrictBody):
    name: CaseName
    goal: Annotated[str, StringConstraints(min_length=1, max_length=GOAL_MAX_CHARS)]
    # The per-case workspace starts as a copy of this directory (default: the agent's).
    workspace: RelativePath | None = None
    # Files put in the case's workspace: workspace path -> file (relative to the suite).
    files: dict[RelativePath, RelativePath] = Field(default_factory=dict, max_length=FILES_MAX)
    script: list[ScriptTurn] | None = Field(default=None, min_length=1, max_length=SPEC_MAX_STEPS)
    cassette: RelativePath | None = None
    approve: Literal["auto", "reject"] | list[ApprovalRule] = "reject"
    expect: Expectations = Field(default_factory=Expectations)
    judge: JudgeCriteria | None = None
    # How long the case may take before its run is canceled: 30s, 5m, ...
    timeout: str = "5m"

    @field_validator("files")
    @classmethod
    def _inside_workspace(cls, files: dict[str, str]) -> dict[str, str]:
        for target in files:
            path = PurePosixPath(target)
            if path.is_absolute() or ".." in path.parts or "\\" in target:
                raise ValueError(f"{target[:80]!r} is not a relative path inside the workspace")
        return files

    @field_validator("timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        duration(value)
        return value

    @model_validator(mode="after")
    def _one_model_source(self) -> "CaseDefinition":
        if self.script is not None and self.cassette is not None:
            raise ValueError("give at most one of script and cassette")
        return self

    @property
    def timeout_seconds(self) -> float:
        return duration(self.timeout).total_seconds()


class SuiteFile(StrictBody):
    name: CaseName | None = None
    agent: RelativePath
    threshold: float = Field(default=1.0, ge=0, le=1)
    # Every case's workspace seed unless it names its own (default: the agent's workspace).
    workspace: RelativePath | None = None
    judge: JudgeModel | None = None
    cases: list[CaseDefinition] = Field(min_length=1, max_length=CASES_MAX)

    @model_validator(mode="after")
    def _checked(self) -> "SuiteFile":
        names = [case.name for case in self.cases]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"case {name!r} is defined twice")
        if self.judge is None and any(case.judge for case in self.cases):
            raise ValueError("a case has judge criteria: give the suite a judge: {model: ...}")
        return self


class Suite(BaseModel):
    """A suite file as read: paths absolute, its name (the file's, by default) set."""

    name: CaseName
    path: Path
    agent: Path
    threshold: float
    judge: JudgeModel | None
    cases: list[CaseDefinition]


def _resolved(base: Path, case: CaseDefinition, workspace: str | None) -> CaseDefinition:
    def absolute(text: str) -> str:
        return str((base / text).resolve())

    seed = case.workspace or workspace
    return case.model_copy(
        update={
            "workspace": absolute(seed) if seed else None,
            "files": {target: absolute(source) for target, source in case.files.items()},
            "cassette": absolute(case.cassette) if case.cassette else None,
        }
    )


def load_suite(path: Path, agent: Path | None = None) -> Suite:
    """The suite in `path` (with `agent` instead of the one it names, if given); a bad one is
    one line naming the file and the field."""
    raw = read_yaml(path, "eval suite")
    try:
        parsed = SuiteFile.model_validate(raw)
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error, '(top level)')}") from None
    base = path.parent
    name = parsed.name or _stem_name(path)
    return Suite(
        name=name,
        path=path.resolve(),
        agent=(agent or base / parsed.agent).resolve(),
        threshold=parsed.threshold,
        judge=parsed.judge,
        cases=[_resolved(base, case, parsed.workspace) for case in parsed.cases],
    )


def _stem_name(path: Path) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in path.stem)[:100]
    return cleaned.lstrip("._-") or "suite"
