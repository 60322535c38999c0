"""Checks an agent or pipeline file's values need beyond their types: output schemas, tool
names, workspaces. Each raises ValueError with the problem in one line (inside a pydantic
validator it becomes `field: problem`)."""

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from activities.tools.registry import TOOLS, load_installed_tools
from contracts.limits import OUTPUT_SCHEMA_MAX_BYTES
from contracts.output_contract import regex_problem


def checked_output_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON schema (draft 2020-12), small enough to ride in every run spec, that refers
    only to itself: output contracts are checked inside workflow code, where fetching a
    remote `$ref` would be I/O (and a way to make a worker fetch any URL)."""
    if schema is None:
        return None
    try:
        size = len(json.dumps(schema, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise ValueError("not a JSON value (a date, a set, a non-string key?)") from None
    if size > OUTPUT_SCHEMA_MAX_BYTES:
        raise ValueError(f"{size} bytes as JSON, more than {OUTPUT_SCHEMA_MAX_BYTES}")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = error.json_path.removeprefix("$").lstrip(".")
        at = f"{where}: " if where else ""
        raise ValueError(f"not a valid JSON schema: {at}{error.message}") from None
    remote = _remote_ref(schema)
    if remote is not None:
        raise ValueError(f"$ref {remote!r} is not local: only refs within the schema (#...)")
    problem = regex_problem(schema)
    if problem is not None:
        raise ValueError(problem)
    return schema


def _remote_ref(value: Any) -> str | None:
    # Depth is bounded by the file's nesting limit (starters.files.yaml_file).
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("$ref", "$dynamicRef") and not (
                isinstance(item, str) and item.startswith("#")
            ):
                return str(item)
            found = _remote_ref(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _remote_ref(item)
            if found is not None:
                return found
    return None


def checked_tool_names(names: list[str], what: str = "unknown tool") -> list[str]:
    """Names of tools known here: built-in, or the user's (installed with an entry point or
    named in OVERSEER_TOOL_MODULES). A typo would otherwise surface only at the run's start
    (the worker declares its tools) or never, for an approval rule."""
    known = load_installed_tools()
    for name in names:
        if name not in TOOLS:
            raise ValueError(
                f"{what} {name!r} (known: {', '.join(known)}; a tool of your own must be "
                f"installed where `overseer` runs too, see the README)"
            )
    return names


def broad_workspace(workspace: Path) -> str | None:
    """Why `workspace` (absolute, resolved) is too broad a directory to hand a model's file
    tools, or None. Refused: a filesystem root, a top-level directory (/home, /tmp,
    /etc...), the user's home or a parent of it, and anything inside a system directory
    that holds configuration, devices or kernel state."""
    if len(workspace.parts) <= 2:
        return "a filesystem root or a top-level directory"
    try:
        home = Path.home().resolve()
    except (RuntimeError, OSError):  # no home directory known: nothing to compare with
        home = None
    if home is not None and (workspace == home or workspace in home.parents):
        return "your home directory or a parent of it"
    for system in _SYSTEM_DIRECTORIES:
        if workspace.is_relative_to(system):
            return f"inside {system}"
    return None


_SYSTEM_DIRECTORIES = tuple(Path(p) for p in ("/boot", "/dev", "/etc", "/proc", "/sys"))
