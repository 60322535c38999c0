"""References to payloads kept out of workflow history, in the artifact store."""

from pydantic import BaseModel, Field

# Payloads above this size travel by reference: history keeps a short preview and an
# ArtifactRef. Small enough that a model call costs history about the same, whatever the
# size of the context (the target is 8 KB per model call).
INLINE_LIMIT_BYTES = 4 * 1024


class ArtifactRef(BaseModel):
    sha256: str = Field(min_length=64, max_length=64)
    size: int = Field(ge=0)
    media_type: str = "text/plain; charset=utf-8"

    def __str__(self) -> str:
        return f"sha256:{self.sha256}"

    @classmethod
    def parse(cls, text: str) -> str:
        """The hash in `sha256:<hex>` or `<hex>`."""
        return text.removeprefix("sha256:")
