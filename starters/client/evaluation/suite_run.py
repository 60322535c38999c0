"""Run a suite: pydantic-evals runs the cases (each a real Overseer run) up to the given
concurrency and judges them with the suite's evaluators; its report becomes ours."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator
from pydantic_evals.reporting import EvaluationReport, ReportCase
from temporalio.client import Client

from starters.client.evaluation.case_run import CaseRun, approver_of
from starters.client.evaluation.checks import MeetsExpectations
from starters.client.evaluation.judge import Judge, MeetsRubric
from starters.client.evaluation.observation import Observation
from starters.client.evaluation.report import CaseResult, CheckResult, SuiteReport
from starters.files.eval_suite import CaseDefinition, Suite

Report = EvaluationReport[CaseDefinition, Observation, None]


@contextmanager
def _work_directory(workdir: Path | None) -> Iterator[Path]:
    """Where the cases' workspaces go: `workdir` (kept), or a temporary directory."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="overseer-eval-") as temporary:
        yield Path(temporary)


def _case_result(case: ReportCase[CaseDefinition, Observation, None]) -> CaseResult:
    seen = case.output
    results = [
        CheckResult(expected=name, met=bool(result.value), observed=result.reason or "")
        for name, result in case.assertions.items()
    ]
    unmet = [check for check in results if not check.met]
    error = "; ".join(f"{f.name}: {f.error_message}" for f in case.evaluator_failures) or None
    if error is not None:
        expected, observed = "the case to be judged", error
    elif unmet:
        more = f" (+{len(unmet) - 1} more)" if len(unmet) > 1 else ""
        expected, observed = unmet[0].expected + more, unmet[0].observed
    else:
        expected, observed = f"{len(results)} checks", seen.summary
    return CaseResult(
        case=case.name,
        passed=error is None and not unmet,
        expected=expected,
        observed=observed,
        run_id=seen.run_id,
        checks=results,
        observation=seen,
        error=error,
    )


def _results(suite: Suite, report: Report) -> list[CaseResult]:
    by_name = {case.name: _case_result(case) for case in report.cases}
    for failure in report.failures:  # the case never got a run: it could not start
        by_name[failure.name] = CaseResult(
            case=failure.name,
            passed=False,
            expected="the case to start",
            observed=failure.error_message,
            error=failure.error_message,
        )
    return [by_name[case.name] for case in suite.cases]


async def run_suite(
    client: Client,
    suite: Suite,
    task_queue: str,
    concurrency: int,
    workdir: Path | None = None,
) -> SuiteReport:
    """Every case of the suite as a run of its agent, judged; at most `concurrency` at once
    (and within the agent's max_concurrent_runs: its runs queue as any do)."""
    with _work_directory(workdir) as root:
        runner = CaseRun(client, suite.name, task_queue, root)

        async def task(case: CaseDefinition) -> Observation:
            run_id = await runner.start(suite.agent, case)
            return await runner.follow(run_id, case)

        evaluators: list[Evaluator[CaseDefinition, Observation, None]] = [MeetsExpectations()]
        if suite.judge is not None:
            judges = root / "judge-workspace"
            judges.mkdir(exist_ok=True)
            judge = Judge(client, suite.judge.model, task_queue, approver_of(suite.name), judges)
            evaluators.append(MeetsRubric(judge))
        dataset = Dataset[CaseDefinition, Observation, None](
            name=suite.name,
            cases=[Case(name=case.name, inputs=case) for case in suite.cases],
            evaluators=evaluators,
        )
        report = await dataset.evaluate(task, max_concurrency=concurrency, progress=False)
    return SuiteReport(
        suite=suite.name,
        agent=str(suite.agent),
        threshold=suite.threshold,
        cases=_results(suite, report),
    )
