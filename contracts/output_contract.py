"""The output contract: a final answer must be JSON matching the agent's schema. Pure code.

The check runs inside workflow tasks on an answer a model wrote, so the schema's regular
expressions (`pattern`, `patternProperties`) run on RE2, in linear time: jsonschema's own
implementation uses Python's backtracking `re`, where a pattern like `(a+)+$` is exponential.
"""

import functools
import json
from collections.abc import Iterator
from typing import Any

import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

REGEX_KEYWORDS = ("pattern", "patternProperties")


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern)


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, properties: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        compiled = _compiled(pattern)
        for key, value in instance.items():
            if compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


# jsonschema's stubs leave `extend` untyped.
LinearTimeValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties}
)


def regex_problem(schema: Any) -> str | None:
    """None if every regular expression in the schema compiles under RE2, else which does
    not and why (RE2 has no backreferences or lookarounds)."""
    for pattern in _patterns(schema):
        try:
            _compiled(pattern)
        except re2.error as error:
            return f"pattern {pattern[:80]!r} is not supported (RE2: {error})"
    return None


def _patterns(value: Any) -> Iterator[str]:
    # Depth is bounded by the file's nesting limit (starters.files.yaml_file).
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield item
            elif key == "patternProperties" and isinstance(item, dict):
                yield from (k for k in item if isinstance(k, str))
            yield from _patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _patterns(item)


def contract_violation(answer: str, schema: dict[str, Any]) -> str | None:
    """None if `answer` satisfies `schema`, else what is wrong, in one line."""
    try:
        value = json.loads(answer)
    except json.JSONDecodeError as error:
        return f"the answer is not JSON ({error.msg} at position {error.pos})"
    found = best_match(LinearTimeValidator(schema).iter_errors(value))
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
