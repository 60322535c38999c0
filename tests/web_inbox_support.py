"""The approval service for web inbox tests: served by uvicorn on a real socket on
127.0.0.1, signing with a fresh service key that the test runs' policy trusts."""

import asyncio
import contextlib
import re
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from temporalio.client import Client

from approvals.app import create_app
from approvals.config import ServiceConfig
from approvals.tokens import add_token
from contracts.spec import PolicySpec
from starters.client.signing import SigningKey

STARTUP_SECONDS = 15.0
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Inbox:
    base_url: str
    key: SigningKey
    tokens: dict[str, str]  # user -> API token

    def policy(self) -> PolicySpec:
        """Alice decides, and only with a decision this service signed."""
        return PolicySpec(
            version="inbox-policy-1",
            approvers=["alice"],
            decision_keys={self.key.key_id: self.key.public_key},
            require_signed_decisions=True,
        )


def unique_agent() -> str:
    """An agent name of one test's runs: the dev server is shared, the inbox lists all."""
    return f"inbox-{uuid.uuid4().hex[:10]}"


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


@contextlib.asynccontextmanager
async def serving(client: Client, tmp_path: Path) -> AsyncIterator[Inbox]:
    """The service on a free port of 127.0.0.1 (its public_url), with API tokens for
    alice (an approver) and bob (not one)."""
    home = tmp_path / "approval-service"  # not in the runs' workspace (tmp_path)
    key = SigningKey.generate(f"inbox-{uuid.uuid4().hex[:6]}", None)
    key.save(home / "service-key.json")
    tokens_file = home / "tokens.yaml"
    tokens = {user: add_token(tokens_file, user, []) for user in ("alice", "bob")}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = ServiceConfig(
        signing_key=str(home / "service-key.json"),
        tokens_file=str(tokens_file),
        public_url=base_url,
    )
    app = create_app(config, client)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await asyncio.wait_for(_started(server, task), STARTUP_SECONDS)
        yield Inbox(base_url, key, tokens)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, STARTUP_SECONDS)
        sock.close()


async def _started(server: uvicorn.Server, task: "asyncio.Task[None]") -> None:
    while not server.started:
        if task.done():
            raise AssertionError(f"the approval service did not start: {task.exception()!r}")
        await asyncio.sleep(0.02)
