"""Reading payloads a run keeps out of its history (the artifact store), and retention."""

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.artifacts import CollectableStore, StoredArtifact, default_store
from contracts.artifacts import ArtifactRef
from contracts.errors import OverseerError, one_line


async def read_artifact(ref: str) -> bytes:
    """The bytes of `sha256:<hex>` (or `<hex>`) from the store this process is configured
    with (OVERSEER_ARTIFACTS); OverseerError if the reference is malformed, or the artifact
    is missing or corrupt."""
    try:
        return await default_store().get(ArtifactRef.parse(ref))
    except ValueError as error:
        raise OverseerError(one_line(f"{error}, got {ref!r}")) from None
    except ApplicationError as error:
        raise OverseerError(one_line(error.message)) from None


# An object younger than this is never collected: a run may have just stored it (or, for a
# store that skips existing objects, just refreshed it) without its history saying so yet.
MIN_AGE = timedelta(days=1)
# Histories read at once, and at most: a namespace retaining more than this must be cleaned
# by its bucket's lifecycle rules, not by reading every history from one process.
SCAN_CONCURRENCY = 8
MAX_WORKFLOWS = 200_000
# Any 64-hex token in a history: references appear as `sha256:<hex>` in events and as
# {"sha256": "<hex>"} in payloads; keeping every such token errs on the side of keeping.
_HASH = re.compile(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


@dataclass
class Collection:
    """What `overseer artifacts gc` found: the objects it deleted (or would), and why the
    others stay."""

    expired: list[StoredArtifact] = field(default_factory=list)
    referenced: int = 0  # old, but a running or retained workflow refers to them
    recent: int = 0  # written after the cutoff
    workflows: int = 0  # histories read


async def referenced_hashes(client: Client) -> tuple[set[str], int]:
    """Every hash named in the history of a workflow the namespace still holds (running or
    closed and retained), and how many histories that was."""
    found: set[str] = set()
    gate = asyncio.Semaphore(SCAN_CONCURRENCY)

    async def scan(workflow_id: str, run_id: str | None) -> None:
        async with gate:
            handle = client.get_workflow_handle(workflow_id, run_id=run_id)
            async for event in handle.fetch_history_events():
                found.update(m.decode() for m in _HASH.findall(event.SerializeToString()))

    tasks: list[asyncio.Task[None]] = []
    async for execution in client.list_workflows():
        if len(tasks) >= MAX_WORKFLOWS:
            for task in tasks:
                task.cancel()
            raise OverseerError(
                f"more than {MAX_WORKFLOWS} workflows retained: gc reads every history to know "
                "what is referenced; use the bucket's lifecycle rules instead"
            )
        tasks.append(asyncio.create_task(scan(execution.id, execution.run_id)))
    await asyncio.gather(*tasks)
    return found, len(tasks)


async def collect_artifacts(
    client: Client,
    older_than: timedelta,
    dry_run: bool,
    store: CollectableStore | None = None,
    now: datetime | None = None,
) -> Collection:
    """Delete (or with `dry_run` only list) the store's objects last written before
    `older_than` ago that no workflow the namespace still holds refers to. References are
    read first and objects listed after, so an object stored meanwhile is young, not
    unreferenced."""
    if older_than < MIN_AGE:
        raise OverseerError(f"--older-than must be at least {MIN_AGE.days}d")
    store = store or default_store()
    cutoff = (now or datetime.now(UTC)) - older_than
    keep, workflows = await referenced_hashes(client)
    collection = Collection(workflows=workflows)
    async for entry in store.entries():
        if entry.written >= cutoff:
            collection.recent += 1
        elif entry.sha256 in keep:
            collection.referenced += 1
        else:
            collection.expired.append(entry)
    if not dry_run:
        await store.delete([entry.sha256 for entry in collection.expired])
    return collection
