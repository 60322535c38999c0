"""Secrets by scope: a tool gets its secret from the worker, and the value appears nowhere
else: not in history (inputs, results, events, search attributes), queries or logs."""

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.secrets import env_name
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import events, make_spec, snapshot, start
from tests.http_fixture import CannedResponse, CannedServer, canned_server

SECRET = "s3cr3t-planted-Zq81vXw0"
hook = pytest.fixture(canned_server)


def webhook_script(server: CannedServer) -> list[ScriptTurn]:
    call = ScriptedCall(
        tool="post_webhook", args={"url": f"{server.root_url}/hook", "payload": {"text": "hi"}}
    )
    return [ScriptTurn(tool_calls=[call]), ScriptTurn(say="posted")]


def decoded(value: Any) -> str:
    """All text of a history, with every payload's base64 data decoded too."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                if key == "data" and isinstance(child, str):
                    parts.append(base64.b64decode(child + "==").decode("utf-8", "replace"))
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return json.dumps(value) + "\n".join(parts)


async def full_text(handle: WorkflowHandle[Any, Any]) -> str:
    history = json.loads((await handle.fetch_history()).to_json())
    queries = [await snapshot(handle), await events(handle), await handle.query("steps")]
    attributes = (await handle.describe()).typed_search_attributes
    return decoded(history) + str(queries) + str(attributes)


async def test_a_planted_secret_reaches_the_endpoint_and_nowhere_else(
    client: Client,
    worker: Worker,
    hook: CannedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(env_name("webhook_token"), SECRET)
    # An endpoint that echoes the credential back: the tool must not carry it into history.
    hook.default = CannedResponse(200, {"ok": True, "seen": f"Bearer {SECRET}"})
    spec = make_spec(
        tmp_path,
        webhook_script(hook),
        tools=["post_webhook"],
        secrets=["webhook_token"],
        policy=PolicySpec(require_approval=[]),
    )
    handle = await start(client, spec, worker.task_queue)

    assert (await handle.result()).state is RunState.COMPLETED
    [request] = hook.requests
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    text = await full_text(handle)
    assert "[secret:webhook_token]" in text  # the echo, scrubbed, is in the tool result
    assert SECRET not in text
    assert SECRET not in caplog.text


async def test_an_agent_without_the_secret_in_scope_cannot_call_the_tool(
    client: Client, worker: Worker, hook: CannedServer, tmp_path: Path
) -> None:
    spec = make_spec(
        tmp_path,
        webhook_script(hook),
        tools=["post_webhook"],
        policy=PolicySpec(require_approval=[]),
    )
    handle = await start(client, spec, worker.task_queue)

    assert (await handle.result()).state is RunState.COMPLETED
    assert hook.requests == []
    [denied] = [e for e in await events(handle) if e.kind is EventKind.TOOL_DENIED]
    assert denied.detail == (
        "tool 'post_webhook' needs secret(s) webhook_token that agent 'tester' may not use"
    )


async def test_a_secret_missing_on_the_worker_fails_the_run_naming_it(
    client: Client, worker: Worker, hook: CannedServer, tmp_path: Path
) -> None:
    spec = make_spec(
        tmp_path,
        webhook_script(hook),
        tools=["post_webhook"],
        secrets=["webhook_token"],
        policy=PolicySpec(require_approval=[]),
    )
    handle = await start(client, spec, worker.task_queue)
    with pytest.raises(Exception):  # noqa: B017 - the run's failure, checked below
        await handle.result()
    final = await snapshot(handle)
    assert final.state is RunState.FAILED
    assert "secret 'webhook_token' is not configured on this worker" in (final.failure_reason or "")
    assert hook.requests == []
