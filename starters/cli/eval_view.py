"""How a suite's results read in a terminal: the pass table, and a comparison of two."""

from contracts.text import clip
from starters.cli.render import printable
from starters.client.evaluation.report import CaseResult, SuiteReport

WIDTHS = (24, 40, 40, 7)


def _cells(*cells: str) -> str:
    pairs = zip(cells, WIDTHS, strict=False)  # the last cell (the run id) is not cut
    parts = [clip(printable(cell), width).ljust(width) for cell, width in pairs]
    return "  ".join([*parts, *cells[len(WIDTHS) :]]).rstrip()


def verdict(case: CaseResult) -> str:
    return "pass" if case.passed else ("error" if case.error else "FAIL")


def pass_table(report: SuiteReport) -> str:
    """One row per case (case, expected, observed, verdict, run id), then the summary."""
    lines = [_cells("case", "expected", "observed", "verdict", "run id")]
    for case in report.cases:
        lines.append(
            _cells(case.case, case.expected, case.observed, verdict(case), case.run_id or "-")
        )
    return "\n".join([*lines, report.summary()])


def _measures(case: CaseResult) -> str:
    seen = case.observation
    if seen is None:
        return verdict(case)
    return f"{verdict(case)} {seen.steps} steps ${seen.cost_usd:.4f} {seen.wall_seconds:.1f}s"


def comparison(old: SuiteReport, new: SuiteReport) -> str:
    """Per case: each agent's verdict and measures, and what changed; then the aggregate."""
    lines = [f"old: {old.agent}", f"new: {new.agent}", ""]
    lines.append(f"{'case':<24}  {'old':<34}  {'new':<34}  change")
    for before, after in zip(old.cases, new.cases, strict=True):
        if before.passed != after.passed:
            change = "now passes" if after.passed else f"now fails: {after.reason}"
        else:
            change = "same verdict"
        lines.append(
            f"{clip(printable(before.case), 24):<24}  {_measures(before):<34}  "
            f"{_measures(after):<34}  {printable(clip(change, 160))}"
        )
    lines.append("")
    lines.append(
        f"pass rate {old.pass_rate:.0%} -> {new.pass_rate:.0%}; "
        f"cost ${old.cost_usd:.4f} -> ${new.cost_usd:.4f}; "
        f"mean steps {old.mean_steps:.1f} -> {new.mean_steps:.1f}; "
        f"mean latency {old.mean_wall_seconds:.1f}s -> {new.mean_wall_seconds:.1f}s"
    )
    lines.append(f"old: {old.summary()}")
    lines.append(f"new: {new.summary()}")
    return "\n".join(lines)
