"""Queue control: limits on concurrently active runs, kept by RunQueueWorkflow (a durable
semaphore on Temporal, no side database). Plain JSON, so the `temporal` CLI can drive it."""

from typing import Annotated

from pydantic import BaseModel, Field

from contracts.limits import NAME_MAX_CHARS, SPEC_MAX_CONCURRENT_RUNS
from contracts.strict import Name, StrictBody

RUN_QUEUE_WORKFLOW = "RunQueueWorkflow"
DEFAULT_QUEUE_ID = "overseer-run-queue"
DEFAULT_PRIORITY = 5
# Memo key where the queue publishes its limits, so a starter can read them from
# `describe` (no worker needed) and decide whether a new run must join the queue.
LIMITS_MEMO = "limits"
# More concurrent runs than this is a typo, not a limit.
MAX_QUEUE_LIMIT = 100_000


class QueueSpec(StrictBody):
    """How a run joins the queue (RunSpec.queue). A run without it never waits in a queue."""

    # Workflow id of the queue to join; one queue per namespace is the normal case.
    queue_id: str = Field(default=DEFAULT_QUEUE_ID, min_length=1, max_length=NAME_MAX_CHARS)
    # Lower goes first; equal priorities go in order of arrival.
    priority: int = Field(default=DEFAULT_PRIORITY, ge=0, le=9)
    # Runs of this agent active at once, from the agent file. The operator's limit for the
    # agent (`overseer queue limits --agent`) wins over it.
    max_concurrent_runs: int | None = Field(default=None, ge=1, le=SPEC_MAX_CONCURRENT_RUNS)


class QueueLimits(BaseModel):
    """The operator's limits. Absent means no limit (beyond a run's own agent limit)."""

    overall: int | None = Field(default=None, ge=1)
    per_agent: dict[str, int] = Field(default_factory=dict)


class LimitsChange(StrictBody):
    """Body of the `set_limits` update. 0 removes a limit; a field left out keeps it."""

    overall: int | None = Field(default=None, ge=0, le=MAX_QUEUE_LIMIT)
    per_agent: dict[Name, Annotated[int, Field(ge=0, le=MAX_QUEUE_LIMIT)]] = Field(
        default_factory=dict, max_length=1000
    )


class QueueTicket(BaseModel):
    """A run asking for a slot (body of the `acquire` signal)."""

    run_id: str = Field(min_length=1)
    agent: str = Field(min_length=1)
    priority: int = Field(default=DEFAULT_PRIORITY, ge=0, le=9)
    agent_limit: int | None = Field(default=None, ge=1)
    # Set by the queue: order of arrival, the tie-breaker between equal priorities.
    arrival: int = 0


class SlotRelease(BaseModel):
    """Body of the `release` signal: the run ended (or left the queue before starting)."""

    run_id: str = Field(min_length=1)


class Reprioritize(StrictBody):
    """Body of the `reprioritize` update: move a waiting run."""

    run_id: Name
    priority: int = Field(ge=0, le=9)


class QueueState(BaseModel):
    """The whole queue; the workflow's input and what it carries when it continues as new."""

    limits: QueueLimits = Field(default_factory=QueueLimits)
    holders: list[QueueTicket] = Field(default_factory=list)
    # In order: the first one is next.
    waiting: list[QueueTicket] = Field(default_factory=list)
    next_arrival: int = 1
    # The position each waiting run was last told, so only changes are signalled.
    told: dict[str, int] = Field(default_factory=dict)
    # Continue as new after this many history events (or when Temporal suggests it): a
    # queue lives for months, and each new worker replays its current history.
    events_per_segment: int = Field(default=2000, ge=20)


class QueuedRun(BaseModel):
    position: int  # 1 is next
    ticket: QueueTicket


class QueueView(BaseModel):
    """What the `queue` query returns."""

    limits: QueueLimits
    holders: list[QueueTicket]
    waiting: list[QueuedRun]


class SlotGranted(BaseModel):
    """Body of the `queue_granted` signal the queue sends a run: it may start."""

    queue_id: str


class QueuePosition(BaseModel):
    """Body of the `queue_position` signal: the run's place in line (1 is next)."""

    position: int = Field(ge=1)


class JoinQueue(BaseModel):
    """Input of the `run_queue.join` activity: start the queue if need be, and ask a slot."""

    queue_id: str
    ticket: QueueTicket
