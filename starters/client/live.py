"""Read a run's live progress: the text of a streaming model call, a tool's notes.

The run hosts a temporalio.contrib.workflow_streams stream (workflows/run/live.py); this
reads it with the stream's own query (an update would write history for every poll). The
offset counts up across continue-as-new, so one reader follows a run from start to end.
"""

import base64
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.contrib.workflow_streams import PollInput, PollResult
from temporalio.service import RPCError

from contracts.errors import OverseerError
from contracts.progress import PROGRESS_TOPIC, ProgressItem

POLL_QUERY = "__temporal_workflow_stream_poll"
QUERY_TIMEOUT = timedelta(seconds=10)
# What a watcher keeps of the step in flight: the end of its text, its last notes.
SHOWN_TEXT_CHARS = 2_000
SHOWN_NOTES = 5
# Steps a view remembers (a long run has thousands; a watcher shows the newest).
KEPT_STEPS = 8


class LiveReader:
    """Reads the items published since the last read (from the oldest the run retains)."""

    def __init__(self, client: Client, run_id: str, from_offset: int = 0) -> None:
        self.run_id = run_id
        self.offset = from_offset
        self._handle = client.get_workflow_handle(run_id)
        self._converter = client.data_converter.payload_converter

    async def read(self) -> list[ProgressItem]:
        """New items, in order; [] from a run whose worker predates live progress."""
        try:
            result = await self._handle.query(
                POLL_QUERY,
                PollInput(topics=[PROGRESS_TOPIC], from_offset=self.offset),
                result_type=PollResult,
                rpc_timeout=QUERY_TIMEOUT,
            )
        except WorkflowQueryFailedError:
            return []
        except RPCError as error:
            raise OverseerError(f"run {self.run_id}: live progress: {error.message}") from None
        self.offset = result.next_offset
        return [item for wire in result.items if (item := self._item(wire.data)) is not None]

    def _item(self, data: str) -> ProgressItem | None:
        # Anyone who may signal the run may publish to it: what is not an item is skipped.
        try:
            payload = Payload()
            payload.ParseFromString(base64.b64decode(data))
            return ProgressItem.model_validate(self._converter.from_payload(payload))
        except (ValueError, ValidationError, TypeError):
            return None


@dataclass
class LiveStep:
    """What a watcher shows of one step in flight."""

    label: str
    attempt: int = 1
    text: str = ""
    notes: list[str] = field(default_factory=list)
    # Set when an attempt failed half-way: the text shown so far was void.
    retried: str = ""


@dataclass
class LiveView:
    """The steps seen in the stream, the newest last."""

    steps: dict[str, LiveStep] = field(default_factory=dict)

    def add(self, item: ProgressItem) -> None:
        step = self.steps.pop(item.activity_id, None) or LiveStep(item.label, item.attempt)
        self.steps[item.activity_id] = step  # moved to the end: the newest step
        if len(self.steps) > KEPT_STEPS:
            del self.steps[next(iter(self.steps))]
        if item.attempt > step.attempt:  # a new attempt starts from nothing
            step.attempt, step.text = item.attempt, ""
        if item.kind == "text":
            step.text = (step.text + item.text)[-SHOWN_TEXT_CHARS:]
        elif item.kind == "note":
            step.notes = [*step.notes, item.text][-SHOWN_NOTES:]
        else:
            step.retried, step.text = f"attempt {item.attempt} {item.text}", ""

    def current(self) -> LiveStep | None:
        return next(reversed(self.steps.values()), None)
