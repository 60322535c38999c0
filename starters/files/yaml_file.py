"""Reading the YAML files users write (agent and pipeline files), strictly and with one-line
errors: bounded size and nesting, UTF-8 only, no duplicate keys, no aliases, a mapping at
the top level.

Aliases are refused outright rather than capped: a hand-written settings file never needs
them (a value can always be written out), and any expansion cap would still leave a
multiplier to tune. Refusing them at the first `*name` stops an alias bomb before it
grows; anchors alone (`&name`) are harmless and left alone.
"""

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from contracts.errors import OverseerError, one_line
from contracts.limits import SPEC_FILE_MAX_BYTES, SPEC_FILE_MAX_DEPTH


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, duplicate keys and deep nesting while it composes,
    before any value is built."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: yaml.Mark | None = event.start_mark  # type: ignore[assignment]
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                problem="YAML aliases (*name) are not allowed; write the value out",
                problem_mark=mark,
            )
        # The composer recurses once per level: cap it well before Python's stack does.
        self._depth += 1
        try:
            if self._depth > SPEC_FILE_MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    problem=f"nested deeper than {SPEC_FILE_MAX_DEPTH} levels",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # a list or mapping as a key
                raise yaml.constructor.ConstructorError(
                    problem="a key must be a plain value", problem_mark=key_node.start_mark
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _text(path: Path, what: str) -> str:
    try:
        size = path.stat().st_size
        if size > SPEC_FILE_MAX_BYTES:
            raise OverseerError(
                f"{path}: {what} of {size} bytes is larger than {SPEC_FILE_MAX_BYTES} bytes"
            )
        with path.open("rb") as file:  # bounded even if the file grows meanwhile
            data = file.read(SPEC_FILE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise OverseerError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise OverseerError(f"{what} {path} is a directory") from None
    except OSError as error:
        raise OverseerError(one_line(f"{what} {path}: {error.strerror}")) from None
    if len(data) > SPEC_FILE_MAX_BYTES:
        raise OverseerError(f"{path}: {what} is larger than {SPEC_FILE_MAX_BYTES} bytes")
    # UTF-16 and UTF-32 files hold NUL bytes (with a BOM or without); UTF-8 text never does.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise OverseerError(f"{path}: {what} is not UTF-8 (UTF-16 or binary?); save it as UTF-8")
    try:
        # A UTF-8 BOM (some Windows editors write one) is dropped.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise OverseerError(
            f"{path}: line {line}: {what} is not UTF-8 (byte {data[error.start]:#04x}); "
            "save it as UTF-8"
        ) from None


def read_yaml(path: Path, what: str = "file") -> dict[str, Any]:
    """The file's top-level mapping; any problem is an OverseerError naming the file (and
    the line, where there is one)."""
    text = _text(path, what)
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # refuses control characters already
        raw = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" line {mark.line + 1}:" if mark else ""
        problem = "; ".join(part for part in (error.context, error.problem) if part)
        raise OverseerError(one_line(f"{path}:{where} {problem or 'not valid YAML'}")) from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        character = chr(error.character) if isinstance(error.character, int) else error.character
        raise OverseerError(
            one_line(f"{path}: line {line}: character {character!r} is not allowed in YAML")
        ) from None
    except yaml.YAMLError:
        raise OverseerError(f"{path}: not valid YAML") from None
    except (ValueError, OverflowError) as error:
        # A scalar YAML resolves but Python cannot build: a date like 2024-13-45, an
        # integer of more digits than Python converts.
        raise OverseerError(one_line(f"{path}: a value cannot be read: {error}")) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(raw, dict):
        raise OverseerError(f"{path}: expected a mapping of settings at the top level")
    return raw
