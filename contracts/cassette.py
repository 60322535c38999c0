"""Cassettes: a run's model calls, recorded from its history, to replay offline."""

import hashlib

from pydantic import BaseModel

from contracts.hashing import canonical_json
from contracts.model_io import Message, ModelResponse, ToolSchema


def request_fingerprint(messages: list[Message], tools: list[ToolSchema]) -> str:
    """What the model was asked: a change in prompts, tool results or tools changes it."""
    text = canonical_json(
        {
            "messages": [m.model_dump(mode="json") for m in messages],
            "tools": [t.model_dump(mode="json") for t in tools],
        }
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CassetteEntry(BaseModel):
    turn: int  # the model turn it answers, from 1
    request_fingerprint: str
    response: ModelResponse


class Cassette(BaseModel):
    run_id: str
    model: str  # the model that answered first in the recorded run
    entries: list[CassetteEntry]
