"""Make sure the namespace has Overseer's search attributes before runs use them
(an upsert of an unregistered attribute would fail every workflow task)."""

import asyncio
import time

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from contracts.errors import OverseerError
from contracts.search_attributes import ALL_KEYS

# Observed on the embedded server: about 5 s. Generous, for a loaded server or one with
# several frontends, each refreshing its own cache.
USABLE_WITHIN_SECONDS = 90.0
_PROBE_EVERY_SECONDS = 0.5
# A value of each type to name an attribute with in a visibility query (a type missing here
# fails ensure_search_attributes at once, and tests/test_namespace_setup.py probes them all).
_PROBE_VALUE = {
    IndexedValueType.INDEXED_VALUE_TYPE_BOOL: "false",
    IndexedValueType.INDEXED_VALUE_TYPE_INT: "0",
    IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE: "0",
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "''",
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST: "''",
}


async def ensure_search_attributes(
    client: Client, within: float = USABLE_WITHIN_SECONDS
) -> list[str]:
    """Register the missing ones, and return their names once the server accepts them."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in ALL_KEYS
        if key.name not in listed.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
        await _usable(client, missing, within)
    return sorted(missing)


async def _usable(
    client: Client, added: dict[str, IndexedValueType.ValueType], within: float
) -> None:
    """Wait until the server accepts the attributes just added. A server with its
    search-attribute cache on (Temporal's default, and the embedded server's) lists a new
    attribute at once but refuses it, in a start, an upsert or a query, until its cache
    refreshes a few seconds later: a run started meanwhile would be refused."""
    query = " AND ".join(f"{name} = {_PROBE_VALUE[kind]}" for name, kind in sorted(added.items()))
    deadline = time.monotonic() + within
    while True:
        try:
            await client.count_workflows(query)
            return
        except RPCError as error:
            # Waited out only while the server refuses one of these attributes by name.
            refused = error.status == RPCStatusCode.INVALID_ARGUMENT
            if not refused or not any(name in error.message for name in added):
                raise
            if time.monotonic() > deadline:
                raise OverseerError(
                    f"the Temporal server registered the search attributes "
                    f"{', '.join(sorted(added))} but still refuses them after {within:.0f} s: "
                    f"{error.message}"
                ) from None
        await asyncio.sleep(_PROBE_EVERY_SECONDS)  # polling the server, with a deadline
