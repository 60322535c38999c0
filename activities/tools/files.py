"""File tools, confined to the run's workspace directory."""

import asyncio
import json
import shutil
from pathlib import Path

from pydantic import BaseModel, Field

from activities.errors import tool_refused
from activities.tools.base import ToolContext, ToolDefinition
from contracts.tools import SideEffect

# Tool results travel through workflow history: keep them far below Temporal's 2 MiB
# payload limit (an oversized result would be retried forever).
MAX_READ_BYTES = 256 * 1024
MAX_LISTED_ENTRIES = 500
# Where write_file keeps what it replaced, so a rollback can put it back.
UNDO_DIR = ".overseer-undo"


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
    directory = ctx.resolve(args.path)
    if not directory.is_dir():
        raise tool_refused(f"{args.path!r} is not a directory in the workspace")
    root = ctx.workspace.resolve()

    def scan() -> list[str]:
        entries = sorted(directory.iterdir())[:MAX_LISTED_ENTRIES]
        return [str(entry.relative_to(root)) + ("/" if entry.is_dir() else "") for entry in entries]

    return "\n".join(await asyncio.to_thread(scan))


async def read_file(args: ReadFileInput, ctx: ToolContext) -> str:
    path = ctx.resolve(args.path)
    if not path.is_file():
        raise tool_refused(f"{args.path!r} is not a file in the workspace")

    def read() -> str:
        with path.open("rb") as handle:
            data = handle.read(args.max_bytes + 1)
        text = data[: args.max_bytes].decode("utf-8", errors="replace")
        if len(data) > args.max_bytes:
            text += f"\n[truncated at {args.max_bytes} bytes]"
        return text

    return await asyncio.to_thread(read)


def _undo_paths(ctx: ToolContext) -> tuple[Path, Path]:
    folder = ctx.workspace.resolve() / UNDO_DIR
    return folder / f"{ctx.idempotency_key}.json", folder / f"{ctx.idempotency_key}.prev"


async def write_file(args: WriteFileInput, ctx: ToolContext) -> str:
    path = ctx.resolve(args.path)

    def write() -> None:
        record, previous = _undo_paths(ctx)
        # Only the first attempt saves what was there: a retry must not save our own write.
        if not record.exists():
            record.parent.mkdir(parents=True, exist_ok=True)
            if path.is_file():
                shutil.copyfile(path, previous)
            record.write_text(json.dumps({"path": args.path, "existed": path.is_file()}))
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash mid-write never leaves half a file.
        partial = path.with_name(f".{path.name}.{ctx.idempotency_key}.partial")
        partial.write_text(args.content, encoding="utf-8")
        partial.replace(path)

    await asyncio.to_thread(write)
    return f"wrote {len(args.content.encode('utf-8'))} bytes to {args.path}"


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
