"""`overseer artifacts gc`: retention of the artifact store."""

import argparse
from datetime import timedelta

from starters.cli.arguments import OneLineParser
from starters.client.artifacts import collect_artifacts
from starters.client.connection import connect
from starters.files.schedule_file import duration

EPILOG = """\
Deletes objects of the artifact store (OVERSEER_ARTIFACTS: a directory or s3://bucket/prefix)
last written more than --older-than ago that no workflow Temporal still holds refers to:
every running workflow's and every retained closed workflow's history is read first.
  overseer artifacts gc --older-than 30d --dry-run     # what would go
  overseer artifacts gc --older-than 30d
"""


def _age(text: str) -> timedelta:
    try:
        return duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_artifacts_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    top = sub.add_parser(
        "artifacts",
        help="the artifact store's retention (artifacts gc)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = top.add_subparsers(dest="artifacts_command", required=True, metavar="VERB")
    p = verbs.add_parser("gc", help="delete old artifacts no retained run refers to")
    p.add_argument("--older-than", type=_age, required=True, help="e.g. 30d (at least 1d)")
    p.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    p.set_defaults(handler=cmd_gc)


async def cmd_gc(args: argparse.Namespace) -> int:
    found = await collect_artifacts(await connect(), args.older_than, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for entry in found.expired:
        print(f"{verb} sha256:{entry.sha256}  {entry.size} bytes  {entry.written:%Y-%m-%d}")
    total = sum(entry.size for entry in found.expired)
    print(
        f"{verb} {len(found.expired)} artifacts ({total} bytes); kept {found.referenced} "
        f"referenced and {found.recent} recent; read {found.workflows} histories"
    )
    return 0
