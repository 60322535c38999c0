"""Keeping payloads out of history: large text goes to the artifact store as a reference."""

from activities.artifacts import ArtifactStore
from contracts.artifacts import INLINE_LIMIT_BYTES, ArtifactRef
from contracts.model_io import Message

PREVIEW_CHARS = 1000


async def offload(store: ArtifactStore, text: str) -> tuple[str, ArtifactRef | None]:
    """`text` itself if small; else a preview and the reference of the stored whole."""
    data = text.encode("utf-8")
    if len(data) <= INLINE_LIMIT_BYTES:
        return text, None
    ref = await store.put(data, "text/plain; charset=utf-8")
    preview = text[:PREVIEW_CHARS]
    return f"{preview}\n[... {len(data)} bytes in all: artifact {ref}]", ref


async def expand(store: ArtifactStore, messages: list[Message]) -> list[Message]:
    """The messages with every previewed payload replaced by its whole content."""
    expanded = []
    for message in messages:
        if message.artifact is not None:
            whole = (await store.get(message.artifact.sha256)).decode("utf-8")
            message = message.model_copy(update={"content": whole})
        expanded.append(message)
    return expanded
