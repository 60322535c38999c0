"""A terminal approver with a personal key: `overseer keys new`, then `overseer approve --key`.

The run's policy trusts the key for its owner only and requires signed decisions, so the
same command without the key, or as someone else, is refused.
"""

import asyncio
import json
import stat
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.signing import DecisionKey
from contracts.spec import PolicySpec
from contracts.states import RunState
from starters.client.signing import SigningKey
from tests.helpers import closed, events, make_spec, start, wait_for_state
from tests.test_cli import cli_env, overseer

__all__ = ["cli_env"]  # the fixture, used by name


async def test_keys_new_then_approve_with_the_key(
    client: Client, worker: Worker, cli_env: dict[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "alice-laptop.json"
    made = overseer(cli_env, "keys", "new", "alice-laptop", "--as", "alice", "--out", str(key_file))
    assert made.returncode == 0, made.stderr
    key = SigningKey.load(key_file)
    assert key.approver == "alice" and key.public_key in made.stdout
    assert "decision_keys:" in made.stdout and 'approver: "alice"' in made.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = overseer(
        cli_env, "keys", "new", "alice-laptop", "--as", "alice", "--out", str(key_file)
    )
    assert again.returncode != 0 and "never overwritten" in again.stderr
    shown = overseer(cli_env, "keys", "show", str(key_file))
    assert key.public_key in shown.stdout

    policy = PolicySpec(
        approvers=["alice", "bob"],
        require_signed_decisions=True,
        decision_keys={key.key_id: DecisionKey(public_key=key.public_key, approver="alice")},
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    handle = await start(client, make_spec(workspace, policy=policy), worker.task_queue)
    await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)

    # In a thread: the worker runs on this test's event loop.
    unsigned = await asyncio.to_thread(overseer, cli_env, "approve", handle.id, "--as", "alice")
    assert unsigned.returncode != 0
    assert unsigned.stderr.count("\n") == 1 and "unsigned" in unsigned.stderr
    as_bob = await asyncio.to_thread(
        overseer, cli_env, "approve", handle.id, "--as", "bob", "--key", str(key_file)
    )
    assert as_bob.returncode != 0 and "is alice's, not bob's" in as_bob.stderr

    approved = await asyncio.to_thread(
        overseer,
        cli_env,
        "approve",
        handle.id,
        "--key",
        str(key_file),
        "--reason",
        "checked the diff",
    )
    assert approved.returncode == 0, approved.stderr
    assert "as alice" in approved.stdout and "signed by key alice-laptop" in approved.stdout
    _, final = await closed(handle)
    assert final.state == RunState.COMPLETED
    [decision] = [e for e in await events(handle) if e.kind == EventKind.APPROVED]
    assert decision.actor == "user:alice" and "key:alice-laptop" in decision.evidence


def test_a_broken_or_service_key_file_is_refused_in_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"key_id": "x", "private_key": "ed25519-private:short"}))
    result = overseer(cli_env, "approve", "some-run", "--key", str(broken))
    assert result.returncode != 0 and result.stderr.count("\n") == 1
    assert "private_key" in result.stderr
    service = tmp_path / "service.json"
    assert (
        overseer(cli_env, "keys", "new", "svc", "--service", "--out", str(service)).returncode == 0
    )
    result = overseer(cli_env, "approve", "some-run", "--key", str(service))
    assert result.returncode != 0 and "is a service key" in result.stderr
    missing = overseer(cli_env, "approve", "some-run", "--key", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and "cannot read key file" in missing.stderr
