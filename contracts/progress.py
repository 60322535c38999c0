"""Live progress of a step in flight: what an activity publishes to its run's stream.

The stream is temporalio.contrib.workflow_streams' (offset-addressed, hosted by the run,
workflows/run/live.py): an activity publishes batches by signal, a watcher reads them by
query. An item is what a watcher shows while the step works; the step's result (the model's
whole answer, the tool's output) still comes as the activity's one result, as before.
"""

from typing import Literal

from pydantic import Field

from contracts.limits import NAME_MAX_CHARS
from contracts.strict import StrictBody

# The one topic a run's stream has.
PROGRESS_TOPIC = "progress"
# One item's text at most: a batch of streamed text is cut into items of this size.
ITEM_MAX_CHARS = 4_000
# How often an activity sends what it has gathered (one signal per batch, never per token),
# and how much text makes it send at once.
BATCH_SECONDS = 1.0
BATCH_MAX_CHARS = 2_000
# What the run keeps for a late watcher: the newest items only (workflows/run/live.py).
RETAINED_ITEMS = 64

# text: a piece of the model's answer as it streams; note: a tool's progress note;
# retrying: this attempt failed half-way, the text so far is void and the call is asked
# again as a whole.
ProgressKind = Literal["text", "note", "retrying"]


class ProgressItem(StrictBody):
    kind: ProgressKind
    # The step record's activity id (workflows/run/step_book.py): which step this is of.
    activity_id: str = Field(max_length=NAME_MAX_CHARS)
    # What the step is, for a watcher: `model gpt-4o step 3`, `tool fetch_url`.
    label: str = Field(max_length=NAME_MAX_CHARS)
    attempt: int = Field(ge=1)
    text: str = Field(max_length=ITEM_MAX_CHARS)
