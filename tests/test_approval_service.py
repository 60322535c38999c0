"""The approval service's JSON API and the CLI through it, against real runs that require
decisions signed by the service's key: a person decides as their token says they are, the
policy is checked in the service and again in the run, and a refusal leaves no trace."""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from approvals.app import create_app
from approvals.config import ServiceConfig
from approvals.tokens import TokenBook, add_token
from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.spec import PolicySpec
from contracts.states import RunState
from starters.client.signing import SigningKey
from tests.approval_service_helpers import serving
from tests.conftest import venv_binary
from tests.helpers import (
    UPDATE_ACCEPTED,
    events,
    history_event_types,
    make_spec,
    snapshot,
    start,
    wait_for_state,
)
from workers.worker import build_worker

OVERSEER = venv_binary("overseer")
AGENT = f"svc-{uuid.uuid4().hex[:8]}"
# gina is in no member list: her token's group makes her an approver.
PEOPLE: dict[str, list[str]] = {
    "olga": [],
    "rita": [],
    "audrey": [],
    "mallory": [],
    "gina": ["ops"],
}


@dataclass
class Service:
    url: str
    tokens: dict[str, str]
    key_id: str
    policy: PolicySpec
    task_queue: str
    config_file: Path

    def http(self, user: str | None) -> httpx.AsyncClient:
        headers = {"authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


@pytest_asyncio.fixture(scope="module")
async def service(
    env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:
    """One worker and one service for the module; runs trust only the service's key."""
    tmp = tmp_path_factory.mktemp("service")
    key = SigningKey.generate(f"approvals-{uuid.uuid4().hex[:6]}", None)
    key.save(tmp / "service-key.json")
    tokens = {user: add_token(tmp / "tokens.yaml", user, groups) for user, groups in PEOPLE.items()}
    config_file = tmp / "approvals.yaml"
    config_file.write_text("signing_key: service-key.json\ntokens_file: tokens.yaml\n")
    policy = PolicySpec.model_validate(
        {
            "version": "svc-1",
            "approvers": ["group:ops", "audrey"],
            "groups": {"ops": ["olga", "rita"]},
            "four_eyes": True,
            "decision_keys": {key.key_id: key.public_key},
            "require_signed_decisions": True,
        }
    )
    config = ServiceConfig.model_validate(
        {"signing_key": str(tmp / "service-key.json"), "tokens_file": str(tmp / "tokens.yaml")}
    )
    task_queue = f"test-{uuid.uuid4().hex[:12]}"
    async with (
        build_worker(env.client, task_queue),
        serving(create_app(config, client=env.client)) as url,
    ):
        yield Service(url, tokens, key.key_id, policy, task_queue, config_file)


async def waiting_run(
    env: WorkflowEnvironment, service: Service, workspace: Path
) -> tuple[WorkflowHandle[Any, Any], str, str]:
    """A run waiting for approval of write_file; its handle, short action id and hash."""
    spec = make_spec(workspace, agent=AGENT, policy=service.policy)
    handle = await start(env.client, spec, service.task_queue)
    [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
    assert request.signed_only
    return handle, request.short_id, request.args_sha256


def action_path(handle: WorkflowHandle[Any, Any], short_id: str) -> str:
    return f"/api/runs/{handle.id}/actions/{short_id}"


async def listed(service: Service, user: str, run_id: str, within: float = 20.0) -> list[str]:
    """The run ids user's eligible list shows, once run_id is listed for olga (visibility
    lags the run)."""
    deadline = time.monotonic() + within
    async with service.http("olga") as http:
        while True:
            answer = await http.get("/api/approvals", params={"agent": AGENT, "eligible": True})
            assert answer.status_code == 200, answer.text
            if run_id in {item["run_id"] for item in answer.json()}:
                break
            assert time.monotonic() < deadline, f"{run_id} never listed"
            await asyncio.sleep(0.1)  # polls the listing against the deadline above
    async with service.http(user) as http:
        answer = await http.get("/api/approvals", params={"agent": AGENT, "eligible": True})
    return [item["run_id"] for item in answer.json()]


async def test_a_person_approves_through_the_api_and_the_tool_runs(
    env: WorkflowEnvironment, service: Service, tmp_path: Path
) -> None:
    handle, short_id, sha256 = await waiting_run(env, service, tmp_path)
    async with service.http("olga") as http:
        shown = await http.get(action_path(handle, short_id))
        assert shown.status_code == 200, shown.text
        detail = shown.json()
        assert (detail["tool"], detail["args_sha256"], detail["requester"]) == (
            "write_file",
            sha256,
            "rita",
        )
        assert '"content": "hello from the agent"' in detail["args_pretty"]
        assert detail["eligible"] is True
        assert detail["recent_events"][-1]["to_state"] == RunState.WAITING_FOR_APPROVAL

        assert handle.id in await listed(service, "olga", handle.id)
        assert handle.id not in await listed(service, "mallory", handle.id)

        answer = await http.post(
            f"{action_path(handle, short_id)}/approve",
            json={"args_sha256": sha256, "reason": "looks right"},
        )
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert (receipt["verdict"], receipt["approver"], receipt["key_id"]) == (
        "approved",
        "olga",
        service.key_id,
    )
    result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    assert (tmp_path / "out/hello.txt").read_text() == "hello from the agent"
    [approved] = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
    assert approved.actor == "user:olga"
    assert f"(signed by key {service.key_id}): looks right" in approved.detail


async def test_refusals_leave_the_run_unchanged(
    env: WorkflowEnvironment, service: Service, tmp_path: Path
) -> None:
    handle, short_id, sha256 = await waiting_run(env, service, tmp_path)
    path = action_path(handle, short_id)
    before = await history_event_types(handle)
    good = {"args_sha256": sha256}
    cases: list[tuple[str | None, str, Any, int, str]] = [
        (None, f"{path}/approve", good, 401, "no credentials"),
        ("mallory", f"{path}/approve", good, 403, f"mallory may not decide action {short_id}"),
        ("rita", f"{path}/approve", good, 403, "four-eyes policy"),
        ("olga", f"{path}/approve", {"args_sha256": "0" * 64}, 409, "does not match"),
        ("olga", f"{action_path(handle, '9.9')}/approve", good, 404, "no pending action '9.9'"),
        ("olga", "/api/runs/no-such-run/actions/2.1/approve", good, 404, "no run 'no-such-run'"),
        ("olga", f"{path}/approve", {**good, "approver": "audrey"}, 422, "body.approver: Extra"),
        ("olga", f"{path}/approve", {"reason": "x"}, 422, "body.args_sha256: Field required"),
        ("olga", f"{path}/reject", {**good, "edited_args": {}}, 422, "body.edited_args: Extra"),
        ("olga", f"{path}/approve", {**good, "reason": "x" * 600_000}, 413, "larger than"),
    ]
    for user, url, body, status, expected in cases:
        async with service.http(user) as http:
            answer = await http.post(url, json=body)
        assert (answer.status_code, list(answer.json())) == (status, ["error"]), answer.text
        assert expected in answer.json()["error"], (expected, answer.text)
    assert await history_event_types(handle) == before
    assert UPDATE_ACCEPTED not in before
    assert (await snapshot(handle)).state is RunState.WAITING_FOR_APPROVAL

    # gina's token says she is in ops; the service vouches for that group in its signature.
    edited = {"path": "out/edited.txt", "content": "edited by gina"}
    async with service.http("gina") as http:
        answer = await http.post(f"{path}/approve", json={**good, "edited_args": edited})
        assert answer.status_code == 200, answer.text
        assert answer.json()["approver"] == "gina"
        again = await http.post(f"{path}/approve", json=good)
    assert again.status_code == 404 and "pending: none" in again.json()["error"]
    await handle.result()
    assert (tmp_path / "out/edited.txt").read_text() == "edited by gina"


async def test_a_rejection_reaches_the_run(
    env: WorkflowEnvironment, service: Service, tmp_path: Path
) -> None:
    handle, short_id, sha256 = await waiting_run(env, service, tmp_path)
    # Four-eyes binds approvals: the requester may still say no.
    async with service.http("rita") as http:
        answer = await http.post(
            f"{action_path(handle, short_id)}/reject",
            json={"args_sha256": sha256, "reason": "not today"},
        )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["verdict"], answer.json()["approver"]) == ("rejected", "rita")
    await handle.result()
    assert not (tmp_path / "out/hello.txt").exists()
    [rejected] = [e for e in await events(handle) if e.kind is EventKind.REJECTED]
    assert rejected.actor == "user:rita" and service.key_id in rejected.detail


async def overseer(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    # A subprocess on the event loop: the service it calls is served by this same loop.
    process = await asyncio.create_subprocess_exec(
        OVERSEER, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_cli_decides_through_the_service_as_the_tokens_user(
    env: WorkflowEnvironment, service: Service, tmp_path: Path
) -> None:
    handle, short_id, _ = await waiting_run(env, service, tmp_path)
    # No Temporal for this CLI: it reaches the run only through the service.
    cli = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:9", "OVERSEER_APPROVALS_URL": service.url}
    code, _, err = await overseer("approve", handle.id, env=cli)
    assert (code, err.count("\n")) == (1, 1)
    assert "set OVERSEER_APPROVALS_TOKEN" in err
    cli["OVERSEER_APPROVALS_TOKEN"] = service.tokens["audrey"]
    code, _, err = await overseer("approve", handle.id, "--as", "olga", env=cli)
    assert (code, err.count("\n")) == (1, 1)
    assert "knows your token as audrey, not olga" in err
    cli["OVERSEER_APPROVALS_TOKEN"] = "ovr_" + "x" * 40
    code, _, err = await overseer("approve", handle.id, env=cli)
    assert (code, err.count("\n")) == (1, 1)
    assert "HTTP 401 Unauthorized: the API token is not known" in err
    assert (await snapshot(handle)).state is RunState.WAITING_FOR_APPROVAL

    cli["OVERSEER_APPROVALS_TOKEN"] = service.tokens["audrey"]
    code, out, err = await overseer("approve", handle.id, "--reason", "ok by me", env=cli)
    assert code == 0, err
    assert out.startswith(f"approved action {short_id} (write_file) of run {handle.id} as audrey")
    assert f"signed by key {service.key_id})" in out
    await handle.result()
    [approved] = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
    assert approved.actor == "user:audrey"


async def test_openapi_describes_the_routes(service: Service) -> None:
    async with service.http(None) as http:
        described = (await http.get("/openapi.json")).json()
    assert {
        "/api/me",
        "/api/approvals",
        "/api/runs/{run_id}/actions",
        "/api/runs/{run_id}/actions/{action_id}",
        "/api/runs/{run_id}/actions/{action_id}/approve",
        "/api/runs/{run_id}/actions/{action_id}/reject",
    } <= set(described["paths"])
    approve = described["paths"]["/api/runs/{run_id}/actions/{action_id}/approve"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(approve["responses"])
    assert described["components"]["schemas"]["ApproveBody"]["additionalProperties"] is False


async def test_token_add_and_serve_errors(service: Service, tmp_path: Path) -> None:
    cli = dict(os.environ)
    tokens = tmp_path / "tokens.yaml"
    code, out, err = await overseer(
        "approvals", "token", "add", "bob", "--groups", "ops,payments", "--file", str(tokens),
        env=cli,
    )  # fmt: skip
    assert code == 0, err
    token = out.splitlines()[1]
    identity = TokenBook(tokens).identify(token)
    assert (identity.user, identity.groups) == ("bob", ("ops", "payments"))
    assert token not in tokens.read_text()  # only its hash is kept

    code, _, err = await overseer(
        "approvals", "token", "add", "bob", "--groups", "has blank", "--file", str(tokens), env=cli
    )
    assert (code, err.count("\n")) == (1, 1)
    assert "--groups: groups.0: a name has no blanks" in err

    code, _, err = await overseer("approvals", "serve", "--config", "nope.yaml", env=cli)
    assert (code, err.count("\n")) == (1, 1)
    assert "nope.yaml" in err

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, _, err = await overseer(
            "approvals", "serve", "--config", str(service.config_file), "--port", port, env=cli
        )
    assert (code, err.count("\n")) == (1, 1)
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in err
