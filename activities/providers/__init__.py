"""Model providers: each turns a provider-neutral ModelRequest into a ModelResponse."""

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from contracts.model_io import ModelRequest, ModelResponse


class ModelProvider(Protocol):
    async def complete(self, request: ModelRequest) -> ModelResponse: ...


@runtime_checkable
class StreamingProvider(Protocol):
    """A provider that can also stream: the same answer, its text told as it arrives."""

    async def complete(self, request: ModelRequest) -> ModelResponse: ...

    async def stream(
        self, request: ModelRequest, on_text: Callable[[str], None]
    ) -> ModelResponse: ...
