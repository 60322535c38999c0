"""The run's live-progress stream: temporalio.contrib.workflow_streams, kept small.

Activities publish a step's progress to it (activities/progress.py, one signal per batch)
and watchers read it by the stream's query (starters/client/live.py). Three choices on top of
the SDK's stream:
- Its long-poll update is refused (by the validator, so nothing is written): an accepted
  update writes two history events per poll per watcher and holds one of the run's few
  in-flight update slots, which approvals need. The query reads the same items for free.
- It retains only the newest RETAINED_ITEMS: progress is for the step in flight, its result
  is recorded anyway; the run's memory and a late watcher's first read stay bounded.
- Continue-as-new carries only the offset (contracts.carry.CarriedState.stream_offset): a
  watcher's offsets keep counting up across segments, and no items ride in history.
"""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from temporalio.contrib.workflow_streams import (
        PollInput,
        PublishInput,
        WorkflowStream,
        WorkflowStreamState,
    )

from contracts.progress import RETAINED_ITEMS

READ_BY_QUERY = "LiveStreamReadByQuery"


class LiveStream(WorkflowStream):
    def __init__(self, offset: int) -> None:
        # The SDK checks that its constructor is called from an `__init__`: this one is,
        # and it is called from the workflow's @workflow.init.
        super().__init__(WorkflowStreamState(base_offset=offset) if offset else None)

    def offset(self) -> int:
        """The offset the next item gets: what the next segment starts from."""
        return self._base_offset + len(self._log)

    def _on_publish(self, payload: PublishInput) -> None:
        super()._on_publish(payload)
        excess = len(self._log) - RETAINED_ITEMS
        if excess > 0:
            self.truncate(self._base_offset + excess)

    def _validate_poll(self, _payload: PollInput) -> None:
        raise ApplicationError(
            "read a run's live progress with the query of the same name (it writes no history)",
            type=READ_BY_QUERY,
        )
