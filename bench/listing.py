"""What being listed costs, apart from Overseer's own work.

An Overseer run is listed from its start: its search attributes (state, agent, requester,
pending approval, trace id; its agent version and end figures later), the Web UI's summary
and details, a summary on each activity, and two upserts. The bare workflow has none of
that. This phase runs three sides in each round: the bare workflow; the same workflow
listed exactly as an Overseer run is (bench/bare.py's ListedBareWorkflow, started with
start_listing's attributes); and the Overseer run. Listed bare against bare is what the
listing costs the server and the machine; Overseer against listed bare is what Overseer's
own work costs on top (its worker's code, its payloads, its artifact writes).
"""

import statistics
import uuid
from typing import Any

from temporalio.client import WorkflowHandle

from bench.benchmark import ONE_TOOL, Bench, Row, in_start_batches, spec
from starters.client.runs import start_listing

LISTED = "listed bare"
SIDES = ("bare", LISTED, "overseer")
Timing = tuple[float, float, float]  # runs per second, worker and server CPU ms per run


async def start_listed(bench: Bench, queue: str, runs: int) -> list[WorkflowHandle[Any, Any]]:
    """`runs` ListedBareWorkflows, each started as `overseer run` starts a run (its own
    goal, trace id, summary and details)."""

    async def start() -> WorkflowHandle[Any, Any]:
        listing = start_listing(
            spec(bench.workspace, ONE_TOOL, goal=f"benchmark {uuid.uuid4().hex}")
        )
        return await bench.client.start_workflow(
            "ListedBareWorkflow",
            args=[3, "x", f"v{uuid.uuid4().hex[:12]}"],
            id=f"listed-{uuid.uuid4().hex}",
            task_queue=queue,
            search_attributes=listing.search_attributes,
            static_summary=listing.summary,
            static_details=listing.details,
        )

    return await in_start_batches([start] * runs)


async def listing_cost(bench: Bench, runs: int, rounds: int) -> list[Row]:
    """`rounds` rounds of one batch of each side, the order rotating from round to round;
    each figure is the median of its side's batches."""

    async def work(queue_o: str, queue_b: str) -> list[Row]:
        assert bench.overseer_worker is not None and bench.bare_worker is not None
        samples: dict[str, list[Timing]] = {side: [] for side in SIDES}
        for round_number in range(rounds):
            shift = round_number % len(SIDES)
            for side in SIDES[shift:] + SIDES[:shift]:
                if side == "overseer":
                    timing = await bench.batch(bench.overseer_worker, queue_o, runs, bare=False)
                elif side == "bare":
                    timing = await bench.batch(bench.bare_worker, queue_b, runs, bare=True)
                else:
                    timing = await bench.timed(
                        bench.bare_worker, runs, lambda: start_listed(bench, queue_b, runs)
                    )
                samples[side].append(timing)
        median = {
            side: tuple(statistics.median(figure) for figure in zip(*timings, strict=True))
            for side, timings in samples.items()
        }
        return listing_rows(median)

    return await bench.run_with_workers(work)


def listing_rows(median: dict[str, tuple[float, ...]]) -> list[Row]:
    """Each measure twice: listed bare against bare (the listing's cost), Overseer against
    listed bare (Overseer's own work); and Overseer against bare, the throughput target's
    ratio, from the same batches."""
    measures = (
        ("throughput", "runs/s"),
        ("worker CPU per run", "ms"),
        ("server CPU per run", "ms"),
    )
    rows = []
    for pair in ((LISTED, "bare"), ("overseer", LISTED)):
        for index, (measure, unit) in enumerate(measures):
            name = f"{measure}: {pair[0]} / {pair[1]}"
            rows.append(Row(name, median[pair[0]][index], median[pair[1]][index], unit))
    rows.append(
        Row("throughput: overseer / bare", median["overseer"][0], median["bare"][0], "runs/s")
    )
    return rows
