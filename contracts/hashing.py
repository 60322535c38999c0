"""Canonical JSON and the hash that binds an approval to one exact action."""

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def action_hash(tool: str, args: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``{"tool": tool, "args": args}``.

    The tool name is part of the hash so that the same arguments for another tool
    never share an approval.
    """
    text = canonical_json({"tool": tool, "args": args})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def idempotency_key(run_id: str, turn: int, call_id: str) -> str:
    """The key a tool call presents on every attempt: from the run id, the model turn and
    the call id only (never time or randomness), so a retry after a crash repeats nothing."""
    return hashlib.sha256(f"{run_id}/{turn}/{call_id}".encode()).hexdigest()[:32]
