"""`overseer pause | resume | budget | kill | unkill | audit`: an operator's hand on runs."""

import argparse
import math
from datetime import UTC, datetime

from contracts.budget import EXTENSIBLE, BudgetExtension, OperatorNote
from contracts.errors import OverseerError
from contracts.events import EventKind, RunEvent
from contracts.kill_switch import KillRequest, KillSwitches, Scope
from contracts.snapshot import BudgetUsage, RunSnapshot
from contracts.states import RunState
from contracts.text import number, usd
from starters.cli.arguments import OneLineParser, actor_arg, name_arg, reason_arg
from starters.client.connection import connect, task_queue
from starters.client.kill_switches import KillSwitchClient
from starters.client.pipelines import agent_run
from starters.client.runs import RunClient

PAUSE_EPILOG = """\
A paused run finishes what it is doing (a model turn, a running tool) and then waits in
`blocked` before its next step or tool call; an approval can still be decided meanwhile.

examples:
  overseer pause file-reporter-1a2b3c4d --as alice --reason "checking the output dir"
  overseer resume file-reporter-1a2b3c4d --as alice --reason "all clear"
"""

BUDGET_EPILOG = f"""\
keys for --add (amounts added to the run's current limits):
  {", ".join(EXTENSIBLE)}
A run has only the limits its agent file set (max_steps always); raising a limit it does
not have is refused. A run blocked by an exhausted budget goes on once it has room again.

examples:
  overseer budget file-reporter-1a2b3c4d
  overseer budget file-reporter-1a2b3c4d --add steps=5 --add cost_usd=0.5 \\
      --as alice --reason "needs a few more turns"
"""

KILL_EPILOG = """\
A kill switch stops matching tool calls in every run, at once: a run about to call a killed
tool waits in `blocked` (nothing runs) until the switch is off again (`overseer unkill`).

examples:
  overseer kill --tool post_webhook --as alice --reason "webhook endpoint misbehaves"
  overseer kill --agent file-reporter --as alice --reason "bad prompt deployed"
  overseer kill --all --as alice --reason "incident 42"
  overseer kill --list
  overseer unkill --tool post_webhook --as alice
"""

AUDIT_EPILOG = """\
Every event of the run, oldest first: who (actor: system, agent:<name>, user:<id>) did
what, under which model and policy version, with its evidence (action ids, argument
hashes, tool results, artifacts). Works on finished runs too (a worker answers).

examples:
  overseer audit file-reporter-1a2b3c4d
  overseer audit file-reporter-1a2b3c4d --format jsonl | jq 'select(.kind == "approved")'
"""


def _formatted(
    sub: "argparse._SubParsersAction[OneLineParser]", name: str, summary: str, epilog: str
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _run_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", type=name_arg, help="run id (the workflow id), as printed by `overseer run`"
    )


def _who(parser: argparse.ArgumentParser, required: bool, why: str) -> None:
    parser.add_argument(
        "--as", dest="user", type=actor_arg, required=required, help="your user id (recorded)"
    )
    parser.add_argument("--reason", type=reason_arg, required=required, help=why)


def _scope_args(parser: argparse.ArgumentParser, with_list: bool) -> None:
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--tool", type=name_arg, metavar="NAME", help="a tool, e.g. write_file")
    scope.add_argument(
        "--agent", type=name_arg, metavar="NAME", help="every tool call of this agent's runs"
    )
    scope.add_argument("--all", action="store_true", help="every tool call of every run")
    if with_list:
        scope.add_argument("--list", action="store_true", help="the kill switches now on")


def add_governance_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    p = _formatted(sub, "pause", "hold a run before its next step or tool call", PAUSE_EPILOG)
    _run_arg(p)
    _who(p, required=True, why="why (recorded in the run's events)")
    p.set_defaults(handler=cmd_pause)

    p = _formatted(sub, "resume", "let a paused run go on", PAUSE_EPILOG)
    _run_arg(p)
    _who(p, required=True, why="why (recorded in the run's events)")
    p.set_defaults(handler=cmd_resume)

    p = _formatted(
        sub, "budget", "show a run's budget used and limits, or raise them", BUDGET_EPILOG
    )
    _run_arg(p)
    p.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add VALUE to a limit (repeatable), e.g. steps=5 or cost_usd=0.5",
    )
    _who(p, required=False, why="why (required with --add; recorded)")
    p.set_defaults(handler=cmd_budget)

    p = _formatted(sub, "kill", "stop a tool, an agent or everything in every run", KILL_EPILOG)
    _scope_args(p, with_list=True)
    _who(p, required=False, why="why (required to kill; recorded)")
    p.set_defaults(handler=cmd_kill)

    p = _formatted(sub, "unkill", "turn a kill switch off again", KILL_EPILOG)
    _scope_args(p, with_list=False)
    p.add_argument(
        "--as", dest="user", type=actor_arg, required=True, help="your user id (recorded)"
    )
    p.add_argument("--reason", type=reason_arg, default="", help="why")
    p.set_defaults(handler=cmd_unkill)

    p = _formatted(
        sub, "audit", "every event of a run: who did what, under which policy", AUDIT_EPILOG
    )
    _run_arg(p)
    p.add_argument(
        "--format",
        choices=["table", "jsonl"],
        default="table",
        help="table (default) or jsonl: one JSON object (a RunEvent) per line",
    )
    p.set_defaults(handler=cmd_audit)


# -- pause / resume ----------------------------------------------------------------------


async def _agent_run(run_id: str, command: str) -> RunClient:
    """The run to act on; a pipeline is refused (its steps are the runs)."""
    return await agent_run(await connect(), run_id, command)


def _state_line(snapshot: RunSnapshot) -> str:
    blocked = f" ({snapshot.blocked_reason})" if snapshot.blocked_reason else ""
    return f"state: {snapshot.state}{blocked}"


async def cmd_pause(args: argparse.Namespace) -> int:
    run = await _agent_run(args.run, "pause")
    note = OperatorNote(by=args.user, reason=args.reason)
    snapshot = await run.control("pause", note, RunSnapshot)
    print(f"paused run {args.run} as {args.user}: it holds before its next step or tool call")
    if snapshot.state is RunState.BLOCKED:
        print(_state_line(snapshot))
    else:  # it finishes what it is doing first (a model turn, a tool, a wait for approval)
        print(f"state: {snapshot.state} (blocked before its next step or tool call)")
    print(f'resume: overseer resume {args.run} --as YOU --reason "..."')
    return 0


async def cmd_resume(args: argparse.Namespace) -> int:
    run = await _agent_run(args.run, "resume")
    snapshot = await run.control(
        "resume", OperatorNote(by=args.user, reason=args.reason), RunSnapshot
    )
    # The reply is the state the run moved to (the run goes on in the same workflow task).
    print(f"resumed run {args.run} as {args.user}")
    print(_state_line(snapshot))
    return 0


# -- budget ------------------------------------------------------------------------------


def parse_additions(items: list[str]) -> dict[str, int | float]:
    """`--add KEY=VALUE` arguments as amounts by key; a one-line OverseerError otherwise."""
    known = ", ".join(EXTENSIBLE)
    amounts: dict[str, int | float] = {}
    for item in items:
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise OverseerError(f"--add {item!r}: expected KEY=VALUE, KEY one of {known}")
        if key not in EXTENSIBLE:
            raise OverseerError(f"--add {item!r}: unknown key {key!r}; known keys: {known}")
        if key in amounts:
            raise OverseerError(f"--add {key} is given twice: give each key once")
        whole = BudgetExtension.model_fields[key].annotation is int
        try:
            number: int | float = int(value) if whole else float(value)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise OverseerError(f"--add {item!r}: {value!r} is not {kind}") from None
        if not (math.isfinite(number) and number > 0):
            raise OverseerError(f"--add {item!r}: the amount must be more than 0")
        amounts[key] = number
    return amounts


def _amount(value: float | None, key: str = "") -> str:
    if value is None:
        return "none"
    return usd(value) if key == "cost_usd" else number(value)


def budget_lines(usage: BudgetUsage, now: datetime | None = None) -> list[str]:
    elapsed = None
    if usage.started_at is not None:
        elapsed = ((now or datetime.now(UTC)) - usage.started_at).total_seconds()
    rows = [
        ("steps", usage.steps_used, usage.max_steps),
        ("tool_calls", usage.tool_calls, usage.max_tool_calls),
        ("tokens", usage.input_tokens + usage.output_tokens, usage.max_tokens),
        ("cost_usd", usage.cost_usd, usage.max_cost_usd),
        ("wall_seconds", None if elapsed is None else round(elapsed), usage.max_wall_seconds),
        ("repeated_calls", usage.repeated_calls, usage.max_repeated_calls),
    ]
    lines = [f"{'KEY':<16} {'USED':>10} {'LIMIT':>10}"]
    lines += [
        f"{key:<16} {_amount(used, key):>10} {_amount(limit, key):>10}" for key, used, limit in rows
    ]
    return lines


async def cmd_budget(args: argparse.Namespace) -> int:
    amounts = parse_additions(args.add)
    if amounts and not (args.user and args.reason):
        raise OverseerError(
            "--add needs --as and --reason: an extension is recorded with who and why"
        )
    if not amounts and (args.user or args.reason):
        raise OverseerError("--as and --reason go with --add: say what to add")
    run = await _agent_run(args.run, "budget")
    if not amounts:
        snapshot = await run.snapshot()
        print(f"run {args.run}  {_state_line(snapshot)}")
        for line in budget_lines(snapshot.budget):
            print(line)
        return 0
    extension = BudgetExtension.model_validate({"by": args.user, "reason": args.reason, **amounts})
    usage = await run.control("extend_budget", extension, BudgetUsage)
    added = ", ".join(f"{key} +{_amount(value, key)}" for key, value in amounts.items())
    print(f"raised the budget of run {args.run} as {args.user}: {added}")
    for line in budget_lines(usage):
        print(line)
    return 0


# -- kill switches -----------------------------------------------------------------------


def _scope(args: argparse.Namespace) -> tuple[Scope, str]:
    # `is not None`: an empty name is refused by its type, never read as "all".
    if args.tool is not None:
        return "tool", args.tool
    if args.agent is not None:
        return "agent", args.agent
    return "all", ""


def rules_lines(switches: KillSwitches) -> list[str]:
    if not switches.rules:
        return ["no kill switch is on"]
    lines = [f"{'SWITCH':<28} {'BY':<16} {'SINCE (UTC)':<20} REASON"]
    lines += [
        f"{rule.key:<28} {rule.by:<16} {rule.at.strftime('%Y-%m-%d %H:%M:%S'):<20} "
        f"{rule.reason or '-'}"
        for rule in switches.rules
    ]
    return lines


async def cmd_kill(args: argparse.Namespace) -> int:
    if args.list and (args.user or args.reason):
        raise OverseerError("--list takes no --as or --reason")
    if not args.list and not (args.user and args.reason):
        raise OverseerError(
            "kill needs --as and --reason: a kill switch is recorded with who and why"
        )
    switches = KillSwitchClient(await connect())
    if args.list:
        for line in rules_lines(await switches.rules()):
            print(line)
        return 0
    scope, name = _scope(args)
    request = KillRequest(scope=scope, name=name, by=args.user, reason=args.reason)
    now_on = await switches.kill(request, task_queue())
    print(f"kill switch {request.key} is on (by {args.user}): runs hold before such tool calls")
    for line in rules_lines(now_on):
        print(line)
    return 0


async def cmd_unkill(args: argparse.Namespace) -> int:
    scope, name = _scope(args)
    request = KillRequest(scope=scope, name=name, by=args.user, reason=args.reason)
    now_on = await KillSwitchClient(await connect()).unkill(request)
    print(f"kill switch {request.key} is off (by {args.user}): held runs go on")
    for line in rules_lines(now_on):
        print(line)
    return 0


# -- audit -------------------------------------------------------------------------------


def audit_line(event: RunEvent) -> str:
    at = event.at.strftime("%Y-%m-%d %H:%M:%S")
    what = str(event.kind)
    if event.kind is EventKind.TRANSITION:
        what = f"{event.from_state} -> {event.to_state}"
    detail = " ".join(event.detail.split())
    line = (
        f"{event.seq:>4}  {at}  {what:<38} {event.actor:<22} "
        f"{event.model_version:<12} {event.policy_version:<16} {detail}"
    ).rstrip()
    if event.evidence:
        line += f"\n{'':<6}evidence: {', '.join(event.evidence)}"
    return line


async def cmd_audit(args: argparse.Namespace) -> int:
    events = await (await _agent_run(args.run, "audit")).events()
    if args.format == "jsonl":
        for event in events:
            print(event.model_dump_json())
        return 0
    print(
        f"{'SEQ':>4}  {'TIME (UTC)':<19}  {'KIND':<38} {'ACTOR':<22} "
        f"{'MODEL':<12} {'POLICY':<16} DETAIL"
    )
    for event in events:
        print(audit_line(event))
    return 0
