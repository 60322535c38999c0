"""File tools, confined to the run's workspace directory."""

import asyncio

from pydantic import BaseModel, Field

from activities.errors import tool_refused
from activities.tools.base import ToolContext, ToolDefinition
from contracts.tools import SideEffect

# Tool results travel through workflow history: keep them far below Temporal's 2 MiB
# payload limit (an oversized result would be retried forever).
MAX_READ_BYTES = 256 * 1024
MAX_LISTED_ENTRIES = 500


class ListFilesInput(BaseModel):
    path: str = Field(default=".", description="Directory relative to the workspace")


class ReadFileInput(BaseModel):
    path: str = Field(description="File path relative to the workspace")


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
            data = handle.read(MAX_READ_BYTES + 1)
        text = data[:MAX_READ_BYTES].decode("utf-8", errors="replace")
        if len(data) > MAX_READ_BYTES:
            text += f"\n[truncated at {MAX_READ_BYTES} bytes]"
        return text

    return await asyncio.to_thread(read)


async def write_file(args: WriteFileInput, ctx: ToolContext) -> str:
    path = ctx.resolve(args.path)

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash mid-write never leaves half a file.
        partial = path.with_name(f".{path.name}.{ctx.idempotency_key}.partial")
        partial.write_text(args.content, encoding="utf-8")
        partial.replace(path)

    await asyncio.to_thread(write)
    return f"wrote {len(args.content.encode('utf-8'))} bytes to {args.path}"


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
)
