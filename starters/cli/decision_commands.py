"""A human's decisions from the terminal: approve and reject, signed with a personal key
when one is given, and `overseer keys` to make such a key."""

import argparse
import os
from pathlib import Path

from contracts.errors import OverseerError
from contracts.text import clip
from starters.cli.pipeline_commands import decide as decide_in_pipeline
from starters.cli.render import printable
from starters.client.connection import connect
from starters.client.pipelines import is_pipeline
from starters.client.runs import RunClient
from starters.client.signing import SigningKey, default_keys_dir

SIGNING_KEY_VARIABLE = "OVERSEER_SIGNING_KEY"


def signer_for(args: argparse.Namespace) -> SigningKey | None:
    """The personal key to sign with (--key, else $OVERSEER_SIGNING_KEY), checked against
    --as: a key signs for its owner only. Sets args.user from the key when --as is absent."""
    path = args.key or os.environ.get(SIGNING_KEY_VARIABLE)
    if not path:
        if args.user is None:
            raise OverseerError("say who decides: --as USER (or sign with --key KEY_FILE)")
        return None
    key = SigningKey.load(Path(path))
    if key.approver is None:
        raise OverseerError(
            f"key {key.key_id} ({path}) is a service key: sign with your personal key"
        )
    if args.user is None:
        args.user = key.approver
    elif args.user != key.approver:
        raise OverseerError(f"key {key.key_id} ({path}) is {key.approver}'s, not {args.user}'s")
    return key


async def _decide(args: argparse.Namespace, verdict: str) -> int:
    args.signer = signer_for(args)
    client = await connect()
    if await is_pipeline(client, args.run):  # goes to the child waiting for the action
        return await decide_in_pipeline(client, args, verdict)
    run = RunClient(client, args.run)
    request = await run.pending(args.action)
    receipt = await run.decide_reviewed(
        "approve" if verdict == "approved" else "reject",
        request,
        approver=args.user,
        reason=args.reason,
        reviewed_sha256=args.sha256,
        signer=args.signer,
    )
    signed = f", signed by key {receipt.key_id}" if receipt.key_id else ""
    print(
        f"{receipt.verdict} action {request.short_id} "
        f"({request.tool} {printable(clip(request.args_json, 120))}) "
        f"of run {args.run} as {receipt.approver} (event #{receipt.event_seq}{signed})"
    )
    return 0


async def cmd_approve(args: argparse.Namespace) -> int:
    return await _decide(args, "approved")


async def cmd_reject(args: argparse.Namespace) -> int:
    return await _decide(args, "rejected")


async def cmd_keys_new(args: argparse.Namespace) -> int:
    path = args.out or default_keys_dir() / f"{args.key_id}.json"
    key = SigningKey.generate(args.key_id, None if args.service else args.user)
    key.save(path)
    kind = "service" if args.service else "personal"
    print(f"wrote {kind} key {key.key_id} to {path} (mode 0600)")
    print("trust it in the agent's policy:")
    print(indented(key.policy_entry()))
    if not args.service:
        print(f"then: overseer approve RUN --key {path}")
        print(f"  (or export {SIGNING_KEY_VARIABLE}={path})")
    return 0


async def cmd_keys_show(args: argparse.Namespace) -> int:
    key = SigningKey.load(args.path)
    print(indented(key.policy_entry()))
    return 0


def indented(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
