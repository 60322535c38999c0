"""`overseer deploy ...` (which worker build new runs start on) and `overseer replay-check`
(would this checkout's workflow code break the runs recorded on the server?)."""

import argparse

from starters.cli.arguments import OneLineParser, bounded_int
from starters.client.connection import connect
from starters.client.deployments import (
    DeploymentView,
    deployment_name,
    describe_deployment,
    rollback,
    set_current_version,
)
from starters.client.replay_check import MAX_HISTORIES, replay_check

# Exit status of a replay-check that found a history the code no longer replays
# (1 stays an error of the command itself, 2 a usage error).
REPLAY_FAILED = 3

DEPLOY_EPILOG = """\
Roll out: start the new workers next to the old ones, check, then make them current.
  overseer replay-check --last 200
  overseer worker --deployment overseer --build-id 2026-05-02   # next to the old workers
  overseer deploy promote 2026-05-02      # new runs start on it; running runs stay put
  overseer deploy status                  # the old build drains; stop it once drained
  overseer deploy rollback                # new runs go back to the build it replaced
"""

REPLAY_EPILOG = f"""\
exit status: 0 every history replays, 1 the command failed, 2 usage error,
  {REPLAY_FAILED} a history no longer replays (one FAILED line per run, with its first mismatch)
"""


def add_deploy_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    top = sub.add_parser(
        "deploy",
        help="versioned workers: status, promote a build, roll back",
        epilog=DEPLOY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = top.add_subparsers(dest="deploy_command", required=True, metavar="VERB")
    p = verbs.add_parser("status", help="the deployment's builds: current, draining, drained")
    _deployment_arg(p)
    p.set_defaults(handler=cmd_status)
    p = verbs.add_parser("promote", help="make a build current: new runs start on it")
    p.add_argument("build_id", help="a build id its workers run with (--build-id)")
    _deployment_arg(p)
    p.set_defaults(handler=cmd_promote)
    p = verbs.add_parser("rollback", help="make the build the current one replaced current again")
    p.add_argument("build_id", nargs="?", help="this build instead")
    _deployment_arg(p)
    p.set_defaults(handler=cmd_rollback)

    p = sub.add_parser(
        "replay-check",
        help="replay recent runs' histories against this code (before a deploy)",
        epilog=REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--last",
        type=bounded_int(1, MAX_HISTORIES),
        default=100,
        help=f"replay the N most recent runs (default 100, at most {MAX_HISTORIES})",
    )
    p.add_argument(
        "--query",
        help="only the runs this visibility query selects, e.g. \"ExecutionStatus='Running'\"",
    )
    p.set_defaults(handler=cmd_replay_check)


def _deployment_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--deployment", help="the worker deployment (default $OVERSEER_DEPLOYMENT or overseer)"
    )


async def cmd_status(args: argparse.Namespace) -> int:
    deployment = await describe_deployment(await connect(), deployment_name(args.deployment))
    print(_status_text(deployment))
    return 0


def _status_text(deployment: DeploymentView) -> str:
    lines = [f"deployment {deployment.name}: current {deployment.current or 'unversioned'}"]
    if not deployment.propagated:
        lines[0] += " (still reaching its task queues)"
    for version in deployment.versions:
        created = f"{version.created:%Y-%m-%d %H:%M:%S}" if version.created else "-"
        lines.append(f"  {version.build_id:<30} {version.status:<10} since {created}")
    return "\n".join(lines)


async def cmd_promote(args: argparse.Namespace) -> int:
    name = deployment_name(args.deployment)
    previous = await set_current_version(await connect(), name, args.build_id)
    print(f"{name}: new runs start on {args.build_id} (was {previous or 'unversioned'})")
    if previous:
        print(f"runs started on {previous} finish there: keep its workers until it is drained")
    return 0


async def cmd_rollback(args: argparse.Namespace) -> int:
    name = deployment_name(args.deployment)
    was, now = await rollback(await connect(), name, args.build_id)
    print(f"{name}: new runs start on {now} again (was {was}); runs started on {was} stay there")
    return 0


async def cmd_replay_check(args: argparse.Namespace) -> int:
    report = await replay_check(await connect(), args.last, args.query)
    for failure in report.failures:
        print(failure.line())
    print(report.summary())
    return REPLAY_FAILED if report.failures else 0
