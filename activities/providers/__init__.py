"""Model providers: each turns a provider-neutral ModelRequest into a ModelResponse."""

from typing import Protocol

from contracts.model_io import ModelRequest, ModelResponse


class ModelProvider(Protocol):
    async def complete(self, request: ModelRequest) -> ModelResponse: ...
