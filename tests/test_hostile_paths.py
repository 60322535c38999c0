"""Hostile paths a model could send to the file tools: each is a refusal told to the model,
with one line, and nothing on disk changes (in the workspace, its bookkeeping or around it)."""

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError

from activities.errors import TOOL_REFUSED
from activities.tools.base import ToolContext, ToolDefinition
from activities.tools.files import LIST_FILES, MAX_WRITE_BYTES, READ_FILE, WRITE_FILE
from activities.tools.paths import MAX_PATH_CHARS, inside_workspace, is_bookkeeping

ASTRAL = "\U0001d538"  # 4 bytes in UTF-8, 1 character
# 16 names of 252 bytes: under the character and depth limits, over Linux's PATH_MAX.
OVER_PATH_MAX = "/".join([ASTRAL * 63] * 16)


def build_workspace(parent: Path) -> Path:
    """A workspace with files, bookkeeping, and symlinks out, into bookkeeping and in a loop."""
    (parent / "secret.txt").write_text("the worker's secret")
    workspace = parent / "ws"
    (workspace / "sub").mkdir(parents=True)
    (workspace / "file.txt").write_text("hello")
    (workspace / "sub" / "inner.txt").write_text("inner")
    (workspace / ".tracker").mkdir()
    (workspace / ".tracker" / "tickets.sqlite").write_bytes(b"SQLite format 3\x00tickets")
    (workspace / ".overseer-undo").mkdir()
    (workspace / ".overseer-undo" / "x.json").write_text('{"existed": false}')
    (workspace / "link_out").symlink_to(parent / "secret.txt")
    (workspace / "link_dir_out").symlink_to(parent)
    (workspace / "link_tracker").symlink_to(workspace / ".tracker")
    (workspace / "loop1").symlink_to(workspace / "loop2")
    (workspace / "loop2").symlink_to(workspace / "loop1")
    os.mkfifo(workspace / "fifo")
    return workspace


def tree(root: Path) -> dict[str, str]:
    """Every entry under `root` (symlinks not followed): its kind and content hash."""
    found: dict[str, str] = {}
    for directory, names, files in os.walk(root):
        for name in names + files:
            path = Path(directory) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = f"link:{os.readlink(path)}"
            elif path.is_file():
                found[key] = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[key] = "dir" if path.is_dir() else "other"
    return found


def context(workspace: Path, key: str = "1" * 32) -> ToolContext:
    return ToolContext(run_id="run-1", call_id="call-1", idempotency_key=key, workspace=workspace)


LIST = [
    "/",
    "/etc",
    "..",
    "../",
    "../ws",
    "sub/../..",
    "link_dir_out",
    ".tracker",
    ".overseer-undo",
    ".TRACKER",
    ".Overseer-Undo",
    "link_tracker",
    "file.txt",
    "",
    "a\x00b",
    "sub\n",
    "x" * 300,
    "/".join(["d"] * 40),
    "a/" * 600,
    "missing_dir",
    "loop1",
    "fifo",
]
READ = [
    ".",
    "",
    "./",
    "sub",
    "sub/",
    "/etc/passwd",
    "../secret.txt",
    "link_out",
    "link_dir_out/secret.txt",
    ".tracker/tickets.sqlite",
    ".overseer-undo/x.json",
    ".TRACKER/tickets.sqlite",
    "link_tracker/tickets.sqlite",
    "sub/../../secret.txt",
    "missing.txt",
    "loop1",
    "file.txt\x00.png",
    "\x1b[2J",
    "file.txt/child",
    "\udc80",
    "fifo",
    "x" * 256,
    "é" * 128,
    OVER_PATH_MAX,
]
WRITE = [
    ".",
    "",
    "./",
    "sub",
    "sub/",
    "new/",
    "x" * 300,
    "é" * 128,
    "/".join(["d"] * 33) + "/f",
    "a" * (MAX_PATH_CHARS + 1),
    "../escape.txt",
    "sub/../../escape.txt",
    "link_out",
    "link_dir_out/escape.txt",
    ".tracker/tickets.sqlite",
    ".tracker/new.sqlite",
    ".overseer-undo/x.json",
    ".overseer-undo/new.json",
    ".Tracker/tickets.sqlite",
    ".overseerX",
    "sub/.overseer-partial-0123.partial",
    "link_tracker/tickets.sqlite",
    "file.txt/child.txt",
    "a\x00b",
    "tab\tname",
    "line\nbreak",
    "\x7f",
    "\udcff",
    "loop1",
    "loop1/x",
    "fifo/x",
    OVER_PATH_MAX,
]
CASES: list[tuple[ToolDefinition, dict[str, Any]]] = (
    [(LIST_FILES, {"path": path}) for path in LIST]
    + [(READ_FILE, {"path": path}) for path in READ]
    + [(WRITE_FILE, {"path": path, "content": "pwned"}) for path in WRITE]
    + [
        (WRITE_FILE, {"path": "big.txt", "content": "x" * (MAX_WRITE_BYTES + 1)}),
        (WRITE_FILE, {"path": "surrogate.txt", "content": "a\ud800b"}),
    ]
)


@pytest.mark.parametrize(
    ("tool", "args"), CASES, ids=[f"{t.name}-{i}" for i, (t, _) in enumerate(CASES)]
)
async def test_a_hostile_path_is_refused_in_one_line_and_changes_nothing(
    tmp_path: Path, tool: ToolDefinition, args: dict[str, Any]
) -> None:
    (tmp_path / "escape-target").mkdir()
    workspace = build_workspace(tmp_path / "escape-target")
    before = tree(tmp_path)

    with pytest.raises(ApplicationError) as refused:
        await tool.run(tool.input_model.model_validate(args), context(workspace))

    assert refused.value.type == TOOL_REFUSED
    assert refused.value.non_retryable
    assert "\n" not in refused.value.message and 0 < len(refused.value.message) <= 300
    assert str(tmp_path) not in refused.value.message  # the worker's paths stay private
    assert tree(tmp_path) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 50


async def test_listing_hides_bookkeeping_and_partial_files(tmp_path: Path) -> None:
    workspace = build_workspace(tmp_path)
    (workspace / "sub" / ".overseer-partial-abc.partial").write_text("half")
    (workspace / ".OVERSEER-other").write_text("ours")
    ctx = context(workspace)

    root = await LIST_FILES.run(LIST_FILES.input_model(), ctx)
    sub = await LIST_FILES.run(LIST_FILES.input_model(path="sub"), ctx)

    assert ".tracker" not in root and ".overseer" not in root.casefold()
    assert sub == "sub/inner.txt"


async def test_a_write_leaves_no_temporary_file_and_stays_in_its_directory(
    tmp_path: Path,
) -> None:
    (tmp_path / "p").mkdir()
    workspace = build_workspace(tmp_path / "p")
    ctx = context(workspace)

    written = await WRITE_FILE.run(WRITE_FILE.input_model(path="sub/new.txt", content="fresh"), ctx)

    assert written == "wrote 5 bytes to sub/new.txt"
    assert (workspace / "sub" / "new.txt").read_text() == "fresh"
    assert sorted(p.name for p in (workspace / "sub").iterdir()) == ["inner.txt", "new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["secret.txt", "ws"]


async def test_an_os_error_while_writing_is_a_refusal_and_cleans_up(tmp_path: Path) -> None:
    workspace = build_workspace(tmp_path)
    first, second = context(workspace), context(workspace, key="2" * 32)
    await WRITE_FILE.run(WRITE_FILE.input_model(path="sub/a.txt", content="first"), first)
    # The second write's temporary file name is taken by a directory: writing it fails
    # (EISDIR) after the undo record was saved.
    (workspace / "sub" / f".overseer-partial-{_key(second)}.partial").mkdir()
    before = tree(tmp_path)

    with pytest.raises(ApplicationError) as refused:
        await WRITE_FILE.run(WRITE_FILE.input_model(path="sub/a.txt", content="second"), second)

    assert refused.value.type == TOOL_REFUSED
    assert refused.value.message == "cannot write 'sub/a.txt': Is a directory"
    assert tree(tmp_path) == before  # no temporary file, no undo record for a write not made


def _key(ctx: ToolContext) -> str:
    return hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()[:16]


SEGMENTS = st.one_of(
    st.sampled_from(
        [
            ".",
            "..",
            "",
            "sub",
            "file.txt",
            ".tracker",
            ".TRACKER",
            ".overseer-undo",
            ".Overseer",
            "link_out",
            "link_dir_out",
            "link_tracker",
            "loop1",
            "fifo",
            "x" * 256,
        ]
    ),
    st.text(max_size=20),
)
PATHS = st.one_of(
    st.builds(
        lambda lead, parts: lead + "/".join(parts),
        st.sampled_from(["", "/", "./"]),
        st.lists(SEGMENTS, max_size=40),
    ),
    st.text(max_size=300),
)


@pytest.fixture(scope="module")
def shared_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("hypothesis"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(relative=PATHS, file=st.booleans())
def test_resolution_refuses_or_stays_inside_and_out_of_bookkeeping(
    shared_workspace: Path, relative: str, file: bool
) -> None:
    root = shared_workspace.resolve()
    try:
        resolved = inside_workspace(shared_workspace, relative, file=file)
    except ApplicationError as refused:
        assert refused.type == TOOL_REFUSED and refused.non_retryable
        assert "\n" not in refused.message and len(refused.message) <= 300
        return
    assert resolved.is_relative_to(root)
    inside = resolved.relative_to(root).parts
    assert not any(is_bookkeeping(part) for part in inside)
    assert inside or not file


async def test_an_undo_folder_planted_as_a_link_is_not_written_through(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".overseer-undo").symlink_to(tmp_path / "elsewhere")
    before = tree(tmp_path)

    with pytest.raises(ApplicationError) as refused:
        await WRITE_FILE.run(WRITE_FILE.input_model(path="a.txt", content="x"), context(workspace))

    assert refused.value.type == TOOL_REFUSED
    assert tree(tmp_path) == before
