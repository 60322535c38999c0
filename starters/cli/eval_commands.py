"""`overseer eval`: run an evaluation suite (each case a real run) or compare two agents."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from starters.cli.arguments import OneLineParser, bounded_int
from starters.cli.eval_view import comparison, pass_table
from starters.client.connection import connect, task_queue
from starters.files.eval_suite import load_suite

if TYPE_CHECKING:
    from starters.client.evaluation.report import SuiteReport

# The pass rate fell below the suite's threshold (1 stays an error of the command itself).
BELOW_THRESHOLD = 3
EPILOG = """\
Each case is a real run of the agent (a run id to open in the Web UI); the suite decides
its approvals as eval:<suite>. Cases' workspaces are fresh copies, never shared.
  overseer eval evals/demo.yaml --junit eval.xml --json eval.json
  overseer eval --compare agents/demo.yaml agents/demo-v2.yaml evals/demo.yaml
exit status: 0 at or above the suite's threshold, 3 below it (with --compare: the new
agent's), 1 an error of the command (a refused suite file, no server), 2 usage.
"""
CONCURRENCY = bounded_int(1, 64)


def add_eval_command(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    p = sub.add_parser(
        "eval",
        help="run an evaluation suite of cases against an agent (or --compare two agents)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("suite", type=Path, help="the suite YAML file, e.g. evals/demo.yaml")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--agent", type=Path, help="run this agent file instead of the suite's")
    which.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("OLD_AGENT", "NEW_AGENT"),
        help="run both agents on the suite's cases and print the differences",
    )
    p.add_argument(
        "--concurrency", type=CONCURRENCY, default=4, help="cases run at once (default 4)"
    )
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report here")
    p.add_argument(
        "--workdir",
        type=Path,
        help="make the cases' workspaces here and keep them (default: a temporary directory)",
    )
    p.set_defaults(handler=cmd_eval)


async def _evaluate(args: argparse.Namespace, agent: Path | None) -> "SuiteReport":
    # Imported when a suite runs: pydantic-evals takes most of a second to import, which
    # every other `overseer` command would pay.
    from starters.client.evaluation.suite_run import run_suite

    suite = load_suite(args.suite, agent)
    client = await connect()
    return await run_suite(client, suite, task_queue(), args.concurrency, args.workdir)


def _write(args: argparse.Namespace, reports: list["SuiteReport"]) -> None:
    from starters.client.evaluation.report import write_report

    if args.json is not None:
        text = reports[0].to_json() if len(reports) == 1 else _pair_json(reports)
        write_report(args.json, text)
    if args.junit is not None:
        write_report(args.junit, reports[-1].to_junit())


def _pair_json(reports: list["SuiteReport"]) -> str:
    old, new = reports
    return f'{{"old": {old.to_json()},\n"new": {new.to_json()}}}'


async def cmd_eval(args: argparse.Namespace) -> int:
    if args.compare is not None:
        old_agent, new_agent = args.compare
        load_suite(args.suite)  # a bad suite is refused before anything runs
        old = await _evaluate(args, old_agent)
        new = await _evaluate(args, new_agent)
        print(comparison(old, new))
        _write(args, [old, new])
        return BELOW_THRESHOLD if new.below_threshold else 0
    report = await _evaluate(args, args.agent)
    print(pass_table(report))
    _write(args, [report])
    return BELOW_THRESHOLD if report.below_threshold else 0
