"""The base of every body a human or a Temporal client sends (update, signal, query
argument): unknown fields are refused, numbers and booleans are not coerced from strings,
and no float is infinite or NaN."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from contracts.limits import NAME_MAX_CHARS, REASON_MAX_CHARS


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _said(text: str) -> str:
    if not text.strip():
        raise ValueError("must say something (it is blank)")
    return text


def _a_name(text: str) -> str:
    if text != text.strip() or not text.isprintable() or " " in text:
        raise ValueError("a name has no blanks and no control characters")
    return text


# Free text a human attaches (why): bounded, may be empty where the field is optional.
Reason = Annotated[str, StringConstraints(max_length=REASON_MAX_CHARS)]
# ... and where a reason is required it must say something.
RequiredReason = Annotated[
    str, StringConstraints(min_length=1, max_length=REASON_MAX_CHARS), AfterValidator(_said)
]
# A name that must name something (a tool, an agent, an action): no blanks, no control chars.
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX_CHARS), AfterValidator(_a_name)
]
# A SHA-256 hex digest, as every hash in a body is.
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
