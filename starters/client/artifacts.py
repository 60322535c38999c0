"""Reading payloads a run keeps out of its history (the artifact store)."""

from temporalio.exceptions import ApplicationError

from activities.artifacts import default_store
from contracts.artifacts import ArtifactRef
from contracts.errors import OverseerError, one_line


async def read_artifact(ref: str) -> bytes:
    """The bytes of `sha256:<hex>` (or `<hex>`) from the store this process is configured
    with (OVERSEER_ARTIFACTS); OverseerError if the reference is malformed, or the artifact
    is missing or corrupt."""
    try:
        return await default_store().get(ArtifactRef.parse(ref))
    except ValueError as error:
        raise OverseerError(one_line(f"{error}, got {ref!r}")) from None
    except ApplicationError as error:
        raise OverseerError(one_line(error.message)) from None
