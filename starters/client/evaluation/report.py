"""A suite's results: per case (expected, observed, verdict, run id) and in aggregate, as
JSON (`--json`) and JUnit XML (`--junit`)."""

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from pydantic import BaseModel, Field, computed_field

from contracts.errors import OverseerError, one_line
from starters.client.evaluation.observation import Observation


class CheckResult(BaseModel):
    expected: str
    met: bool
    observed: str


class CaseResult(BaseModel):
    case: str
    passed: bool
    # The first unmet expectation and what the run showed instead (all of them: `checks`).
    expected: str
    observed: str
    run_id: str | None = None
    checks: list[CheckResult] = Field(default_factory=list)
    observation: Observation | None = None
    # The case could not start or be judged (no run, or a judge that failed).
    error: str | None = None

    @property
    def reason(self) -> str:
        return f"expected {self.expected}; observed {self.observed}"


class SuiteReport(BaseModel):
    suite: str
    agent: str
    threshold: float
    cases: list[CaseResult]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.passed)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.cases) if self.cases else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def below_threshold(self) -> bool:
        return self.pass_rate < self.threshold

    def _observed(self) -> list[Observation]:
        return [case.observation for case in self.cases if case.observation is not None]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cost_usd(self) -> float:
        return sum(seen.cost_usd for seen in self._observed())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_steps(self) -> float:
        seen = self._observed()
        return sum(s.steps for s in seen) / len(seen) if seen else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_wall_seconds(self) -> float:
        seen = self._observed()
        return sum(s.wall_seconds for s in seen) / len(seen) if seen else 0.0

    def summary(self) -> str:
        return (
            f"{self.passed} passed, {self.failed} failed (pass rate {self.pass_rate:.0%}, "
            f"threshold {self.threshold:.0%})"
        )

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def to_junit(self) -> str:
        suite = ElementTree.Element(
            "testsuite",
            name=self.suite,
            tests=str(len(self.cases)),
            failures=str(sum(1 for c in self.cases if not c.passed and c.error is None)),
            errors=str(sum(1 for c in self.cases if c.error is not None)),
        )
        for case in self.cases:
            seconds = case.observation.wall_seconds if case.observation else 0.0
            element = ElementTree.SubElement(
                suite, "testcase", name=case.case, classname=self.suite, time=f"{seconds:.3f}"
            )
            if case.error is not None:
                ElementTree.SubElement(element, "error", message=one_line(case.error))
            elif not case.passed:
                failure = ElementTree.SubElement(element, "failure", message=one_line(case.reason))
                unmet = [c for c in case.checks if not c.met]
                lines = [f"expected {c.expected}; observed {c.observed}" for c in unmet]
                failure.text = "\n".join(lines)
            ElementTree.SubElement(element, "system-out").text = f"run id: {case.run_id or '-'}"
        return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise OverseerError(one_line(f"cannot write {path}: {error.strerror}")) from None
