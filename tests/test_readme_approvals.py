"""The README's "Approving from the browser, chat and your identity provider": its policy
loads as written (with real keys in place of the placeholders) and its commands, run in
order in a fresh directory, approve two runs: one through the service as the token's user,
one with a personal key."""

import asyncio
import os
import re
import shlex
import shutil
import socket
from pathlib import Path
from typing import Any

import httpx
import yaml
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.spec import PolicySpec, RunSpec
from contracts.states import RunState
from starters.client.signing import SigningKey
from tests.conftest import venv_binary
from tests.helpers import closed, events, make_spec, start, wait_for_state

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Approving from the browser, chat and your identity provider"


def _section() -> str:
    readme = (REPO / "README.md").read_text()
    start_at = readme.index(SECTION)
    return readme[start_at : readme.index("\n## ", start_at + 1)]


def _block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", _section(), re.DOTALL)
    assert found is not None, f"no {language} block in the README's section"
    return found.group(1)


def readme_commands() -> list[str]:
    return [line.split("  #")[0].strip() for line in _block("sh").splitlines() if line.strip()]


def test_the_policy_example_loads() -> None:
    keys = {
        name: SigningKey.generate(name, None).public_key.removeprefix("ed25519:")
        for name in ("SERVICE_KEY", "NEXT_KEY", "ALICE_KEY")
    }
    text = _block("yaml")
    for placeholder, key in keys.items():
        text = text.replace(placeholder, key)
    agent = yaml.safe_load(text)
    policy = PolicySpec.model_validate(agent["policy"])
    assert policy.require_signed_decisions and len(policy.decision_keys) == 3
    assert policy.decision_keys["alice-laptop"].approver == "alice"
    assert [hook.format for hook in policy.notify] == ["json", "slack"]
    spec = make_spec(Path("."), policy=policy, secrets=agent["secrets"])
    assert RunSpec.model_validate(spec.model_dump()).policy == policy


async def _run(env: dict[str, str], line: str, cwd: Path) -> str:
    # `~` as a shell would expand it, with this command's HOME.
    argv = [env["HOME"] + part[1:] if part.startswith("~/") else part for part in shlex.split(line)]
    assert argv[0] == "overseer", line
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        *argv[1:],
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, f"{line}: {err.decode()}"
    return out.decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _waiting_run(client: Client, worker: Worker, folder: Path, policy: PolicySpec) -> Any:
    folder.mkdir()
    handle = await start(client, make_spec(folder, policy=policy), worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
    return handle


async def test_the_commands_approve_through_the_service_and_with_a_personal_key(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    commands = readme_commands()
    shapes = ["overseer keys new", "overseer approvals token add", "overseer approvals serve",
              "export OVERSEER_APPROVALS_URL=", "overseer approve RUN", "overseer keys new",
              "overseer approve RUN --key"]  # fmt: skip
    assert len(commands) == len(shapes), commands
    assert all(c.startswith(shape) for c, shape in zip(commands, shapes, strict=True)), commands
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "deploy").mkdir()
    shutil.copy(REPO / "deploy" / "approvals.yaml", tmp_path / "deploy")
    port = _free_port()
    base = f"http://localhost:{port}"
    cli = {
        **os.environ,
        "HOME": str(home),
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    cli.pop("XDG_CONFIG_HOME", None)
    made = await _run(cli, commands[0], tmp_path)
    assert "decision_keys:" in made
    token_out = await _run(cli, commands[1], tmp_path)
    token = re.search(r"ovr_[A-Za-z0-9_-]+", token_out)
    assert token is not None, token_out
    service = SigningKey.load(tmp_path / "deploy" / "approvals-key.json")

    serve = [*shlex.split(commands[2]), "--port", str(port)]
    server = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        *serve[1:],
        env=cli,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30), httpx.AsyncClient() as http:
            while True:  # each try is a round trip; the timeout bounds the wait
                try:
                    if (await http.get(f"{base}/login")).status_code == 200:
                        break
                except httpx.TransportError:
                    assert server.returncode is None, "the service stopped"
        policy = PolicySpec(
            approvers=["alice"],
            require_signed_decisions=True,
            decision_keys={service.key_id: {"public_key": service.public_key}},
        )
        via_service = await _waiting_run(client, worker, tmp_path / "a", policy)
        exported = shlex.split(commands[3].removeprefix("export "))
        variables = dict(item.split("=", 1) for item in exported)
        assert variables["OVERSEER_APPROVALS_TOKEN"] == "ovr_..."
        variables["OVERSEER_APPROVALS_TOKEN"] = token.group(0)
        variables["OVERSEER_APPROVALS_URL"] = base
        approved = await _run(
            {**cli, **variables}, commands[4].replace("RUN", via_service.id), tmp_path
        )
        assert "as alice" in approved
        _, final = await closed(via_service)
        assert final.state is RunState.COMPLETED
        [decision] = [e for e in await events(via_service) if e.kind is EventKind.APPROVED]
        assert decision.actor == "user:alice" and f"key:{service.key_id}" in decision.evidence
    finally:
        server.terminate()
        await server.wait()

    await _run(cli, commands[5], tmp_path)
    personal = SigningKey.load(home / ".config" / "overseer" / "keys" / "alice-laptop.json")
    policy = PolicySpec(
        approvers=["alice"],
        require_signed_decisions=True,
        decision_keys={personal.key_id: {"public_key": personal.public_key, "approver": "alice"}},
    )
    by_key = await _waiting_run(client, worker, tmp_path / "b", policy)
    await _run(cli, commands[6].replace("RUN", by_key.id), tmp_path)
    _, final = await closed(by_key)
    assert final.state is RunState.COMPLETED
