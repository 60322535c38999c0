"""The approval service under load: the inbox with 200 runs waiting, and a decision through
the service (HTTP, authentication, policy check, signature, update, verification in the
workflow) to the tool activity scheduled, against a bare Temporal update doing the same.

Not part of `make test`. From the repo root:

    .venv/bin/python -m bench.approvals [--waiting 200] [--decisions 50]

One embedded dev server; the Overseer and bare workers each in their own process (as in
bench.benchmark); the service in this process on uvicorn, spoken to over a real socket.
"""

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from approvals.app import create_app
from approvals.config import ServiceConfig
from approvals.tokens import add_token
from bench.benchmark import (
    WRITE,
    Bench,
    Row,
    first_activity_done,
    free_port,
    pct,
    spec,
    table,
    wait_waiting,
)
from contracts.data_converter import overseer_data_converter
from contracts.signing import DecisionKey
from contracts.spec import PolicySpec
from starters.client.signing import SigningKey
from starters.server import ServerAddress, dev_server_command
from tests.approval_service_helpers import serving

INBOX_TARGET_MS = 300.0
DECISION_TARGET_MS = 150.0


async def scheduled_after(handle: WorkflowHandle[Any, Any], sent: datetime) -> float:
    """Milliseconds from `sent` to the first activity scheduled after it (the tool)."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            at = event.event_time.ToDatetime(tzinfo=UTC)
            if at >= sent:
                return (at - sent).total_seconds() * 1000
    raise AssertionError(f"{handle.id}: no activity after the decision")


async def measure(bench: Bench, folder: Path, waiting: int, decisions: int) -> list[Row]:
    key = SigningKey.generate("bench-service", None)
    key.save(folder / "key.json")
    token = add_token(folder / "tokens.yaml", "alice", [])
    policy = PolicySpec(
        approvers=["alice"],
        require_signed_decisions=True,
        decision_keys={key.key_id: DecisionKey(public_key=key.public_key)},
    )
    config = ServiceConfig(
        signing_key=str(folder / "key.json"), tokens_file=str(folder / "tokens.yaml")
    )

    async def work(queue_o: str, queue_b: str) -> list[Row]:
        for n in range(waiting):
            (folder / f"w{n}").mkdir(exist_ok=True)
        handles = await bench.start_runs(
            queue_o, [spec(folder / f"w{n}", WRITE, policy=policy) for n in range(waiting)]
        )
        for handle in handles:
            await wait_waiting(handle)
        app = create_app(config, client=bench.client)
        async with (
            serving(app) as base,
            httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as http,
        ):
            inbox_ms = []
            for _ in range(21):
                started = time.perf_counter()
                listed = (await http.get("/api/approvals")).json()
                inbox_ms.append((time.perf_counter() - started) * 1000)
                assert len(listed) >= waiting, f"listed {len(listed)} of {waiting}"
            cold, warm = inbox_ms[0], inbox_ms[1:]
            decide_ms = []
            for handle in handles[:decisions]:
                [item] = (await http.get(f"/api/runs/{handle.id}/actions")).json()
                sent = datetime.now(UTC)
                answer = await http.post(
                    f"/api/runs/{handle.id}/actions/{item['short_id']}/approve",
                    json={"args_sha256": item["args_sha256"]},
                )
                assert answer.status_code == 200, answer.text
                await handle.result()
                decide_ms.append(await scheduled_after(handle, sent))
        bare_ms = []
        for handle in await bench.start_bare(queue_b, decisions, 1, "x", True):
            await first_activity_done(handle)
            sent = datetime.now(UTC)
            await handle.execute_update("go")
            await handle.result()
            bare_ms.append(await scheduled_after_last(handle, sent))
        p99 = pct(decide_ms, 0.99)
        return [
            Row(f"inbox, {waiting} waiting, first listing", cold, float("nan"), "ms"),
            Row(
                f"inbox, {waiting} waiting, p99 of 20",
                pct(warm, 0.99),
                float("nan"),
                "ms",
                f"< {INBOX_TARGET_MS:.0f} ms",
                pct(warm, 0.99) < INBOX_TARGET_MS,
            ),
            Row(
                "decision via service -> tool scheduled p50",
                pct(decide_ms, 0.5),
                pct(bare_ms, 0.5),
                "ms",
            ),
            Row(
                "decision via service -> tool scheduled p99",
                p99,
                pct(bare_ms, 0.99),
                "ms",
                f"< {DECISION_TARGET_MS:.0f} ms",
                p99 < DECISION_TARGET_MS,
            ),
        ]

    return await bench.run_with_workers(work)


async def scheduled_after_last(handle: WorkflowHandle[Any, Any], sent: datetime) -> float:
    """The bare workflow's second activity (after the update), from `sent`."""
    times = [
        event.event_time.ToDatetime(tzinfo=UTC)
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    return (times[-1] - sent).total_seconds() * 1000


async def main() -> int:
    parser = argparse.ArgumentParser(description="the approval service under load")
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=50)
    args = parser.parse_args()
    address = ServerAddress("127.0.0.1", free_port())
    with tempfile.TemporaryDirectory(prefix="overseer-bench-approvals-") as name:
        folder = Path(name)
        server = subprocess.Popen(  # noqa: ASYNC220 - starting, not waiting on, the server
            [*dev_server_command(address, free_port(), folder / "t.db"), "--headless"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await asyncio.sleep(5)
            client = await Client.connect(address.target, data_converter=overseer_data_converter)
            bench = Bench(client, address.target, folder, server.pid, None)
            rows = await measure(bench, folder, args.waiting, args.decisions)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
