"""What each `overseer` subcommand does. Each returns the process exit code."""

import argparse
import asyncio
import signal
import sys

from temporalio.client import Client

from contracts.approvals import CancelRequest
from contracts.errors import OverseerError
from contracts.snapshot import RunSnapshot
from contracts.text import usd
from starters.cli.demo import DEMO_GOAL, run_demo
from starters.cli.exit_codes import exit_code
from starters.cli.follow import follow
from starters.cli.pipeline_commands import cancel as cancel_pipeline
from starters.cli.pipeline_commands import run_pipeline, watch_pipeline
from starters.cli.pipeline_commands import status as pipeline_status
from starters.cli.render import approval_block, event_line, snapshot_text
from starters.cli.views import inbox, top, watch
from starters.client.artifacts import read_artifact
from starters.client.cassette import cassette_from_history
from starters.client.connection import connect, task_queue, temporal_address
from starters.client.listing import list_runs
from starters.client.pipelines import agent_run, is_pipeline
from starters.client.queue import queue_positions
from starters.client.recovery import reset_run, retry_run
from starters.client.runs import RunClient, start_run
from starters.client.versions import agent_versions
from starters.files.pipeline_file import is_pipeline_file
from starters.files.preflight import check_run_file
from starters.server import ServerAddress, check_port, launch, stop, wait_until_up
from workers.config import load_worker_config
from workers.log_format import configure_logging
from workers.namespace_setup import ensure_search_attributes
from workers.telemetry import metrics_runtime


async def cmd_server(args: argparse.Namespace) -> int:
    address = ServerAddress.parse(temporal_address())
    ui = f"http://localhost:{args.ui_port}"
    if await check_port(address):
        client = await connect()
        added = await ensure_search_attributes(client)
        note = f"; registered {', '.join(added)}" if added else ""
        print(f"A Temporal server is already up at {address.target}: reusing it{note}")
        return 0
    process = launch(address, args.ui_port)
    try:
        await wait_until_up(address, process)
        # A database an older Overseer made may lack attributes this one sets.
        added = await ensure_search_attributes(await connect())
        note = f"; registered {', '.join(added)}" if added else ""
        print(f"Temporal dev server on {address.target}, Web UI {ui}{note}")
        print("Data: .overseer/temporal.db, log: .overseer/server.log. Ctrl-C stops it.")
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        exited = asyncio.create_task(asyncio.to_thread(process.wait))
        await asyncio.wait(
            {exited, asyncio.create_task(stopped.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if exited.done():
            raise OverseerError(f"the Temporal server exited with code {process.returncode}")
    finally:
        stop(process)
    return 0


async def cmd_worker(args: argparse.Namespace) -> int:
    # Imported here: every activity, provider and MCP client, which only a worker needs.
    from workers.worker import build_workers, run_until_signalled

    configure_logging(args.log_format)
    runtime = metrics_runtime(args.metrics_port) if args.metrics_port else None
    client = await connect(runtime)
    await ensure_search_attributes(client)
    config = load_worker_config(args.config, args.deployment, args.build_id)
    await run_until_signalled(build_workers(client, task_queue(), config))
    return 0


async def cmd_demo(args: argparse.Namespace) -> int:
    return await run_demo(
        temporal_address(), args.ui_port, task_queue(), args.auto_approve, args.goal or DEMO_GOAL
    )


async def cmd_run(args: argparse.Namespace) -> int:
    check_run_file(args.agent_file, args.goal, args.user)  # refused before connecting
    if is_pipeline_file(args.agent_file):  # a pipeline file has `steps:`
        return await run_pipeline(args)
    client = await connect()
    run_id, _ = await start_run(
        client, args.agent_file, args.goal, args.user, task_queue(), args.replay, args.priority
    )
    print(f"started run {run_id}")
    if not args.watch:
        print(f"follow it: overseer events {run_id} --follow")
        return 0
    return await _watch(client, run_id, after_seq=0)


async def _watch(client: Client, run_id: str, after_seq: int) -> int:
    run = RunClient(client, run_id)
    snapshot, _ = await follow(run, stop_at_approval=True, after_seq=after_seq)
    for request in snapshot.pending_approvals:
        print(approval_block(run_id, request))
    if snapshot.handoff is not None and not snapshot.state.is_terminal:
        print(f"Waiting for a human: {snapshot.handoff.reason}")
        print(f'  reply: overseer reply {run_id} --as YOU --text "..."')
    if snapshot.state.is_terminal:
        print(f"run {run_id} ended: {snapshot.state}")
        if snapshot.final_answer:
            print(f"answer: {snapshot.final_answer}")
        if snapshot.failure_reason:
            print(f"reason: {snapshot.failure_reason}")
    return exit_code(snapshot.state)


async def cmd_ls(args: argparse.Namespace) -> int:
    client = await connect()
    listed = await list_runs(
        client,
        state=args.state,
        agent=args.agent,
        schedule=args.schedule,
        version=args.version,
        limit=args.limit,
    )
    queued = [run.run_id for run in listed if run.state == "created"]
    positions = await queue_positions(client, queued)  # where runs waiting for a slot stand
    print(f"{'RUN':<32} {'STATE':<22} {'AGENT':<20} {'STARTED':<20} TEMPORAL")
    for run in listed:
        started = run.started.strftime("%Y-%m-%d %H:%M:%S")
        state = run.state
        if run.run_id in positions:
            state += f" (queued #{positions[run.run_id]})"
        print(f"{run.run_id:<32} {state:<22} {run.agent:<20} {started:<20} {run.temporal_status}")
    return 0


async def cmd_status(args: argparse.Namespace) -> int:
    client = await connect()
    if await is_pipeline(client, args.run):
        return await pipeline_status(client, args.run)
    print(snapshot_text(await RunClient(client, args.run).snapshot()))
    return 0


async def cmd_events(args: argparse.Namespace) -> int:
    client = await connect()
    run = await agent_run(client, args.run, "events")
    if args.follow:
        return await _watch(client, args.run, args.after)
    for event in await run.events(args.after):
        print(event_line(event))
    return 0


async def cmd_cancel(args: argparse.Namespace) -> int:
    client = await connect()
    if await is_pipeline(client, args.run):
        request = CancelRequest(by=args.user, reason=args.reason)
        return await cancel_pipeline(client, args.run, request)
    snapshot = await RunClient(client, args.run).cancel(
        CancelRequest(by=args.user, reason=args.reason)
    )
    print(f"canceled run {args.run} as {args.user}: {args.reason}")
    print(ended_or_canceling(snapshot))
    return 0


def ended_or_canceling(snapshot: RunSnapshot) -> str:
    """The state the cancel left the run in, as its reply says."""
    if snapshot.state.is_terminal:
        reason = f" ({snapshot.failure_reason})" if snapshot.failure_reason else ""
        return f"state: {snapshot.state}{reason}"
    # Still undoing its irreversible steps: it ends canceled, rolled_back or failed.
    return f"state: canceling ({snapshot.canceling}), still {snapshot.state}"


async def cmd_cassette(args: argparse.Namespace) -> int:
    client = await connect()
    cassette = await cassette_from_history(client, args.run)
    args.out.write_text(cassette.model_dump_json(indent=2), encoding="utf-8")
    print(f"recorded {len(cassette.entries)} model turns of run {args.run} to {args.out}")
    return 0


async def cmd_watch(args: argparse.Namespace) -> int:
    client = await connect()
    if await is_pipeline(client, args.run):
        return await watch_pipeline(client, args.run)
    await watch(client, args.run)  # returns once the run has ended
    return exit_code((await RunClient(client, args.run).snapshot()).state)


async def cmd_inbox(args: argparse.Namespace) -> int:
    return await inbox(await connect(), args.agent)


async def cmd_top(args: argparse.Namespace) -> int:
    return await top(await connect(), args.limit)


async def cmd_steps(args: argparse.Namespace) -> int:
    steps = await (await agent_run(await connect(), args.run, "steps")).steps()
    print(
        f"{'STEP':>4}  {'TURN':>4}  {'KIND':<12} {'EFFECT':<12} {'STATUS':<10} {'RE-RUN':<7} WHAT"
    )
    for step in steps:
        rerun = "safe" if step.safe_to_rerun else "UNSAFE"
        print(
            f"{step.index:>4}  {step.turn:>4}  {step.kind:<12} {step.side_effect:<12} "
            f"{step.status:<10} {rerun:<7} {step.summary}"
        )
    return 0


async def cmd_reset(args: argparse.Namespace) -> int:
    if args.force and not args.reason:
        raise OverseerError("--force needs --reason: a forced reset is recorded with why")
    client = await connect()
    await agent_run(client, args.run, "reset")
    new_run = await reset_run(
        client, args.run, args.to_step, args.user, args.reason or "reset", args.force
    )
    print(f"reset run {args.run} to step {args.to_step}: it goes on as Temporal run {new_run}")
    return 0


async def cmd_retry(args: argparse.Namespace) -> int:
    client = await connect()
    await agent_run(client, args.run, "retry")
    new_id = await retry_run(client, args.run, task_queue())
    print(f"started run {new_id} (retry of {args.run})")
    return 0


async def cmd_artifact(args: argparse.Namespace) -> int:
    data = await read_artifact(args.ref)
    if args.out:
        args.out.write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.out}")
    else:
        sys.stdout.buffer.write(data)
    return 0


async def cmd_versions(args: argparse.Namespace) -> int:
    rows = await agent_versions(await connect(), args.agent)
    if not rows:
        raise OverseerError(f"no runs of agent {args.agent!r} (see: overseer ls)")
    print(
        f"{'VERSION':<16} {'RUNS':>5} {'RUNNING':>7} {'OK':>6} {'FAILED':>7} {'REJECTED':>8} "
        f"{'CANCELED':>8} {'COST':>9} {'STEPS':>6}  LAST RUN"
    )
    for row in rows:
        failed = row.rate("failed") + row.rate("budget_exhausted")
        print(
            f"{row.version:<16} {row.runs:>5} {row.running:>7} {row.rate('ok'):>6.0%} "
            f"{failed:>7.0%} {row.rate('rejected'):>8.0%} {row.rate('canceled'):>8.0%} "
            f"{usd(row.mean_cost_usd):>9} {row.mean_steps:>6.1f}  {row.last_seen}"
        )
    print("rates and means are over ended runs; failed includes budgets that ran out")
    return 0
