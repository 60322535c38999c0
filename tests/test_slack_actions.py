"""Slack clicks on a notification's Approve / Reject buttons, over a real socket to the
service, decided in a real run: signed by Slack, mapped to a person, signed by the service
key, verified by the run. Everything else is refused without a trace."""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
import uvicorn
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from approvals.app import create_app
from approvals.config import ServiceConfig
from approvals.slack import BODY_MAX_BYTES
from contracts.approvals import ApprovalRequest
from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.spec import PolicySpec
from contracts.states import RunState
from starters.client.signing import SigningKey
from tests.helpers import (
    UPDATE_ACCEPTED,
    events,
    history_event_types,
    make_spec,
    snapshot,
    start,
    wait_for_state,
)

SECRET_ENV = "OVERSEER_TEST_SLACK_SECRET"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SERVICE_KEY = SigningKey.generate("approvals-test", None)
ALICE, BOB, STRANGER = "U0ALICE01", "U0BOB0001", "U0NOBODY1"
POLICY = PolicySpec(
    version="slack-1",
    approvers=["alice"],
    decision_keys={"approvals-test": SERVICE_KEY.public_key},
    require_signed_decisions=True,
)
SERVER_START_SECONDS = 10.0


@pytest_asyncio.fixture
async def service_url(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """The approval service on uvicorn, on 127.0.0.1 on a port the OS picks."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    SERVICE_KEY.save(tmp_path / "service-key.json")
    config = ServiceConfig.model_validate(
        {
            "signing_key": str(tmp_path / "service-key.json"),
            "tokens_file": str(tmp_path / "tokens.yaml"),
            "slack": {
                "signing_secret_env": SECRET_ENV,
                "users": {ALICE: "alice", BOB: {"user": "bob", "groups": ["ops"]}},
            },
        }
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, client), host="127.0.0.1", port=0, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        assert not serving.done(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        await asyncio.sleep(0.01)  # polling a flag, with a deadline
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


def button_value(run_id: str, request: ApprovalRequest, **changes: str) -> str:
    value = {"run_id": run_id, "action_id": request.action_id, "args_sha256": request.args_sha256}
    return json.dumps(value | changes, separators=(",", ":"))


def block_actions(slack_user: str, button: str, value: str, **changes: Any) -> dict[str, Any]:
    """A block_actions payload shaped as Slack sends it (with the fields Overseer ignores)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": slack_user, "username": "someone", "name": "someone", "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C01"},
        "trigger_id": "123.456.abc",
        "team": {"id": "T0001", "domain": "example"},
        "channel": {"id": "C01", "name": "approvals"},
        "message": {"type": "message", "text": "write_file is waiting", "blocks": []},
        "actions": [
            {
                "type": "button",
                "action_id": button,
                "block_id": "overseer-actions",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": value,
                "action_ts": "1700000001.000200",
            }
        ],
    }
    return payload | changes


def signed(body: bytes, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Headers as Slack sends them: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": f"v0={digest.hexdigest()}",
    }


def form(payload: dict[str, Any] | str) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return urlencode({"payload": text}).encode()


async def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{url}/slack/actions", content=body, headers=headers)


async def click(url: str, payload: dict[str, Any], **signing: Any) -> httpx.Response:
    body = form(payload)
    return await post(url, body, signed(body, **signing))


async def waiting_run(
    client: Client, worker: Worker, workspace: Path, policy: PolicySpec = POLICY
) -> tuple[WorkflowHandle[Any, Any], ApprovalRequest]:
    workspace.mkdir()
    spec = make_spec(workspace, policy=policy)
    handle = await start(client, spec, worker.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    return handle, request


async def test_a_signed_click_by_a_mapped_approver_approves(
    client: Client, worker: Worker, service_url: str, tmp_path: Path
) -> None:
    handle, request = await waiting_run(client, worker, tmp_path / "run")
    value = button_value(handle.id, request)

    response = await click(service_url, block_actions(ALICE, "overseer_approve", value))

    assert response.status_code == 200, response.text
    [approval] = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
    assert response.json() == {
        "replace_original": True,
        "text": f"Action {request.action_id} of run {handle.id} approved by alice "
        f"(event #{approval.seq}, signed by key approvals-test)",
    }
    assert approval.actor == "user:alice"
    assert "(signed by key approvals-test): approved from Slack by alice" in approval.detail
    assert approval.evidence == [request.action_id, request.args_sha256, "key:approvals-test"]
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    assert (tmp_path / "run/out/hello.txt").read_text() == "hello from the agent"


async def test_a_reject_click_rejects(
    client: Client, worker: Worker, service_url: str, tmp_path: Path
) -> None:
    handle, request = await waiting_run(client, worker, tmp_path / "run")
    value = button_value(handle.id, request)

    response = await click(service_url, block_actions(ALICE, "overseer_reject", value))

    assert response.status_code == 200, response.text
    assert f"{request.action_id} of run {handle.id} rejected by alice" in response.json()["text"]
    [rejection] = [e for e in await events(handle) if e.kind is EventKind.REJECTED]
    assert rejection.actor == "user:alice"
    assert rejection.detail.endswith("(signed by key approvals-test): rejected from Slack by alice")
    await handle.result()
    assert not (tmp_path / "run/out/hello.txt").exists()


async def test_the_groups_of_the_users_table_are_vouched_for(
    client: Client, worker: Worker, service_url: str, tmp_path: Path
) -> None:
    # No `groups:` map in the policy: membership of ops is what the service signs for.
    policy = POLICY.model_copy(update={"approvers": ["alice", "group:ops"]})
    handle, request = await waiting_run(client, worker, tmp_path / "run", policy)
    assert request.approver_groups == ["ops"]

    response = await click(
        service_url, block_actions(BOB, "overseer_approve", button_value(handle.id, request))
    )

    assert response.status_code == 200, response.text
    assert "approved by bob" in response.json()["text"]
    [approval] = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
    assert (approval.actor, approval.evidence[-1]) == ("user:bob", "key:approvals-test")
    assert (await handle.result()).state is RunState.COMPLETED


async def test_refused_clicks_decide_nothing_and_leave_no_trace(
    client: Client, worker: Worker, service_url: str, tmp_path: Path
) -> None:
    handle, request = await waiting_run(client, worker, tmp_path / "a")
    other, theirs = await waiting_run(client, worker, tmp_path / "b")
    good = block_actions(ALICE, "overseer_approve", button_value(handle.id, request))
    wrong_hash = button_value(handle.id, request, args_sha256="0" * 64)
    before = await events(handle)
    # Bob, who may not approve, replays Alice's signed click with his own user id.
    forged = form(good | {"user": {"id": ALICE, "name": "bob"}})

    refusals: list[tuple[httpx.Response, int, str]] = [
        (
            await click(service_url, good, secret="not-the-apps-secret"),
            401,
            "Slack's signature does not match the request; nothing was decided",
        ),
        (
            await post(service_url, forged, signed(form(good))),
            401,
            "Slack's signature does not match the request",
        ),
        (
            await click(service_url, good, timestamp=int(time.time()) - 6 * 60),
            401,
            "the request's timestamp is more than 300 seconds from now",
        ),
        (
            await post(service_url, form(good), {"x-slack-signature": "v0=00"}),
            401,
            "X-Slack-Request-Timestamp is missing or not a number",
        ),
        (
            await click(service_url, good | {"user": {"id": STRANGER}}),
            200,
            f"Not decided: Slack user {STRANGER} is not mapped to an Overseer identity",
        ),
        (
            await click(service_url, good | {"user": {"id": BOB}}),
            200,
            f"Not decided: bob may not decide action {request.short_id} (allowed: alice)",
        ),
        (
            await click(
                service_url,
                block_actions(ALICE, "overseer_approve", button_value(handle.id, theirs)),
            ),
            200,
            f"Not decided: run {handle.id} has no pending action {theirs.action_id!r}",
        ),
        (
            await click(
                service_url,
                block_actions(ALICE, "overseer_approve", wrong_hash),
            ),
            200,
            "Not decided: approve refused: ",
        ),
    ]
    for response, status, expected in refusals:
        assert response.status_code == status, response.text
        said = response.json().get("text") or response.json()["detail"]
        assert expected in said and "\n" not in said, said
        if status == 200:  # Slack shows it to the person who clicked, and no one else
            assert response.json()["response_type"] == "ephemeral"
    assert "does not match" in refusals[-1][0].json()["text"]  # the run refused the hash

    now = await snapshot(handle)
    assert (now.state, now.pending_approvals) == (RunState.WAITING_FOR_APPROVAL, [request])
    assert await events(handle) == before
    assert UPDATE_ACCEPTED not in await history_event_types(handle)
    assert UPDATE_ACCEPTED not in await history_event_types(other)
    for handle_ in (handle, other):
        await handle_.cancel()


def huge_payload() -> dict[str, Any]:
    value = json.dumps({"run_id": "r", "action_id": "r/1.1", "args_sha256": "a" * 64})
    return block_actions(ALICE, "overseer_approve", value, filler="x" * BODY_MAX_BYTES)


async def test_malformed_requests_are_one_line_errors(service_url: str) -> None:
    value = json.dumps({"run_id": "r", "action_id": "r/1.1", "args_sha256": "a" * 64})
    ok = block_actions(ALICE, "overseer_approve", value)
    cases: list[tuple[bytes, int, str]] = [
        (b"payload=not-json", 400, "payload is not JSON"),
        (b"just some text", 400, "the body is not a form-encoded Slack request"),
        (b"other=1", 400, "the body has no single `payload` field"),
        (form({k: v for k, v in ok.items() if k != "user"}), 400, "payload: user: Field required"),
        (form(ok | {"type": "view_submission"}), 400, "payload: type: Input should be"),
        (form(ok | {"actions": []}), 400, "payload: actions: List should have at least 1 item"),
        (
            form(block_actions(ALICE, "launch_missiles", value)),
            400,
            "payload: actions.0.action_id: Input should be 'overseer_approve' or",
        ),
        (
            form(block_actions(ALICE, "overseer_approve", "approve please")),
            400,
            "button value is not JSON",
        ),
        (
            form(block_actions(ALICE, "overseer_approve", json.dumps({"run_id": "r"}))),
            400,
            "button value: action_id: Field required (and 1 more)",
        ),
        (
            form(block_actions(ALICE, "overseer_approve", value.replace("a" * 64, "A" * 64))),
            400,
            "button value: args_sha256: String should match pattern",
        ),
        (
            form(block_actions(ALICE, "overseer_approve", value[:-1] + ',"approver":"root"}')),
            400,
            "button value: approver: Extra inputs are not permitted",
        ),
        (form(huge_payload()), 413, f"the body is larger than {BODY_MAX_BYTES} bytes"),
        (b"payload=\xff\xfe", 400, "the body is not UTF-8"),
    ]
    for body, status, expected in cases:
        response = await post(service_url, body, signed(body))
        assert response.status_code == status, (expected, response.text)
        detail = response.json()["detail"]
        assert detail.startswith(expected) and "\n" not in detail and len(detail) <= 300, detail


async def test_without_the_signing_secret_nothing_is_accepted(
    service_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    body = form(block_actions(ALICE, "overseer_approve", "{}"))
    response = await post(service_url, body, signed(body))
    assert response.status_code == 503
    assert response.json()["detail"] == (
        f"Slack callbacks need the app's signing secret in ${SECRET_ENV} "
        "(slack.signing_secret_env), and it is unset"
    )
