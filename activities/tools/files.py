"""File tools, confined to the run's workspace directory."""

import asyncio
import contextlib
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from activities.errors import tool_refused
from activities.tools.base import ToolContext, ToolDefinition
from activities.tools.paths import BOOKKEEPING_PREFIX, is_bookkeeping, shown
from contracts.errors import one_line
from contracts.tools import SideEffect

T = TypeVar("T")

# Tool results travel through workflow history: keep them far below Temporal's 2 MiB
# payload limit (an oversized result would be retried forever).
MAX_READ_BYTES = 256 * 1024
MAX_LISTED_ENTRIES = 500
# Where write_file keeps what it replaced, so a rollback can put it back.
UNDO_DIR = ".overseer-undo"
# write_file's temporary files: bookkeeping by name, so never listed, read or written.
PARTIAL_PREFIX = f"{BOOKKEEPING_PREFIX}-partial-"
# Enough for any source file a model should write in one call; far below the payload limit.
MAX_WRITE_BYTES = 1024 * 1024


class ListFilesInput(BaseModel):
    path: str = Field(default=".", description="Directory relative to the workspace")


class ReadFileInput(BaseModel):
    path: str = Field(description="File path relative to the workspace")
    max_bytes: int = Field(
        default=MAX_READ_BYTES, ge=1, le=16 * 1024 * 1024, description="Read at most this much"
    )


class WriteFileInput(BaseModel):
    path: str = Field(description="File path relative to the workspace")
    content: str = Field(description="The full new content of the file")


async def list_files(args: ListFilesInput, ctx: ToolContext) -> str:
    directory = ctx.resolve(args.path, file=False)
    root = ctx.workspace.resolve()

    def scan() -> list[str]:
        if not directory.is_dir():
            raise tool_refused(f"{shown(args.path)} is not a directory in the workspace")
        visible = (entry for entry in directory.iterdir() if not is_bookkeeping(entry.name))
        entries = sorted(visible)[:MAX_LISTED_ENTRIES]
        return [str(entry.relative_to(root)) + ("/" if entry.is_dir() else "") for entry in entries]

    return "\n".join(await _on_disk(scan, "list", args.path))


async def read_file(args: ReadFileInput, ctx: ToolContext) -> str:
    path = ctx.resolve(args.path)

    def read() -> str:
        _refuse_directory(path, args.path)
        if not path.is_file():  # missing, or a device, FIFO or socket (reading could block)
            raise tool_refused(f"{shown(args.path)} is not a file in the workspace")
        with path.open("rb") as handle:
            data = handle.read(args.max_bytes + 1)
        text = data[: args.max_bytes].decode("utf-8", errors="replace")
        if len(data) > args.max_bytes:
            text += f"\n[truncated at {args.max_bytes} bytes]"
        return text

    return await _on_disk(read, "read", args.path)


def _undo_paths(ctx: ToolContext) -> tuple[Path, Path]:
    folder = ctx.workspace.resolve() / UNDO_DIR
    # A link planted in the workspace (a cloned repository, say) would take the saved
    # copies, and the undo, out of it.
    if folder.is_symlink():
        raise tool_refused(
            f"{UNDO_DIR} in the workspace is a symbolic link: not writing through it"
        )
    return folder / f"{ctx.idempotency_key}.json", folder / f"{ctx.idempotency_key}.prev"


async def write_file(args: WriteFileInput, ctx: ToolContext) -> str:
    data = _content_bytes(args.content)
    path = ctx.resolve(args.path)

    def write() -> None:
        _refuse_directory(path, args.path)
        record, previous = _undo_paths(ctx)
        # Only the first attempt saves what was there: a retry must not save our own write.
        saved_now = not record.exists()
        if saved_now:
            record.parent.mkdir(parents=True, exist_ok=True)
            if path.is_file():
                shutil.copyfile(path, previous)
            record.write_text(json.dumps({"path": args.path, "existed": path.is_file()}))
        try:
            _replace(path, data, ctx.idempotency_key)
        except OSError:
            if saved_now:  # nothing was written: nothing to undo
                for saved in (record, previous):
                    with contextlib.suppress(OSError):
                        saved.unlink(missing_ok=True)
            raise

    await _on_disk(write, "write", args.path)
    return f"wrote {len(data)} bytes to {args.path}"


def _content_bytes(content: str) -> bytes:
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        raise tool_refused("content is not valid Unicode: it holds a lone surrogate") from None
    if len(data) > MAX_WRITE_BYTES:
        raise tool_refused(
            f"content is {len(data)} bytes, over the {MAX_WRITE_BYTES} byte limit of write_file"
        )
    return data


def _replace(path: Path, data: bytes, idempotency_key: str) -> None:
    """Write then rename, so a crash mid-write never leaves half a file. The temporary
    file sits next to the target (inside the workspace, hidden as bookkeeping), has a
    bounded name, and is gone if the write fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(idempotency_key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    partial = path.parent / f"{PARTIAL_PREFIX}{key}.partial"
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise


def _refuse_directory(path: Path, path_text: str) -> None:
    if path.is_dir():
        raise tool_refused(f"{shown(path_text)} is a directory, not a file")


async def _on_disk(work: Callable[[], T], verb: str, path_text: str) -> T:
    """`work` in a thread; any OSError becomes a refusal naming the problem (ENAMETOOLONG,
    ENOTDIR, EACCES...) without the worker's absolute paths."""
    try:
        return await asyncio.to_thread(work)
    except OSError as error:
        problem = error.strerror or type(error).__name__
        raise tool_refused(one_line(f"cannot {verb} {shown(path_text)}: {problem}")) from None


async def undo_write_file(args: WriteFileInput, ctx: ToolContext) -> str:
    """Put back what the write replaced: the previous content, or no file at all."""
    path = ctx.resolve(args.path)

    def undo() -> str:
        record, previous = _undo_paths(ctx)
        if not record.exists():
            return f"nothing to undo for {args.path}"
        if json.loads(record.read_text())["existed"]:
            shutil.copyfile(previous, path)
            return f"restored the previous {args.path}"
        path.unlink(missing_ok=True)
        return f"removed {args.path}"

    return await asyncio.to_thread(undo)


LIST_FILES = ToolDefinition(
    name="list_files",
    description="List the files and directories in a workspace directory.",
    input_model=ListFilesInput,
    side_effect=SideEffect.READ,
    run=list_files,
    summary_arg="path",
)
READ_FILE = ToolDefinition(
    name="read_file",
    description="Read a text file from the workspace.",
    input_model=ReadFileInput,
    side_effect=SideEffect.READ,
    run=read_file,
    summary_arg="path",
)
WRITE_FILE = ToolDefinition(
    name="write_file",
    description="Create or overwrite a text file in the workspace.",
    input_model=WriteFileInput,
    side_effect=SideEffect.IRREVERSIBLE,
    run=write_file,
    summary_arg="path",
    compensate=undo_write_file,
)
