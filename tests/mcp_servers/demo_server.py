"""A small MCP server for the tests (the SDK's MCPServer, formerly FastMCP): one tool of
each kind Overseer maps. Run: `python demo_server.py LEDGER [http PORT]` (stdio by default).

`record` appends each call's idempotency key (from `_meta`) to the file LEDGER, once per
key: a server that honours the key, so a retried call has one effect. `echo` tells the
token it was given (env DEMO_TOKEN, or an HTTP Authorization header): the client must scrub it.
"""

import os
import sys
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer("demo")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def echo(text: str, ctx: Context) -> str:
    """Say the text back, with the token the server was given (to test scrubbing)."""
    request = ctx.request_context.request
    header = getattr(request, "headers", {}).get("authorization", "") if request else ""
    return f"echo: {text} token={os.environ.get('DEMO_TOKEN', '')}{header}"


@server.tool(annotations=ToolAnnotations(idempotent_hint=True, destructive_hint=False))
async def record(note: str, ctx: Context, hold_seconds: float = 0) -> str:
    """Record a note, once per idempotency key. Every call is logged (LEDGER.calls: pid and
    key); with hold_seconds, a first call holds that long after its effect (a worker can
    be killed between the effect and its result), a repeated one answers at once."""
    meta = ctx.request_context.meta or {}
    key = str(meta.get("overseer/idempotency_key", ""))
    ledger = Path(sys.argv[1])
    with Path(f"{ledger}.calls").open("a") as calls:
        calls.write(f"{os.getpid()} {key}\n")
    seen = ledger.read_text().splitlines() if ledger.exists() else []
    if key not in seen:
        with ledger.open("a") as out:
            out.write(key + "\n")
        await anyio.sleep(hold_seconds)
    return f"recorded {note} under {key}"


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def wipe(target: str) -> str:
    """Wipe a target (destructive)."""
    return f"wiped {target}"


@server.tool()
def poke(target: str) -> str:
    """Poke a target (no annotations at all)."""
    return f"poked {target}"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def fail(reason: str) -> str:
    """Always fails: the error is the tool's answer (isError)."""
    raise ToolError(f"cannot do it: {reason}")


if __name__ == "__main__":
    if sys.argv[2:3] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[3]))
    else:
        server.run()
