"""`overseer schedule ...`: recurring runs on Temporal Schedules."""

import argparse
import getpass
from datetime import UTC, datetime
from pathlib import Path

from contracts.errors import OverseerError
from starters.cli.arguments import OneLineParser, actor_arg, name_arg, reason_arg
from starters.cli.render import printable
from starters.client.connection import connect, task_queue
from starters.client.schedules import (
    ScheduleView,
    backfill_schedule,
    create_schedule,
    delete_schedule,
    describe_schedule,
    list_schedules,
    pause_schedule,
    stored_definition,
    trigger_schedule,
    unpause_schedule,
    update_schedule,
)
from starters.files.schedule_file import (
    OVERLAPS,
    ScheduleDefinition,
    definition,
    load_schedule_file,
)

EPILOG = """\
A scheduled run is an ordinary run of the agent (approvals, budgets, queue, events); its
run id is the schedule's name and the scheduled time. The goal may say {scheduled_time},
{previous.final_answer}, {previous.run_id} and {previous.state}.
  overseer schedule create triage agents/demo.yaml --goal "Triage the notes" --every 1h
  overseer schedule create weekday agents/demo.yaml --goal "..." --cron "0 7 * * 1-5" \\
      --timezone Europe/Berlin --pause-after-failures 3
  overseer ls --schedule triage          # its runs
"""


def _timing_args(p: argparse.ArgumentParser, required: bool) -> None:
    when = p.add_mutually_exclusive_group(required=required)
    when.add_argument("--cron", help='a cron expression, e.g. "0 7 * * 1-5"')
    when.add_argument("--every", help="an interval: 30s, 5m, 1h, 1d")
    p.add_argument("--jitter", help="start each run up to this much later (e.g. 5m)")
    p.add_argument("--timezone", help="time zone of the cron expression, e.g. Europe/Berlin")
    p.add_argument(
        "--overlap",
        choices=OVERLAPS,
        help="when the previous run is still going (waiting for approval included): "
        "skip (default), buffer_one, cancel_other, allow_all, ...",
    )
    p.add_argument("--catchup", help="run missed times up to this far back (e.g. 1h)")
    p.add_argument(
        "--pause-after-failures",
        type=int,
        metavar="N",
        help="pause after N failed, rejected or budget-exhausted runs in a row",
    )


def add_schedule_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    top = sub.add_parser(
        "schedule",
        help="recurring runs: create, ls, describe, pause, trigger, backfill, ...",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = top.add_subparsers(dest="schedule_command", required=True, metavar="VERB")

    p = verbs.add_parser("create", help="run an agent on a schedule")
    p.add_argument("name", type=name_arg, help="the schedule's name (its runs' id prefix)")
    p.add_argument("agent", type=Path, help="the agent file")
    p.add_argument("--goal", required=True, help="the goal of each run (placeholders allowed)")
    _timing_args(p, required=True)
    p.add_argument("--as", dest="user", type=actor_arg, help="the runs' requester")
    p.set_defaults(handler=cmd_create)

    p = verbs.add_parser("update", help="change a schedule's options (the others stay)")
    p.add_argument("name", type=name_arg)
    p.add_argument("--agent", type=Path, help="another agent file")
    p.add_argument("--goal")
    _timing_args(p, required=False)
    p.set_defaults(handler=cmd_update)

    p = verbs.add_parser("apply", help="create or update the schedules of a YAML file")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_apply)

    p = verbs.add_parser("ls", help="every schedule: timing, next run, paused and why")
    p.set_defaults(handler=cmd_ls)

    p = verbs.add_parser("describe", help="a schedule: next runs, recent runs and their ends")
    p.add_argument("name", type=name_arg)
    p.set_defaults(handler=cmd_describe)

    for verb, text in (("pause", "stop starting runs"), ("unpause", "start runs again")):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("name", type=name_arg)
        p.add_argument("--reason", type=reason_arg, required=True, help="why (shown in ls)")
        p.add_argument("--as", dest="user", type=actor_arg, default=getpass.getuser())
        p.set_defaults(handler=cmd_pause if verb == "pause" else cmd_unpause)

    p = verbs.add_parser("trigger", help="start a run now (under the overlap policy)")
    p.add_argument("name", type=name_arg)
    p.set_defaults(handler=cmd_trigger)

    p = verbs.add_parser("backfill", help="run the times between two moments, as if missed")
    p.add_argument("name", type=name_arg)
    p.add_argument("--from", dest="start", type=_moment, required=True, help="ISO time (UTC)")
    p.add_argument("--to", dest="end", type=_moment, required=True, help="ISO time (UTC)")
    p.add_argument("--overlap", choices=OVERLAPS, help="default: the schedule's")
    p.set_defaults(handler=cmd_backfill)

    p = verbs.add_parser("delete", help="delete a schedule (its runs stay)")
    p.add_argument("name", type=name_arg)
    p.set_defaults(handler=cmd_delete)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not an ISO time like 2026-11-30T07:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timing(args: argparse.Namespace) -> dict[str, object]:
    return {
        "cron": args.cron,
        "every": args.every,
        "jitter": args.jitter,
        "timezone": args.timezone,
        "overlap": args.overlap,
        "catchup": args.catchup,
        "pause_after_failures": args.pause_after_failures,
    }


async def cmd_create(args: argparse.Namespace) -> int:
    made = definition(name=args.name, agent=str(args.agent), goal=args.goal, **_timing(args))
    requester = args.user or getpass.getuser()
    await create_schedule(await connect(), made, requester, task_queue())
    print(f"created schedule {made.name}: {made.timing}, overlap {made.overlap}")
    print(f"its runs: overseer ls --schedule {made.name}")
    return 0


async def cmd_update(args: argparse.Namespace) -> int:
    client = await connect()
    current = await stored_definition(client, args.name)
    changes = {k: v for k, v in _timing(args).items() if v is not None}
    if args.cron or args.every:  # one timing replaces the other
        changes.setdefault("cron", None)
        changes.setdefault("every", None)
    if args.agent:
        changes["agent"] = str(args.agent)
    if args.goal:
        changes["goal"] = args.goal
    if not changes:
        raise OverseerError("nothing to change: give an option (see --help)")
    merged = definition(**{**current.model_dump(), **changes})
    await update_schedule(client, merged, current.requester or getpass.getuser(), task_queue())
    print(f"updated schedule {merged.name}: {merged.timing}, overlap {merged.overlap}")
    return 0


async def cmd_apply(args: argparse.Namespace) -> int:
    client = await connect()
    existing = {view.name for view in await list_schedules(client)}
    for item in load_schedule_file(args.file):
        await _apply_one(item, item.name in existing)
    return 0


async def _apply_one(item: ScheduleDefinition, exists: bool) -> None:
    client = await connect()
    requester = item.requester or getpass.getuser()
    if exists:
        await update_schedule(client, item, requester, task_queue())
        print(f"updated schedule {item.name}: {item.timing}")
    else:
        await create_schedule(client, item, requester, task_queue())
        print(f"created schedule {item.name}: {item.timing}")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


async def cmd_ls(args: argparse.Namespace) -> int:
    views = await list_schedules(await connect())
    print(f"{'SCHEDULE':<24} {'AGENT':<18} {'TIMING':<28} {'NEXT (UTC)':<20} STATE")
    for view in views:
        state = f"paused: {printable(view.note)}" if view.paused else "active"
        next_time = _when(view.next_times[0] if view.next_times else None)
        print(f"{view.name:<24} {view.agent:<18} {view.timing:<28} {next_time:<20} {state}")
    return 0


def describe_text(view: ScheduleView) -> list[str]:
    lines = [
        f"schedule {view.name}: {view.agent}, {view.timing}, overlap {view.overlap}",
        f"goal: {printable(view.goal)}",
        f"state: {'paused: ' + printable(view.note) if view.paused else 'active'}",
    ]
    if view.pause_after_failures:
        lines.append(f"pauses itself after {view.pause_after_failures} unsuccessful runs in a row")
    running = [run for run in view.runs if not run.outcome]
    lines.append(
        f"runs: {len(view.runs)} listed, {len(running)} running, "
        f"{view.waiting} waiting for approval, {view.skipped_overlap} skipped by overlap"
    )
    lines.append("next: " + (", ".join(_when(t) for t in view.next_times) or "none (paused?)"))
    lines.append("recent runs:")
    for run in view.runs[:10]:
        outcome = f" ({run.outcome})" if run.outcome else ""
        lines.append(f"  {run.run_id:<44} {run.state}{outcome}")
    return lines


async def cmd_describe(args: argparse.Namespace) -> int:
    print("\n".join(describe_text(await describe_schedule(await connect(), args.name))))
    return 0


async def cmd_pause(args: argparse.Namespace) -> int:
    await pause_schedule(await connect(), args.name, f"paused by {args.user}: {args.reason}")
    print(f"paused schedule {args.name} as {args.user}: {args.reason}")
    return 0


async def cmd_unpause(args: argparse.Namespace) -> int:
    await unpause_schedule(await connect(), args.name, f"unpaused by {args.user}: {args.reason}")
    print(f"unpaused schedule {args.name} as {args.user}: {args.reason}")
    return 0


async def cmd_trigger(args: argparse.Namespace) -> int:
    await trigger_schedule(await connect(), args.name)
    print(f"triggered schedule {args.name}; its runs: overseer ls --schedule {args.name}")
    return 0


async def cmd_backfill(args: argparse.Namespace) -> int:
    await backfill_schedule(await connect(), args.name, args.start, args.end, args.overlap)
    print(f"backfilling schedule {args.name} from {_when(args.start)} to {_when(args.end)} UTC")
    return 0


async def cmd_delete(args: argparse.Namespace) -> int:
    await delete_schedule(await connect(), args.name)
    print(f"deleted schedule {args.name} (its runs stay: overseer ls --schedule {args.name})")
    return 0
