"""The output contract: a final answer must be JSON matching the agent's schema. Pure code."""

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match


def contract_violation(answer: str, schema: dict[str, Any]) -> str | None:
    """None if `answer` satisfies `schema`, else what is wrong, in one line."""
    try:
        value = json.loads(answer)
    except json.JSONDecodeError as error:
        return f"the answer is not JSON ({error.msg} at position {error.pos})"
    found = best_match(Draft202012Validator(schema).iter_errors(value))
    if found is None:
        return None
    where = "/".join(str(part) for part in found.absolute_path) or "(the whole answer)"
    return f"at {where}: {found.message}"


def reprompt(violation: str, schema: dict[str, Any]) -> str:
    return (
        f"Your final answer does not match the required output schema: {violation}. "
        "Reply with only a JSON value that matches this schema: "
        f"{json.dumps(schema, sort_keys=True)}"
    )
