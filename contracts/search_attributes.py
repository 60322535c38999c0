"""Overseer's custom search attributes: what the Web UI and `temporal workflow list` filter on."""

from temporalio.common import SearchAttributeKey

RUN_STATE = SearchAttributeKey.for_keyword("OverseerState")
AGENT = SearchAttributeKey.for_keyword("OverseerAgent")
REQUESTER = SearchAttributeKey.for_keyword("OverseerRequester")
PENDING_APPROVAL = SearchAttributeKey.for_bool("OverseerPendingApproval")
TRACE_ID = SearchAttributeKey.for_keyword("OverseerTraceId")

ALL_KEYS = (RUN_STATE, AGENT, REQUESTER, PENDING_APPROVAL, TRACE_ID)
