"""Archiving a segment's events and steps to the artifact store (see contracts.run_log)."""

from dataclasses import dataclass, field

from temporalio import activity

from activities.artifacts import ArtifactStore, default_store
from contracts.artifacts import ArtifactRef
from contracts.run_log import RUN_LOG_MEDIA_TYPE, RunLogPage

ARCHIVE_ACTIVITY = "artifacts.archive_run_log"


@dataclass
class RunLogActivities:
    store: ArtifactStore = field(default_factory=default_store)

    @activity.defn(name=ARCHIVE_ACTIVITY)
    async def archive(self, page: RunLogPage) -> ArtifactRef:
        return await self.store.put(page.model_dump_json().encode(), RUN_LOG_MEDIA_TYPE)
