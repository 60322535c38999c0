"""`overseer demo`: one supervised agent run, end to end, on the embedded server.

Starts (or reuses) the embedded Temporal server and a worker in this process, runs the
demo agent and asks for approval when the run needs it.
"""

import asyncio
import getpass
import sys
from pathlib import Path

from contracts.approvals import Decision
from contracts.errors import OverseerError
from contracts.states import RunState
from starters.cli.follow import follow
from starters.cli.render import approval_block, snapshot_text
from starters.client.connection import connect
from starters.client.runs import RunClient, start_run
from starters.server import ServerAddress, embedded_server
from workers.namespace_setup import ensure_search_attributes

DEMO_AGENT = Path(__file__).resolve().parents[2] / "agents" / "demo.yaml"
DEMO_GOAL = "Summarize the open release items into out/report.md"
AUTO_APPROVER = "demo-auto-approver"


async def _ask(question: str) -> bool:
    # In a thread: the in-process worker keeps serving while the human thinks.
    answer = await asyncio.to_thread(input, f"{question} [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


async def run_demo(
    address: str, ui_port: int, task_queue: str, auto_approve: bool, goal: str
) -> int:
    async with embedded_server(ServerAddress.parse(address), ui_port) as started:
        print(("Started" if started else "Reusing") + f" Temporal at {address}")
        client = await connect()
        await ensure_search_attributes(client)
        # Imported here: the worker (every activity, provider and MCP client) is the demo's
        # alone; other commands start faster without it.
        from workers.worker import build_worker

        async with build_worker(client, task_queue):
            run_id, _ = await start_run(client, DEMO_AGENT, goal, getpass.getuser(), task_queue)
            print(
                f"Run {run_id} started. Web UI: http://localhost:{ui_port}/namespaces/"
                f"{client.namespace}/workflows/{run_id}"
            )
            run = RunClient(client, run_id)
            seq = 0
            while True:
                snapshot, seq = await follow(run, stop_at_approval=True, after_seq=seq)
                if snapshot.state.is_terminal:
                    break
                request = snapshot.pending_approvals[0]
                print(approval_block(run_id, request))
                if auto_approve:
                    approver, approved = AUTO_APPROVER, True
                elif sys.stdin.isatty():
                    approver, approved = getpass.getuser(), await _ask(f"Approve {request.tool}?")
                else:
                    raise OverseerError(
                        "the run needs an approval and stdin is not a terminal: "
                        "run `overseer demo --auto-approve` (make demo AUTO_APPROVE=1)"
                    )
                decision = Decision(
                    action_id=request.action_id,
                    args_sha256=request.args_sha256,
                    approver=approver,
                    reason="approved in the demo" if approved else "declined in the demo",
                )
                await run.decide("approve" if approved else "reject", decision)
            print(snapshot_text(snapshot))
    if started:
        print(
            "The embedded server is stopped; `overseer server` brings it (and this run's "
            f"history) back, with the Web UI on http://localhost:{ui_port}"
        )
    return 0 if snapshot.state is RunState.COMPLETED else 1
