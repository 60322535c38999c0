"""How a suite's results read in a terminal: the pass table, and a comparison of two."""

from contracts.text import clip
from starters.cli.render import printable
from starters.client.evaluation.report import CaseResult, SuiteReport

# Expected and observed are cut to these widths; a case's name (at most 100 characters)
# and its run id never are: a reader copies them.
TEXT_WIDTH = 40
VERDICT_WIDTH = 7


def _cells(widths: tuple[int, ...], *cells: str) -> str:
    pairs = zip(cells, widths, strict=False)  # the last cell (the run id) is not padded
    parts = [clip(printable(cell), width).ljust(width) for cell, width in pairs]
    return "  ".join([*parts, *cells[len(widths) :]]).rstrip()


def _widths(report: SuiteReport) -> tuple[int, ...]:
    case = max(len("case"), *(len(case.case) for case in report.cases))
    return (case, TEXT_WIDTH, TEXT_WIDTH, VERDICT_WIDTH)


def verdict(case: CaseResult) -> str:
    return "pass" if case.passed else ("error" if case.error else "FAIL")


def pass_table(report: SuiteReport) -> str:
    """One row per case (case, expected, observed, verdict, run id), then the summary."""
    widths = _widths(report)
    lines = [_cells(widths, "case", "expected", "observed", "verdict", "run id")]
    for case in report.cases:
        cells = (case.case, case.expected, case.observed, verdict(case), case.run_id or "-")
        lines.append(_cells(widths, *cells))
    return "\n".join([*lines, report.summary()])


def _measures(case: CaseResult) -> str:
    seen = case.observation
    if seen is None:
        return verdict(case)
    return f"{verdict(case)} {seen.steps} steps ${seen.cost_usd:.4f} {seen.wall_seconds:.1f}s"


def comparison(old: SuiteReport, new: SuiteReport) -> str:
    """Per case: each agent's verdict and measures, and what changed; then the aggregate."""
    lines = [f"old: {old.agent}", f"new: {new.agent}", ""]
    width = _widths(old)[0]
    lines.append(f"{'case':<{width}}  {'old':<34}  {'new':<34}  change")
    for before, after in zip(old.cases, new.cases, strict=True):
        if before.passed != after.passed:
            change = "now passes" if after.passed else f"now fails: {after.reason}"
        else:
            change = "same verdict"
        lines.append(
            f"{printable(before.case):<{width}}  {_measures(before):<34}  "
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
