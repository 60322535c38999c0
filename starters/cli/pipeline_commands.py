"""The `overseer` subcommands' pipeline side: run a pipeline file, show its tree, route a
decision or a cancel given to a pipeline id. Each returns the process exit code."""

import argparse
import asyncio

from temporalio.client import Client

from contracts.approvals import CancelRequest
from contracts.errors import OverseerError
from contracts.handoff import HumanInput
from starters.cli.exit_codes import exit_code
from starters.client.connection import connect, task_queue
from starters.client.human_input import reply
from starters.client.pipelines import PipelineClient, pipeline_tree, start_pipeline
from starters.client.runs import RunClient

POLL_SECONDS = 0.5


async def run_pipeline(args: argparse.Namespace) -> int:
    if args.replay is not None:
        raise OverseerError("--replay replays one agent run; it does not apply to a pipeline")
    client = await connect()
    pipeline_id, spec = await start_pipeline(
        client, args.agent_file, args.goal, args.user, task_queue()
    )
    print(f"started pipeline {pipeline_id} ({len(spec.steps)} steps)")
    if not args.watch:
        print(f"see it: overseer status {pipeline_id}")
        return 0
    return await watch_pipeline(client, pipeline_id)


async def watch_pipeline(client: Client, pipeline_id: str) -> int:
    """Print the tree whenever it changes, until the pipeline ends or waits for a human."""
    pipeline, shown = PipelineClient(client, pipeline_id), ""
    while True:
        snapshot = await pipeline.snapshot()
        tree = pipeline_tree(snapshot)
        if tree != shown:
            print(tree + "\n")
            shown = tree
        waiting = any(c.blocked_reason for i in snapshot.items for c in i.children)
        if snapshot.state.is_terminal or snapshot.pending_approvals or waiting:
            return exit_code(snapshot.state)
        await asyncio.sleep(POLL_SECONDS)  # the CLI polls a query on an interval


async def status(client: Client, pipeline_id: str) -> int:
    print(pipeline_tree(await PipelineClient(client, pipeline_id).snapshot()))
    return 0


async def decide(client: Client, args: argparse.Namespace, verdict: str) -> int:
    """A decision given to a pipeline id goes to the child run waiting for the action."""
    pipeline_id = args.run
    child_id, request = await PipelineClient(client, pipeline_id).owner_of(args.action)
    receipt = await RunClient(client, child_id).decide_reviewed(
        "approve" if verdict == "approved" else "reject",
        request,
        approver=args.user,
        reason=args.reason,
        reviewed_sha256=args.sha256,
        signer=args.signer,
    )
    print(
        f"{receipt.verdict} action {request.short_id} ({request.tool}) of run {child_id} "
        f"in pipeline {pipeline_id} as {receipt.approver} (event #{receipt.event_seq})"
    )
    return 0


async def cancel(client: Client, pipeline_id: str, request: CancelRequest) -> int:
    snapshot = await PipelineClient(client, pipeline_id).cancel(request)
    print(
        f"canceled pipeline {pipeline_id} as {request.by}: {request.reason} "
        "(running children are canceled, completed steps rolled back)"
    )
    if snapshot.state.is_terminal:
        print(f"state: {snapshot.state}")
    else:  # its children are still winding down
        print(f"state: canceling (children halting), see: overseer status {pipeline_id}")
    return 0


async def cmd_reply(args: argparse.Namespace) -> int:
    seq = await reply(await connect(), args.run, HumanInput(by=args.user, text=args.text))
    print(f"replied to run {args.run} as {args.user} (event #{seq})")
    return 0
