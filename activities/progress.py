"""Publish a step's live progress to its run's stream, in batches.

A streaming model call sends its text as it arrives and a tool sends notes
(`progress_note`); a watcher (`overseer watch`, starters/client/live.py) reads them from the
run while the step works. What reaches the run is batched: one signal per BATCH_SECONDS (or
per BATCH_MAX_CHARS of text), never one per token, so a long answer adds a bounded number of
history events. Progress is best effort: a publish that fails is logged and dropped, never
the step's failure. The step's result still travels as the activity's one result.
"""

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import activity
from temporalio.contrib.workflow_streams import WorkflowStreamClient

from contracts.progress import (
    BATCH_MAX_CHARS,
    BATCH_SECONDS,
    ITEM_MAX_CHARS,
    PROGRESS_TOPIC,
    ProgressItem,
    ProgressKind,
)

T = TypeVar("T")

# The live progress of the activity running in this context (a tool's notes find it here).
_CURRENT: contextvars.ContextVar["LiveProgress | None"] = contextvars.ContextVar(
    "overseer_live_progress", default=None
)
# Flushes are ours (on a timer or when enough text gathered): the client's own timer is off.
_NEVER = timedelta(days=1)


def _pieces(text: str) -> list[str]:
    return [text[start : start + ITEM_MAX_CHARS] for start in range(0, len(text), ITEM_MAX_CHARS)]


class LiveProgress:
    """An activity's progress, gathered and sent to its run (use as `async with`).

    Connects on first use: a step that publishes nothing sends nothing and adds nothing to
    the run's history.
    """

    def __init__(
        self,
        label: str,
        scrub: Callable[[str], str] = lambda text: text,
        interval: float = BATCH_SECONDS,
    ) -> None:
        info = activity.info()
        self._label = label[:200]
        self._activity_id = info.activity_id[:200]
        self._attempt = info.attempt
        self._scrub = scrub
        self._interval = interval
        self._text: list[str] = []
        self._chars = 0
        self._items: list[ProgressItem] = []
        self._wake = asyncio.Event()
        self._client: WorkflowStreamClient | None = None
        self._sender: asyncio.Task[None] | None = None
        self._warned = False

    # -- what a step calls ----------------------------------------------------------------

    def text(self, piece: str) -> None:
        """A piece of the model's answer (the provider's `on_text`)."""
        self._start()
        self._text.append(piece)
        self._chars += len(piece)
        if self._chars >= BATCH_MAX_CHARS:
            self._wake.set()

    def note(self, text: str) -> None:
        """A progress note: sent with the next batch."""
        self._start()
        self._gather_text()
        self._add("note", self._scrub(text))
        self._wake.set()

    async def retrying(self, why: str) -> None:
        """This attempt failed half-way: tell the watcher, now (the activity is about to
        raise and Temporal asks again)."""
        if self._client is None:
            return  # nothing was shown, there is nothing to take back
        self._gather_text()
        self._add("retrying", why)
        await self._send()

    # -- batching -------------------------------------------------------------------------

    def _add(self, kind: ProgressKind, text: str) -> None:
        for piece in _pieces(text) or [""]:
            self._items.append(
                ProgressItem(
                    kind=kind,
                    activity_id=self._activity_id,
                    label=self._label,
                    attempt=self._attempt,
                    text=piece,
                )
            )

    def _gather_text(self) -> None:
        if self._text:
            self._add("text", self._scrub("".join(self._text)))
            self._text, self._chars = [], 0

    def _start(self) -> None:
        if self._client is None:
            self._client = WorkflowStreamClient.from_within_activity(batch_interval=_NEVER)
            self._sender = asyncio.create_task(self._keep_sending())

    async def _keep_sending(self) -> None:
        while True:
            # Woken early when enough text gathered; otherwise on the interval.
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({woken}, timeout=self._interval)
            finally:
                woken.cancel()
            self._wake.clear()
            await self._send()

    async def _send(self) -> None:
        self._gather_text()
        if self._client is None or not self._items:
            return
        topic = self._client.topic(PROGRESS_TOPIC)
        for item in self._items:
            topic.publish(item.model_dump(mode="json"))
        self._items = []
        try:
            await self._client.flush()  # one signal for the whole batch
        except Exception as error:  # progress must never fail the step
            if not self._warned:
                activity.logger.warning("live progress not delivered: %s", error)
                self._warned = True

    async def __aenter__(self) -> "LiveProgress":
        self._token = _CURRENT.set(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)
        if self._sender is not None:
            self._sender.cancel()
            # Waited without re-raising its CancelledError, which would hide our own cancel.
            await asyncio.wait({self._sender})
        # What is left goes before the result does, so a watcher sees the whole text.
        await self._send()


def progress_note(text: str) -> None:
    """Tell a watcher how a long tool call is getting on (`fetched 3 of 10 pages`).

    Call it from a tool's code; outside an activity that publishes progress it does nothing.
    Notes are batched with the rest: calling it often costs no more history than seldom.
    """
    live = _CURRENT.get()
    if live is not None:
        live.note(text)


async def with_progress(
    label: str, work: Awaitable[T], scrub: Callable[[str], str] = lambda text: text
) -> T:
    """`work`'s result, with `progress_note` calls inside it published for the step."""
    async with LiveProgress(label, scrub):
        return await work
