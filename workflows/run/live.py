"""The run's live-progress stream: temporalio.contrib.workflow_streams, kept small.

Activities publish a step's progress to it (activities/progress.py, one signal per batch)
and watchers read it by the stream's query (starters/client/live.py). Three choices on top of
the SDK's stream:
- Its long-poll update is refused (by the validator, so nothing is written): an accepted
  update writes two history events per poll per watcher and holds one of the run's few
  in-flight update slots, which approvals need. The query reads the same items for free.
- What it keeps is redacted as the run's events are (contracts.redaction, built-in and the
  policy's patterns): live text is text meant for people. (The publish signal in history
  holds it as the activity sent it, as the activity's result holds the model's answer.)
- It retains only the newest RETAINED_ITEMS: progress is for the step in flight, its result
  is recorded anyway; the run's memory and a late watcher's first read stay bounded.
- Continue-as-new carries only the offset (contracts.carry.CarriedState.stream_offset): a
  watcher's offsets keep counting up across segments, and no items ride in history.
- Its handlers are declared once, on AgentRunWorkflow (workflows/run/handlers.py), instead
  of registered by every run: registering them made the SDK read their (string) type hints
  again for every run, about 1 ms of a worker's CPU per run.
"""

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from temporalio.contrib.workflow_streams import (
        PollInput,
        PollResult,
        PublishInput,
        WorkflowStream,
        WorkflowStreamItem,
    )
    from temporalio.contrib.workflow_streams._stream import (
        _OFFSET_QUERY,
        _POLL,
        _PUBLISH_SIGNAL,
    )

from contracts.progress import ITEM_MAX_CHARS, RETAINED_ITEMS
from contracts.redaction import redact

READ_BY_QUERY = "LiveStreamReadByQuery"
# The stream's handler names (its wire protocol, which its clients use).
PUBLISH_SIGNAL, POLL, OFFSET_QUERY = _PUBLISH_SIGNAL, _POLL, _OFFSET_QUERY


class LiveStream(WorkflowStream):
    def __init__(self, offset: int, redact_patterns: list[str]) -> None:
        # Not WorkflowStream.__init__, which registers the stream's handlers: the workflow
        # declares them (handlers.py). The state it would start with, from `offset`:
        self._log: list[WorkflowStreamItem[Any]] = []
        self._base_offset = offset
        self._publishers = {}
        self._detaching = False
        self._topic_types = {}
        self._redact_patterns = redact_patterns

    def offset(self) -> int:
        """The offset the next item gets: what the next segment starts from."""
        return self._base_offset + len(self._log)

    # -- what the workflow's handlers call ------------------------------------------------

    def publish(self, payload: PublishInput) -> None:
        self._on_publish(payload)

    async def poll(self, payload: PollInput) -> PollResult:
        return await self._on_poll(payload)

    def validate_poll(self, payload: PollInput) -> None:
        self._validate_poll(payload)

    def read(self, payload: PollInput) -> PollResult:
        return self._collect_batch(payload)

    def next_offset(self) -> int:
        return self._on_offset()

    # -- the SDK stream's own steps, changed ------------------------------------------------

    def _on_publish(self, payload: PublishInput) -> None:
        before = len(self._log)
        try:
            super()._on_publish(payload)  # may drop the batch: a publisher's retry of it
        except Exception as error:
            # Anyone who may signal the run may publish: an entry that does not decode
            # (not base64, not a Payload) is dropped, it must not fail the workflow task.
            workflow.logger.warning("live progress: a malformed publish dropped: %s", error)
        self._log[before:] = [self._redacted(item) for item in self._log[before:]]
        excess = len(self._log) - RETAINED_ITEMS
        if excess > 0:
            self.truncate(self._base_offset + excess)

    def _validate_poll(self, _payload: PollInput) -> None:
        raise ApplicationError(
            "read a run's live progress with the query of the same name (it writes no history)",
            type=READ_BY_QUERY,
        )

    def _redacted(self, item: WorkflowStreamItem[Any]) -> WorkflowStreamItem[Any]:
        """The item with its text redacted (readers skip what is not a progress item)."""
        converter = workflow.payload_converter()
        try:
            value = converter.from_payload(item.data)
        except Exception:  # not JSON: kept as sent, a reader skips it
            return item
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            return item
        text = redact(value["text"], self._redact_patterns)[:ITEM_MAX_CHARS]
        [data] = converter.to_payloads([{**value, "text": text}])
        return WorkflowStreamItem(topic=item.topic, data=data)
