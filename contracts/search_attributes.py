"""Overseer's custom search attributes: what the Web UI and `temporal workflow list` filter on."""

from temporalio.common import SearchAttributeKey

RUN_STATE = SearchAttributeKey.for_keyword("OverseerState")
AGENT = SearchAttributeKey.for_keyword("OverseerAgent")
REQUESTER = SearchAttributeKey.for_keyword("OverseerRequester")
PENDING_APPROVAL = SearchAttributeKey.for_bool("OverseerPendingApproval")
# The short ids of the actions waiting for a decision (e.g. ["3.1"]): an inbox knows from a
# listing alone which runs' pending actions changed, without querying every run.
PENDING_ACTIONS = SearchAttributeKey.for_keyword_list("OverseerPendingActions")
TRACE_ID = SearchAttributeKey.for_keyword("OverseerTraceId")
# The schedule that started a run, and how the run ended as its schedule counts it.
SCHEDULE = SearchAttributeKey.for_keyword("OverseerSchedule")
OUTCOME = SearchAttributeKey.for_keyword("OverseerOutcome")
# Set by Temporal on the runs a schedule starts.
# The agent version that runs (contracts.versions), and a run's end figures for
# `overseer versions`: its cost and model turns, set when it ends.
AGENT_VERSION = SearchAttributeKey.for_keyword("OverseerAgentVersion")
COST_USD = SearchAttributeKey.for_float("OverseerCostUsd")
STEPS = SearchAttributeKey.for_int("OverseerSteps")
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")

ALL_KEYS = (
    RUN_STATE,
    AGENT,
    REQUESTER,
    PENDING_APPROVAL,
    PENDING_ACTIONS,
    TRACE_ID,
    SCHEDULE,
    OUTCOME,
    AGENT_VERSION,
    COST_USD,
    STEPS,
)

# What OverseerState says. The working states a run moves through at every step (loading
# context, planning, executing) are listed as one, `running`: each change of a search
# attribute is a history event and a visibility write, and a list needs to know that a run
# is at work, not which half of a step it is in (its snapshot and Web UI details say that).
RUNNING = "running"
_WORKING = frozenset({"context_loaded", "planning", "executing"})


def listed_state(state: str) -> str:
    return RUNNING if state in _WORKING else str(state)
