"""The base of every body a human or a Temporal client sends (update, signal, query
argument): unknown fields are refused, numbers and booleans are not coerced from strings,
and no float is infinite or NaN."""

from pydantic import BaseModel, ConfigDict


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
