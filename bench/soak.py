"""A soak: thousands of one-tool runs through one worker, started in batches, on each side.

What it watches: that every run completes (a failed or lost run is counted, by id), the
worker's memory as the runs go by (after the first tenth, at its peak, at the end: a leak
shows as growth after the worker's workflow cache has filled), and the throughput and CPU
per run over the whole soak rather than over one batch.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass, field

from bench.benchmark import ONE_TOOL, Bench, Row, WorkerProcess, spec

# Runs in flight at once: enough to keep both workers busy, few enough that the dev
# server's task queues stay short.
IN_FLIGHT = 500


@dataclass
class SoakResult:
    runs: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_ms_per_run: float = 0.0
    rss_mb: list[float] = field(default_factory=list)  # after each wave of IN_FLIGHT runs


async def _soak_side(bench: Bench, worker: WorkerProcess, runs: int, bare: bool) -> SoakResult:
    result = SoakResult(runs=runs)
    cpu = worker.cpu_seconds()
    began = time.perf_counter()
    for wave in range(0, runs, IN_FLIGHT):
        count = min(IN_FLIGHT, runs - wave)
        if bare:
            handles = await bench.start_bare(worker.queue, count, 3, "x", False)
        else:
            specs = [
                spec(bench.workspace, ONE_TOOL, goal=f"soak {uuid.uuid4().hex}")
                for _ in range(count)
            ]
            handles = await bench.start_runs(worker.queue, specs)
        outcomes = await asyncio.gather(*(h.result() for h in handles), return_exceptions=True)
        for handle, outcome in zip(handles, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                result.failed.append(f"{handle.id}: {outcome}")
            elif not bare and outcome.get("state") != "completed":
                result.failed.append(f"{handle.id}: ended {outcome.get('state')}")
        result.rss_mb.append(worker.rss_mb())
    result.seconds = time.perf_counter() - began
    result.cpu_ms_per_run = (worker.cpu_seconds() - cpu) / runs * 1000
    return result


async def soak(bench: Bench, runs: int) -> list[Row]:
    async def work(_queue_o: str, _queue_b: str) -> list[Row]:
        sides = {
            "overseer": await _soak_side(bench, bench.overseer_worker, runs, bare=False),
            "bare": await _soak_side(bench, bench.bare_worker, runs, bare=True),
        }
        o, b = sides["overseer"], sides["bare"]
        tenth = max(0, len(o.rss_mb) // 10 - 1)
        for side, outcome in sides.items():
            for failure in outcome.failed[:20]:
                print(f"soak, {side}: {failure}")
        return [
            Row(f"{runs}-run soak: throughput", runs / o.seconds, runs / b.seconds, "runs/s"),
            Row(f"{runs}-run soak: worker CPU per run", o.cpu_ms_per_run, b.cpu_ms_per_run, "ms"),
            Row(
                f"{runs}-run soak: worker RSS after the first tenth",
                o.rss_mb[tenth],
                b.rss_mb[tenth],
                "MB",
            ),
            Row(f"{runs}-run soak: worker RSS, peak", max(o.rss_mb), max(b.rss_mb), "MB"),
            Row(f"{runs}-run soak: worker RSS at the end", o.rss_mb[-1], b.rss_mb[-1], "MB"),
            Row(
                f"{runs}-run soak: runs failed or lost",
                len(o.failed),
                len(b.failed),
                "runs",
                "0",
                not o.failed and not b.failed,
            ),
        ]

    return await bench.run_with_workers(work)
