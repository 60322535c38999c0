"""One connection to an MCP server with the official SDK, and failures classified by server.

A connection lives for one activity (one listing, one call): a stdio server is started for
it and stopped after, an HTTP session is opened and closed. Nothing outlives an attempt, so a
retried call after a worker crash starts clean. Credentials are resolved here, on the worker.
"""

import asyncio
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import IO, TextIO, TypeVar, cast

from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT
from temporalio.exceptions import ApplicationError

from activities import secrets
from contracts.mcp import McpServer

# The server could not be started or reached, hung, or dropped the connection: retried
# under the run's retry config (a server may come back), then the run fails naming it.
MCP_SERVER_FAILED = "McpServerFailed"
# The server answered with a JSON-RPC error (unknown tool, invalid params...): retrying
# the same request cannot help.
MCP_PROTOCOL_ERROR = "McpProtocolError"
# What the SDK reports as an error but means the server went away or went quiet.
TRANSPORT_CODES = frozenset({CONNECTION_CLOSED, REQUEST_TIMEOUT})
STDERR_TAIL_CHARS = 300
T = TypeVar("T")


def server_secrets(server: McpServer) -> dict[str, str]:
    return secrets.resolve(server.secrets)


def _leaf(error: BaseException) -> BaseException:
    """The first real error inside anyio's exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _stderr_tail(errlog: IO[str] | None) -> str:
    if errlog is None:
        return ""
    errlog.seek(0)
    lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
    return f" (stderr: {lines[-1][:STDERR_TAIL_CHARS]})" if lines else ""


def classified(
    server: McpServer,
    doing: str,
    error: BaseException,
    values: Mapping[str, str],
    errlog: IO[str] | None = None,
    seconds: float | None = None,
) -> ApplicationError:
    """One line naming the server and what failed, with no secret value in it."""
    leaf = _leaf(error)
    if isinstance(leaf, MCPError) and leaf.code not in TRANSPORT_CODES:
        kind, retry = MCP_PROTOCOL_ERROR, False
        what = f"error {leaf.code}: {leaf.error.message}"
    elif isinstance(leaf, MCPError):
        kind, retry = MCP_SERVER_FAILED, True
        what = leaf.error.message
    else:
        kind, retry = MCP_SERVER_FAILED, True
        what = f"{type(leaf).__name__}: {leaf}".rstrip(": ") if str(leaf) else type(leaf).__name__
        if isinstance(leaf, TimeoutError):
            what = f"no answer within {seconds or server.timeout_seconds:g}s"
    message = f"mcp server {server.name!r} {doing}: {what}{_stderr_tail(errlog)}"
    return ApplicationError(
        secrets.scrub(" ".join(message.split()), values), type=kind, non_retryable=not retry
    )


async def _open(
    server: McpServer, values: Mapping[str, str], stack: AsyncExitStack, errlog: IO[str]
) -> Client:
    if server.command is not None:
        # A fresh, minimal environment (the SDK's default: PATH, HOME...) plus the named
        # secrets: a server never sees the worker's other variables or secrets.
        env = {var: values[secret] for var, secret in server.env.items()}
        params = StdioServerParameters(command=server.command[0], args=server.command[1:], env=env)
        transport = stdio_client(params, errlog=cast(TextIO, errlog))
    else:
        assert server.url is not None
        headers = {header: values[secret] for header, secret in server.headers.items()}
        http = await stack.enter_async_context(create_mcp_http_client(headers=headers))
        transport = streamable_http_client(server.url, http_client=http)
    client = Client(transport, read_timeout_seconds=server.timeout_seconds, cache=None)
    return await stack.enter_async_context(client)


async def with_server(
    server: McpServer,
    doing: str,
    work: Callable[[Client, Mapping[str, str]], Awaitable[T]],
    seconds: float | None = None,
) -> T:
    """`work`'s result on a fresh connection to `server`, within `seconds` (default: the
    server's timeout); any failure but `work`'s own ApplicationError becomes one classified
    line naming the server."""
    values = server_secrets(server)
    seconds = server.timeout_seconds if seconds is None else seconds
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
        try:
            async with asyncio.timeout(seconds), AsyncExitStack() as stack:
                return await work(await _open(server, values, stack, errlog), values)
        except Exception as error:  # the transport's own (OSError, httpx, anyio...)
            if isinstance(_leaf(error), ApplicationError):  # `work`'s: already classified
                raise _leaf(error) from None
            raise classified(server, doing, error, values, errlog, seconds) from None
