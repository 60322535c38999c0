"""The `replay` provider: answers from a cassette, offline, and notices when the run asks
something the recorded run did not (a changed prompt, tool result or tool list)."""

from pathlib import Path

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from contracts.cassette import Cassette, request_fingerprint
from contracts.model_io import ModelRequest, ModelResponse

CASSETTE_MISMATCH = "CassetteMismatch"


def _fail(message: str) -> ApplicationError:
    return ApplicationError(message, type=CASSETTE_MISMATCH, non_retryable=True)


class CassetteReplay:
    def __init__(self) -> None:
        self._loaded: dict[str, Cassette] = {}

    def _cassette(self, path: str | None) -> Cassette:
        if path is None:
            raise _fail("the replay provider needs `cassette:` (a cassette file on the worker)")
        if path not in self._loaded:
            try:
                self._loaded[path] = Cassette.model_validate_json(Path(path).read_bytes())
            except (OSError, ValidationError) as error:
                raise _fail(f"cannot read cassette {path}: {error}") from None
        return self._loaded[path]

    async def complete(self, request: ModelRequest) -> ModelResponse:
        cassette = self._cassette(request.model.cassette)
        turn = 1 + sum(1 for message in request.messages if message.role == "assistant")
        if turn > len(cassette.entries):
            raise _fail(
                f"the run asks for model turn {turn}; cassette of {cassette.run_id} "
                f"has only {len(cassette.entries)}"
            )
        entry = cassette.entries[turn - 1]
        if entry.request_fingerprint != request_fingerprint(request.messages, request.tools):
            raise _fail(
                f"model turn {turn} differs from the recording of {cassette.run_id}: "
                "the prompt, a tool result or the tools changed"
            )
        return entry.response
