"""`overseer queue ...`: look at the run queue, reprioritize a waiting run, set limits."""

import argparse
from collections.abc import Callable

from contracts.errors import OverseerError
from contracts.queue import LimitsChange, QueueLimits, QueueView, Reprioritize
from starters.cli.arguments import QUEUE_LIMIT, OneLineParser, name_arg
from starters.client.connection import connect, task_queue
from starters.client.queue import QueueClient, queue_id


def add_queue_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    p = sub.add_parser("queue", help="the run queue: limits on active runs, waiting runs")
    queue = p.add_subparsers(dest="queue_command", required=True, metavar="ACTION")

    p = queue.add_parser("ls", help="runs holding a slot and runs waiting, with positions")
    p.set_defaults(handler=cmd_queue_ls)

    p = queue.add_parser("reprioritize", help="give a waiting run a new priority (0 first)")
    p.add_argument("run", type=name_arg, help="run id of a waiting run")
    p.add_argument("priority", type=int, choices=range(10), metavar="PRIORITY", help="0..9")
    p.set_defaults(handler=cmd_queue_reprioritize)

    p = queue.add_parser(
        "release", help="free the slot of a run that ended without telling the queue"
    )
    p.add_argument(
        "run", type=name_arg, help="run id, e.g. of a run terminated with the temporal CLI"
    )
    p.set_defaults(handler=cmd_queue_release)

    p = queue.add_parser("limits", help="show limits, or set them (0 removes a limit)")
    p.add_argument(
        "--agent",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "N"),
        help="at most N active runs of this agent (repeatable)",
    )
    p.add_argument("--all", type=QUEUE_LIMIT, metavar="N", help="at most N active runs in all")
    p.set_defaults(handler=cmd_queue_limits)


def _limits_text(limits: QueueLimits) -> str:
    parts = [f"overall {limits.overall}" if limits.overall else "overall none"]
    parts += [f"{agent} {n}" for agent, n in sorted(limits.per_agent.items())]
    return "limits: " + "; ".join(parts) + " (and each agent file's max_concurrent_runs)"


def queue_text(queue: str, view: QueueView) -> list[str]:
    lines = [f"queue {queue}", _limits_text(view.limits), "", f"ACTIVE ({len(view.holders)})"]
    lines += [f"  {t.run_id:<32} {t.agent:<20} priority {t.priority}" for t in view.holders]
    lines += ["", f"WAITING ({len(view.waiting)})"]
    lines += [
        f"  #{run.position:<3} {run.ticket.run_id:<32} {run.ticket.agent:<20} "
        f"priority {run.ticket.priority}"
        for run in view.waiting
    ]
    return lines


async def cmd_queue_ls(args: argparse.Namespace, emit: Callable[[str], None] = print) -> int:
    queue = QueueClient(await connect(), queue_id())
    for line in queue_text(queue.queue_id, await queue.view()):
        emit(line)
    return 0


async def cmd_queue_reprioritize(args: argparse.Namespace) -> int:
    queue = QueueClient(await connect(), queue_id())
    queued = await queue.reprioritize(Reprioritize(run_id=args.run, priority=args.priority))
    print(f"run {args.run} now has priority {args.priority}: position {queued.position}")
    return 0


async def cmd_queue_release(args: argparse.Namespace) -> int:
    queue = QueueClient(await connect(), queue_id())
    await queue.release(args.run)
    print(f"released run {args.run} from queue {queue.queue_id}")
    return 0


def _limits_change(args: argparse.Namespace) -> LimitsChange | None:
    per_agent: dict[str, int] = {}
    for name, n in args.agent:
        if not n.isdigit():
            raise OverseerError(f"--agent {name} {n}: N must be a whole number (0 removes)")
        per_agent[name] = int(n)
    if args.all is not None and args.all < 0:
        raise OverseerError("--all N: N must be 0 (no limit) or more")
    if args.all is None and not per_agent:
        return None
    return LimitsChange(overall=args.all, per_agent=per_agent)


async def cmd_queue_limits(args: argparse.Namespace) -> int:
    change = _limits_change(args)
    queue = QueueClient(await connect(), queue_id())
    if change is None:
        limits = await queue.published_limits()
        print(_limits_text(limits or QueueLimits()))
        return 0
    print(_limits_text(await queue.set_limits(change, task_queue())))
    return 0
