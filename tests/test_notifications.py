"""A run that waits for approval tells its policy's webhooks (a real receiver on 127.0.0.1):
signed JSON and a Slack message, retried, recorded as events, never naming a secret, and
never holding the run, whatever the receiver does."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.worker import Replayer, Worker

from contracts.approvals import CancelRequest, Decision
from contracts.data_converter import overseer_data_converter
from contracts.events import EventKind, RunEvent
from contracts.model_io import ModelSpec, ScriptedCall, ScriptTurn
from contracts.spec import PolicySpec
from contracts.states import RunState
from tests.helpers import closed, events, make_spec, start, wait_for_state
from workers.sandbox import SANDBOX
from workflows.run.agent_run import AgentRunWorkflow

KEY = "hmac-key-0f9e8d7c6b5a"
SLACK_PATH = "/services/T000/B000/XOXSECRETPATH"
ARGS = {"path": "out/note.txt", "content": "mail ops@example.com about hush-4242"}
WRITE = [
    ScriptTurn(say="Writing.", tool_calls=[ScriptedCall(tool="write_file", args=ARGS)]),
    ScriptTurn(say="Done."),
]
HANG = "hang"


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]  # names in lower case
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class Receiver:
    """Answers each path from its script (a status, or HANG: no answer until released);
    the script's last entry repeats. Keeps every delivery's raw body and headers."""

    def __init__(self, scripts: dict[str, list[int | str]]) -> None:
        self.deliveries: list[Delivery] = []
        self.released = threading.Event()
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._arrived:
                    seen = sum(1 for d in receiver.deliveries if d.path == self.path)
                    receiver.deliveries.append(Delivery(self.path, headers, raw))
                    receiver._arrived.notify_all()
                script = scripts[self.path]
                answer = script[min(seen, len(script) - 1)]
                if answer == HANG:
                    receiver.released.wait()
                    answer = 200
                # A receiver that echoes what it was sent (the path of a secret URL).
                payload = f"hook {self.path} says {answer}".encode()
                self.send_response(int(answer))
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def at(self, path: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.path == path]

    async def wait_for(self, count: int, within: float = 30.0) -> None:
        def arrived() -> bool:
            with self._arrived:
                return self._arrived.wait_for(lambda: len(self.deliveries) >= count, within)

        assert await asyncio.to_thread(arrived), f"fewer than {count} deliveries"


@pytest.fixture
def receiver_for() -> Iterator[Any]:
    started: list[Receiver] = []

    def make(scripts: dict[str, list[int | str]]) -> Receiver:
        receiver = Receiver(scripts)
        threading.Thread(target=receiver._http.serve_forever, daemon=True).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:  # a hung delivery answers, so the worker stops at once
        receiver.released.set()
        receiver._http.shutdown()
        receiver._http.server_close()


@pytest.fixture(autouse=True)
def worker_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSEER_SECRET_NOTIFY_KEY", KEY)


async def wait_for_events(
    handle: WorkflowHandle[Any, Any], kinds: set[EventKind], count: int, within: float = 30.0
) -> list[RunEvent]:
    """The run's events of these kinds, once there are `count` of them."""

    async def watch() -> list[RunEvent]:
        async for _ in handle.fetch_history_events(wait_new_event=True):
            found = [e for e in await events(handle) if e.kind in kinds]
            if len(found) >= count:
                return found
        raise AssertionError(f"run closed with fewer than {count} {kinds} events")

    return await asyncio.wait_for(watch(), within)


async def approve(handle: WorkflowHandle[Any, Any]) -> None:
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    decision = Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="o")
    await handle.execute_update("approve", decision)


async def history_text(handle: WorkflowHandle[Any, Any]) -> str:
    """The run's whole history with every payload decoded: what Temporal keeps."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and "metadata" in node:
                parts.append(base64.b64decode(node["data"]).decode(errors="replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            parts.append(node)

    walk(json.loads((await handle.fetch_history()).to_json()))
    return "\n".join(parts)


def notify_spec(tmp_path: Path, **policy: Any) -> Any:
    return make_spec(
        tmp_path,
        model=ModelSpec(script=WRITE),
        secrets=["notify_key", "slack_url"],
        policy=PolicySpec(redact_patterns=["hush-[0-9]+"], **policy),
    )


async def test_a_waiting_action_notifies_a_signed_json_and_a_slack_webhook(
    client: Client,
    worker: Worker,
    tmp_path: Path,
    receiver_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = receiver_for({"/json": [200], SLACK_PATH: [200]})
    monkeypatch.setenv("OVERSEER_SECRET_SLACK_URL", receiver.url + SLACK_PATH)
    notify = [
        {"url": f"{receiver.url}/json", "hmac_secret": "notify_key"},
        {"url_secret": "slack_url", "format": "slack"},
    ]
    spec = notify_spec(tmp_path, notify=notify, inbox_url="https://inbox.example")
    handle = await start(client, spec, worker.task_queue)

    found = await wait_for_events(handle, {EventKind.NOTIFIED}, 2)
    assert sorted(e.detail for e in found) == [
        "webhook 1 (json, 127.0.0.1): HTTP 200",
        "webhook 2 (slack, 127.0.0.1): HTTP 200",
    ]
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    assert all(e.evidence == [request.action_id] for e in found)

    [signed] = receiver.at("/json")
    timestamp = signed.headers["x-overseer-timestamp"]
    mac = hmac.new(KEY.encode(), timestamp.encode() + b"." + signed.raw, hashlib.sha256)
    assert signed.headers["x-overseer-signature"] == f"sha256={mac.hexdigest()}"
    body = signed.body
    assert body["type"] == "approval_requested"
    assert (body["run_id"], body["action_id"], body["short_id"]) == (
        handle.id,
        request.action_id,
        request.short_id,
    )
    assert (body["agent"], body["tool"], body["requester"]) == ("tester", "write_file", "rita")
    # Redacted as the run's events are: built-in patterns and the policy's own.
    assert body["args"] == {"path": "out/note.txt", "content": "mail [email] about [redacted]"}
    assert body["args_sha256"] == request.args_sha256  # the hash of what will really run
    assert body["inbox_url"] == f"https://inbox.example/runs/{handle.id}/actions/1.1"
    assert body["approve_command"] == f"overseer approve {handle.id} 1.1 --as YOU"

    [slack] = receiver.at(SLACK_PATH)
    assert "x-overseer-signature" not in slack.headers
    [actions] = [b for b in slack.body["blocks"] if b["type"] == "actions"]
    assert [b["action_id"] for b in actions["elements"]] == [
        "overseer_approve",
        "overseer_reject",
        "overseer_open",
    ]
    assert json.loads(actions["elements"][0]["value"]) == {
        "run_id": handle.id,
        "action_id": request.action_id,
        "args_sha256": request.args_sha256,
    }
    assert "ops@example.com" not in slack.raw.decode()

    await approve(handle)
    assert (await handle.result()).state is RunState.COMPLETED
    kept = await history_text(handle)
    assert "notify_key" in kept and "slack_url" in kept  # the names travel...
    assert KEY not in kept and "XOXSECRETPATH" not in kept  # ...the values never do
    await Replayer(
        workflows=[AgentRunWorkflow],
        data_converter=overseer_data_converter,
        workflow_runner=SANDBOX,
    ).replay_workflow(await handle.fetch_history())


async def test_a_receiver_that_fails_once_is_tried_again(
    client: Client, worker: Worker, tmp_path: Path, receiver_for: Any
) -> None:
    receiver = receiver_for({"/flaky": [500, 200]})
    spec = notify_spec(tmp_path, notify=[{"url": f"{receiver.url}/flaky"}])
    handle = await start(client, spec, worker.task_queue)

    [notified] = await wait_for_events(handle, {EventKind.NOTIFIED, EventKind.NOTIFY_FAILED}, 1)
    assert (notified.kind, notified.detail) == (
        EventKind.NOTIFIED,
        "webhook 1 (json, 127.0.0.1): HTTP 200",
    )
    first, second = receiver.at("/flaky")
    # The same delivery again: the receiver can tell, and no signature without a key.
    assert first.raw == second.raw
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert "x-overseer-signature" not in first.headers
    await approve(handle)
    assert (await handle.result()).state is RunState.COMPLETED


async def test_webhooks_that_cannot_be_told_are_recorded_and_the_run_goes_on(
    client: Client,
    worker: Worker,
    tmp_path: Path,
    receiver_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = receiver_for({"/gone": [410], SLACK_PATH: [404], "/down": [500]})
    monkeypatch.setenv("OVERSEER_SECRET_SLACK_URL", receiver.url + SLACK_PATH)
    notify = [
        {"url": f"{receiver.url}/gone"},
        {"url_secret": "slack_url", "format": "slack"},
        {"url": f"{receiver.url}/never", "hmac_secret": "notify_key"},
        {"url": f"{receiver.url}/down"},
    ]
    monkeypatch.delenv("OVERSEER_SECRET_NOTIFY_KEY")  # not configured on this worker
    handle = await start(client, notify_spec(tmp_path, notify=notify), worker.task_queue)

    # Each failure is recorded while the run waits; the one that always fails is tried a
    # bounded number of times (1 s, 2 s, 4 s, 8 s apart) first.
    failed = await wait_for_events(handle, {EventKind.NOTIFY_FAILED, EventKind.NOTIFIED}, 4, 60)
    assert {e.kind for e in failed} == {EventKind.NOTIFY_FAILED}
    details = sorted(e.detail for e in failed)
    assert details[0] == "webhook 1 (json, 127.0.0.1): HTTP 410: hook /gone says 410"
    # The secret URL's path, echoed by the receiver, is shown by its secret's name only.
    assert details[1] == (
        "webhook 2 (slack, URL from secret slack_url): HTTP 404: hook [secret:slack_url] says 404"
    )
    assert details[2].startswith("webhook 3 (json, 127.0.0.1): secret 'notify_key' is not")
    assert details[3] == (
        "webhook 4 (json, 127.0.0.1): HTTP 500: hook /down says 500 (gave up after 5 attempts)"
    )
    assert len(receiver.at("/gone")) == len(receiver.at(SLACK_PATH)) == 1  # 4xx: not retried
    assert (len(receiver.at("/never")), len(receiver.at("/down"))) == (0, 5)

    await approve(handle)
    assert (await handle.result()).state is RunState.COMPLETED
    assert (tmp_path / "out/note.txt").exists()


async def test_a_hanging_receiver_holds_neither_the_approval_nor_the_end(
    client: Client, worker: Worker, tmp_path: Path, receiver_for: Any
) -> None:
    receiver = receiver_for({"/hang": [HANG]})
    notify = [{"url": f"{receiver.url}/hang"}]
    # Over three segments: the notification is in flight when the run continues as new.
    spec = notify_spec(tmp_path, notify=notify).model_copy(
        update={"continue_as_new_after_steps": 1}
    )
    handle = await start(client, spec, worker.task_queue)
    await receiver.wait_for(1)
    await approve(handle)
    assert (await handle.result()).state is RunState.COMPLETED
    assert (tmp_path / "out/note.txt").exists()

    canceled = await start(client, notify_spec(tmp_path, notify=notify), worker.task_queue)
    await receiver.wait_for(2)
    await canceled.execute_update("cancel", CancelRequest(by="o", reason="not today"))
    status, final = await closed(canceled)
    assert (status, final.state) == (WorkflowExecutionStatus.CANCELED, RunState.CANCELED)
    kinds = {e.kind for e in await events(canceled)}
    assert not kinds & {EventKind.NOTIFIED, EventKind.NOTIFY_FAILED}
