"""What a run costs the Temporal server, counted instead of timed: the persistence requests
per run, by service and operation, from the dev server's Prometheus `/metrics`.

CPU figures on this 2-core VM move by 5-10 % from one run to the next. The requests a run
makes itself (its creation, mutable-state updates, history reads, visibility records) do
not; the task queues' reads and matching's task writes depend on load and on the window,
and vary a little. On `temporal server start-dev` as it comes (`--dev-sa-refresh`), every
search-attribute operation (validating a start or an upsert, writing a visibility record)
reads the cluster metadata from SQLite again, and one with custom attributes the namespace
too: start-dev turns the search-attribute cache off, a setting Temporal's dynamic config
documents as "should not be turned on in production". A bare workflow, with no custom
search attributes, pays fewer of those reads and none of the namespace; an Overseer run,
listed by state, agent and requester, pays them all. The embedded server runs with the
cache on, as Temporal's default has it.
"""

import asyncio
import re
import time
import urllib.request
import uuid

from bench.benchmark import ONE_TOOL, Bench, Row, spec

METRICS = ("persistence_requests", "visibility_persistence_requests")
# A line of the Prometheus text format: name{labels} value
_SAMPLE = re.compile(r"^(\w+)\{(.*)\} (\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')
# Counted operations under this per run on both sides are background work (a shard's
# periodic update, namespace listing), not the runs'.
NOISE_FLOOR = 0.2

Operation = tuple[str, str]  # (service, operation)
CLOSED: Operation = ("history", "RecordWorkflowExecutionClosed")


def persistence_requests(metrics_port: int) -> dict[Operation, float]:
    """The server's persistence requests so far, by service and operation."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        return requests_in(response.read().decode())


def requests_in(text: str) -> dict[Operation, float]:
    """Sum the persistence request counters of a Prometheus text page by service and
    operation (over their other labels: namespace, persistence backend)."""
    counts: dict[Operation, float] = {}
    for line in text.splitlines():
        sample = _SAMPLE.match(line)
        if sample is None or sample.group(1) not in METRICS:
            continue
        labels = dict(_LABEL.findall(sample.group(2)))
        key = (labels.get("service_name", "?"), labels.get("operation", "?"))
        counts[key] = counts.get(key, 0.0) + float(sample.group(3))
    return counts


async def _closes_recorded(
    port: int, before: dict[Operation, float], runs: int, within: float = 60
) -> dict[Operation, float]:
    """The counts once the visibility store has recorded every run's close (it follows the
    close on a queue of its own), so a batch's work is all in its window."""
    deadline = time.monotonic() + within
    while True:
        after = persistence_requests(port)
        if after.get(CLOSED, 0) - before.get(CLOSED, 0) >= runs:
            return after
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server recorded fewer than {runs} closes in {within} s")
        await asyncio.sleep(0.5)


async def server_operations(bench: Bench, runs: int) -> list[Row]:
    """One batch of each side to warm up, then one counted batch of each."""
    if bench.metrics_port is None:
        raise RuntimeError("the server-ops phase needs the server's --metrics-port")
    port = bench.metrics_port

    async def per_run(side: str, queue: str) -> dict[Operation, float]:
        await bench.server_idle()
        before = persistence_requests(port)
        if side == "bare":
            handles = await bench.start_bare(queue, runs, 3, "x", False)
        else:
            goals = [f"benchmark {uuid.uuid4().hex}" for _ in range(runs)]
            handles = await bench.start_runs(
                queue, [spec(bench.workspace, ONE_TOOL, goal=goal) for goal in goals]
            )
        await asyncio.gather(*(handle.result() for handle in handles))
        after = await _closes_recorded(port, before, runs)
        return {key: (after[key] - before.get(key, 0)) / runs for key in after}

    async def work(queue_o: str, queue_b: str) -> list[Row]:
        counted: dict[str, dict[Operation, float]] = {}
        for _warm_up_then_counted in range(2):
            counted = {
                "bare": await per_run("bare", queue_b),
                "overseer": await per_run("overseer", queue_o),
            }
        keys = sorted(
            key
            for key in set(counted["bare"]) | set(counted["overseer"])
            if max(counted["bare"].get(key, 0), counted["overseer"].get(key, 0)) >= NOISE_FLOOR
        )
        rows = [
            Row(
                f"{service}: {operation}",
                counted["overseer"].get((service, operation), 0),
                counted["bare"].get((service, operation), 0),
                "per run",
            )
            for service, operation in keys
        ]
        total = Row(  # every operation, those under the floor too
            "all persistence requests",
            sum(counted["overseer"].values()),
            sum(counted["bare"].values()),
            "per run",
        )
        return [*rows, total]

    return await bench.run_with_workers(work)
