"""Turning a path a model sent into a path inside the run's workspace, or a refusal.

Every problem is a refusal told to the model (TOOL_REFUSED), never an exception that fails
or retries the run: the same arguments fail the same way on every attempt. The checks are
lexical first (length, characters, `..`, bookkeeping names), so nothing is looked up on
disk for a path that is refused anyway, then on the resolved path (symlinks).
"""

import os
import unicodedata
from pathlib import Path, PurePosixPath

from activities.errors import tool_refused
from contracts.errors import one_line

# Generous for real projects; bounded so no path argument costs much to check or show.
MAX_PATH_CHARS = 1024
MAX_PATH_DEPTH = 32
# Linux's PATH_MAX (with its NUL), for the resolved path: refused before any directory is
# made, so a write never fails halfway down a chain of new directories.
MAX_RESOLVED_BYTES = 4095
# NAME_MAX on Linux and macOS, in bytes of the file system's encoding (UTF-8).
MAX_NAME_BYTES = 255
# Overseer's own files in a workspace (see activities.tools.tickets and .files): a model
# neither lists, reads nor writes them, whatever the case of the name.
BOOKKEEPING_NAMES = frozenset({".tracker"})
BOOKKEEPING_PREFIX = ".overseer"
# How much of a refused path its refusal quotes.
SHOWN_CHARS = 120


def shown(relative: str) -> str:
    """The path as quoted in a refusal: escaped and cut, so the message stays one short line."""
    text = one_line(repr(relative[: SHOWN_CHARS + 1]))
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def is_bookkeeping(name: str) -> bool:
    folded = name.casefold()
    return folded in BOOKKEEPING_NAMES or folded.startswith(BOOKKEEPING_PREFIX)


def inside_workspace(workspace: Path, relative: str, *, file: bool) -> Path:
    """The resolved path of `relative` in `workspace`. With `file`, the path must name
    something other than the workspace itself; without, "." is the workspace."""
    parts = _lexical_parts(relative, file=file)
    root = workspace.resolve()
    try:
        candidate = root.joinpath(*parts).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        # The error's own text would show the worker's absolute paths: not for the model.
        raise tool_refused(f"path {shown(relative)} cannot be resolved (a symlink loop?)") from None
    if not candidate.is_relative_to(root):
        raise tool_refused(f"path {shown(relative)} is outside the workspace")
    if len(os.fsencode(candidate)) > MAX_RESOLVED_BYTES:
        raise tool_refused(f"path {shown(relative)} is too long once inside the workspace")
    inside = candidate.relative_to(root).parts
    if any(is_bookkeeping(part) for part in inside):
        raise tool_refused(f"path {shown(relative)} leads into Overseer's own files")
    if file and not inside:
        raise tool_refused(f"path {shown(relative)} is the workspace itself, not a file")
    return candidate


def _lexical_parts(relative: str, *, file: bool) -> list[str]:
    """The path's names with "." and inner ".." taken out, or a refusal."""
    if not relative:
        raise tool_refused("path is empty: give a path relative to the workspace, e.g. '.'")
    if len(relative) > MAX_PATH_CHARS:
        raise tool_refused(f"path is {len(relative)} characters long, over {MAX_PATH_CHARS}")
    quoted = shown(relative)
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in relative):
        raise tool_refused(f"path {quoted} contains control or invalid characters")
    if PurePosixPath(relative).is_absolute():
        raise tool_refused(f"path {quoted} is absolute: give a path relative to the workspace")
    if file and relative.endswith("/"):
        raise tool_refused(f"path {quoted} names a directory, not a file")
    names = [name for name in relative.split("/") if name not in ("", ".")]
    if len(names) > MAX_PATH_DEPTH:
        raise tool_refused(f"path {quoted} is more than {MAX_PATH_DEPTH} levels deep")
    parts: list[str] = []
    for name in names:
        if name == "..":
            if not parts:
                raise tool_refused(f"path {quoted} is outside the workspace")
            parts.pop()
            continue
        if len(name.encode("utf-8")) > MAX_NAME_BYTES:
            raise tool_refused(f"path {quoted} has a name over {MAX_NAME_BYTES} bytes")
        if is_bookkeeping(name):
            raise tool_refused(f"path {quoted} leads into Overseer's own files")
        parts.append(name)
    return parts
