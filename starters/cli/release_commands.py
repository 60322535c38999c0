"""`overseer release AGENT ...`: a canary of an agent's candidate version, its halt rule,
promotion and rollback."""

import argparse
import getpass
from pathlib import Path

from pydantic import ValidationError

from contracts.errors import OverseerError, validation_problem
from contracts.release import CandidateRequest, ReleaseDecision, ReleaseView
from contracts.spec import RunSpec
from contracts.versions import agent_version
from starters.cli.arguments import OneLineParser, actor_arg, name_arg, reason_arg
from starters.client.connection import connect, task_queue
from starters.client.releases import ReleaseClient
from starters.files.agent_file import load_agent_file, run_spec

EPILOG = """\
  overseer release file-reporter --candidate agents/demo-v2.yaml --percent 10 --reason "new prompt"
  overseer release file-reporter                       # status, figures, notes
  overseer release file-reporter --promote --reason "better on the eval suite"
  overseer release file-reporter --rollback --reason "too many rejections"
The candidate's version here counts its instructions, model and policy; a run's own version
(overseer versions) also counts the tools its workers declare.
"""


def add_release_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    p = sub.add_parser(
        "release",
        help="canary an agent's candidate version on a share of new runs; promote, roll back",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("agent", type=name_arg, help="the agent's name (as in its file)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--candidate", type=Path, metavar="FILE", help="the candidate agent file")
    action.add_argument("--promote", action="store_true", help="the candidate becomes stable")
    action.add_argument("--rollback", action="store_true", help="drop the candidate")
    p.add_argument("--percent", type=float, default=10.0, help="share of new runs (default 10)")
    p.add_argument("--window", type=int, default=20, help="runs per side the halt rule reads")
    p.add_argument("--min-runs", type=int, default=5, help="candidate runs before it may halt")
    p.add_argument(
        "--margin", type=float, default=0.2, help="how much worse the candidate may be (0.2)"
    )
    p.add_argument("--as", dest="user", type=actor_arg, default=getpass.getuser())
    p.add_argument("--reason", type=reason_arg, help="why (required to change the release)")
    p.set_defaults(handler=cmd_release)


def release_text(view: ReleaseView) -> list[str]:
    lines = [f"release of {view.agent}: {view.status}"]
    lines.append(f"stable:    {view.stable_version or 'the agent file as run'}")
    if view.candidate_version:
        lines.append(f"candidate: {view.candidate_version} on {view.percent:g}% of new runs")
    for side, figures in (("stable", view.stable), ("candidate", view.candidate)):
        lines.append(
            f"  {side:<9} {figures.unsuccessful} unsuccessful of the last {figures.runs} runs "
            f"({figures.rate:.0%})"
        )
    lines.append(
        f"halts when the candidate's rate exceeds stable's by {view.margin:.0%} "
        f"(after {view.min_runs} runs, over {view.window})"
    )
    lines += [f"  {note.at:%Y-%m-%d %H:%M:%S} {note.text}" for note in view.notes[-10:]]
    return lines


async def cmd_release(args: argparse.Namespace) -> int:
    releases = ReleaseClient(await connect(), args.agent)
    changing = args.candidate or args.promote or args.rollback
    if changing and not args.reason:
        raise OverseerError("say why: --reason TEXT (recorded in the release's notes)")
    if args.candidate:
        view = await releases.set_candidate(_candidate(args), task_queue())
    elif args.promote or args.rollback:
        decision = ReleaseDecision(by=args.user, reason=args.reason)
        view = await releases.decide("promote" if args.promote else "rollback", decision)
    else:
        found = await releases.view()
        if found is None:
            raise OverseerError(f"agent {args.agent} has no release (see --help)")
        view = found
    print("\n".join(release_text(view)))
    return 0


def _candidate(args: argparse.Namespace) -> CandidateRequest:
    agent, workspace = load_agent_file(args.candidate)
    if agent.name != args.agent:
        raise OverseerError(
            f"{args.candidate} is agent {agent.name!r}, not {args.agent!r}: a candidate "
            "keeps its agent's name"
        )
    spec = run_spec(agent, workspace, goal="(per run)", requester=args.user, trace_id="")
    try:
        return _request(args, spec)
    except ValidationError as error:
        raise OverseerError(f"release: {validation_problem(error)}") from None


def _request(args: argparse.Namespace, spec: RunSpec) -> CandidateRequest:
    return CandidateRequest(
        spec_json=spec.model_dump_json(),
        version=agent_version(spec, []),
        percent=args.percent,
        window=args.window,
        min_runs=args.min_runs,
        margin=args.margin,
        by=args.user,
        reason=args.reason,
    )
