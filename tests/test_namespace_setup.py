"""ensure_search_attributes waits for a server to accept attributes it added: its probe
names each of Overseer's attributes in a query the server accepts, and a refusal that
outlasts the wait is one line naming the attributes."""

import time

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.client import Client

from contracts.errors import OverseerError
from contracts.search_attributes import ALL_KEYS
from workers.namespace_setup import _usable, ensure_search_attributes


async def test_every_attribute_has_a_probe_the_server_accepts(client: Client) -> None:
    await ensure_search_attributes(client)
    every = {key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_KEYS}

    began = time.monotonic()
    await _usable(client, every, within=5)

    assert time.monotonic() - began < 5


async def test_an_attribute_the_server_never_accepts_is_a_one_line_error(client: Client) -> None:
    never = {"OverseerNoSuchAttribute": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD}

    with pytest.raises(OverseerError) as refused:
        await _usable(client, never, within=1)

    message = str(refused.value)
    assert "OverseerNoSuchAttribute" in message and "after 1 s" in message
    assert "\n" not in message
