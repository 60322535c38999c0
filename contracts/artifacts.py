"""References to payloads kept out of workflow history, in the artifact store.

A reference's hash names a file in the store, so it is checked here, in the model itself:
whoever builds an ArtifactRef (a workflow input sent with `temporal workflow start`, an
activity result, the CLI) gets exactly 64 lowercase hex characters or a validation error,
and no store ever builds a path from anything else.
"""

from pydantic import Field

from contracts.strict import StrictBody

# Payloads above this size travel by reference: history keeps a short preview and an
# ArtifactRef. Small enough that a model call costs history about the same, whatever the
# size of the context (the target is 8 KB per model call).
INLINE_LIMIT_BYTES = 4 * 1024

SHA256_PATTERN = r"^[0-9a-f]{64}$"
# Far above anything a run stores (a tool result is capped at 64 MiB); refuses absurd sizes.
MAX_ARTIFACT_BYTES = 1 << 40
# RFC 6838 allows 127 characters for type and subtype each, plus parameters.
MEDIA_TYPE_MAX_CHARS = 255
# Printable ASCII, no leading blank: a media type is shown and compared, never interpreted.
MEDIA_TYPE_PATTERN = r"^[!-~][ -~]*$"

NOT_A_REFERENCE = "not an artifact reference: expected sha256:<64 lowercase hex>"
_HEX = frozenset("0123456789abcdef")


def is_sha256_hex(text: object) -> bool:
    """Whether `text` is exactly 64 lowercase hex characters (a store key)."""
    return isinstance(text, str) and len(text) == 64 and _HEX.issuperset(text)


class ArtifactRef(StrictBody):
    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int = Field(ge=0, le=MAX_ARTIFACT_BYTES)
    media_type: str = Field(
        default="text/plain; charset=utf-8",
        max_length=MEDIA_TYPE_MAX_CHARS,
        pattern=MEDIA_TYPE_PATTERN,
    )

    def __str__(self) -> str:
        return f"sha256:{self.sha256}"

    @classmethod
    def parse(cls, text: str) -> str:
        """The hash in `sha256:<hex>` or `<hex>`; ValueError (one line) for anything else."""
        digest = text.removeprefix("sha256:")
        if not is_sha256_hex(digest):
            raise ValueError(NOT_A_REFERENCE)
        return digest
