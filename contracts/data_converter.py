"""The data converter every Overseer client and worker uses: pydantic JSON, with a payload
that does not fit its type refused in one line.

Temporal decodes a workflow's input, an update's argument and an activity's input with the
type the handler declares. Pydantic's converter lets a ValidationError escape; the SDK then
fails the workflow *task* (a run started with a malformed spec would retry its first task
for ever) and refuses updates with a multi-line dump. An ApplicationError instead fails the
workflow (or refuses the update) with one line naming the field.
"""

import functools
from typing import Any

import temporalio.api.common.v1
from pydantic import TypeAdapter, ValidationError
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.exceptions import ApplicationError

from contracts.errors import validation_problem

INVALID_INPUT = "InvalidInput"


class RefusingJSONConverter(PydanticJSONPlainPayloadConverter):
    def __init__(self) -> None:
        super().__init__(max_cached_type_adapters=0)
        # The SDK makes a payload converter per workflow run (and per payload context), so
        # a cache of its own starts empty each time and a TypeAdapter was built for nearly
        # every payload decoded. The types are the same across runs (contracts are passed
        # through the sandbox): one cache for the process.
        self._type_adapter = _TYPE_ADAPTERS

    def from_payload(
        self, payload: temporalio.api.common.v1.Payload, type_hint: type | None = None
    ) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as error:
            name = getattr(type_hint, "__name__", "value")
            raise ApplicationError(
                f"invalid {name}: {validation_problem(error, where_empty='body')}",
                type=INVALID_INPUT,
                non_retryable=True,
            ) from None


_TYPE_ADAPTERS = functools.lru_cache(maxsize=1024)(TypeAdapter)
# Stateless, so shared by every OverseerPayloadConverter the SDK makes.
_CONVERTERS = tuple(
    RefusingJSONConverter() if isinstance(c, JSONPlainPayloadConverter) else c
    for c in DefaultPayloadConverter.default_encoding_payload_converters
)


class OverseerPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(*_CONVERTERS)


overseer_data_converter = DataConverter(payload_converter_class=OverseerPayloadConverter)
