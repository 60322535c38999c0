"""bench/listing.py: the listed bare workflow is listed exactly as an Overseer run is, so
that what it costs beyond the bare workflow is the listing's cost and nothing else."""

import argparse
import asyncio
import uuid
from pathlib import Path
from typing import Any, cast

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bench.bare import ListedBareWorkflow, bare_step
from bench.benchmark import ONE_TOOL, Bench, Row, phase_table, spec, write_phase
from bench.listing import listing_rows, start_listed
from starters.client.runs import start_spec

WFT_COMPLETED = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
UPSERT = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
STARTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED


def listing_of(events: list[HistoryEvent]) -> dict[str, Any]:
    """What a history lists: the start's attribute names and Web UI texts, each upsert's
    attribute names with the workflow task it came in, and whether every activity has a
    summary."""
    started = events[0]
    assert started.event_type == STARTED
    attributes = started.workflow_execution_started_event_attributes
    upserts, tasks = [], 0
    for event in events:
        if event.event_type == WFT_COMPLETED:
            tasks += 1
        elif event.event_type == UPSERT:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            upserts.append((tasks, sorted(fields.indexed_fields)))
    scheduled = [event for event in events if event.event_type == SCHEDULED]
    return {
        "start": sorted(attributes.search_attributes.indexed_fields),
        "summary and details": bool(
            started.user_metadata.summary.data and started.user_metadata.details.data
        ),
        "upserts (workflow task, attributes)": upserts,
        "workflow tasks": tasks,
        "activities": len(scheduled),
        "every activity summarized": all(event.user_metadata.summary.data for event in scheduled),
    }


async def history(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [event async for event in handle.fetch_history_events()]


async def test_the_listed_bare_workflow_is_listed_as_an_overseer_run_is(
    client: Client, worker: Worker, task_queue: str, tmp_path: Path
) -> None:
    bench = Bench(client, "", tmp_path, server_pid=0)
    run = await start_spec(
        client, f"bench-{uuid.uuid4().hex}", spec(tmp_path, ONE_TOOL), task_queue
    )
    bare_queue = f"listed-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=bare_queue, workflows=[ListedBareWorkflow], activities=[bare_step]
    ):
        (listed,) = await start_listed(bench, bare_queue, 1)
        await asyncio.wait_for(asyncio.gather(run.result(), listed.result()), 60)

    run_listing, listed_listing = listing_of(await history(run)), listing_of(await history(listed))

    assert listed_listing == run_listing
    assert run_listing["summary and details"] and run_listing["every activity summarized"]
    assert [task for task, _ in run_listing["upserts (workflow task, attributes)"]] == [1, 4]
    final = [(await handle.describe()).typed_search_attributes for handle in (run, listed)]
    assert sorted(pair.key.name for pair in final[1]) == sorted(pair.key.name for pair in final[0])


def test_listing_is_a_phase(tmp_path: Path) -> None:
    unconnected = Bench(cast(Client, None), "", tmp_path, server_pid=0)
    assert "listing" in phase_table(unconnected, argparse.Namespace())


def test_each_side_is_set_against_the_one_below_it() -> None:
    rows = listing_rows(
        {
            "bare": (20.0, 10.0, 50.0),
            "listed bare": (19.0, 11.0, 54.0),
            "overseer": (18.0, 13.0, 55.0),
        }
    )

    ratios = {row.name: round(row.ratio, 3) for row in rows}
    assert ratios == {
        "throughput: listed bare / bare": 0.95,
        "worker CPU per run: listed bare / bare": 1.1,
        "server CPU per run: listed bare / bare": 1.08,
        "throughput: overseer / listed bare": round(18 / 19, 3),
        "worker CPU per run: overseer / listed bare": round(13 / 11, 3),
        "server CPU per run: overseer / listed bare": round(55 / 54, 3),
        "throughput: overseer / bare": 0.9,
    }


def test_the_listing_table_does_not_call_its_sides_overseer_and_bare(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"

    write_phase(out, "listing", [Row("throughput: listed bare / bare", 1, 2, "runs/s")])
    write_phase(out, "throughput", [Row("throughput (runs/s)", 1, 2, "runs/s")])

    listing, throughput = out.read_text().split("<!-- bench:throughput -->")
    assert "| measure | A | B | ratio | target |" in listing
    assert "| measure | Overseer | bare Temporal | ratio | target |" in throughput
