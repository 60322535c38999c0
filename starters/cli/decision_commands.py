"""A human's decisions from the terminal: approve and reject, signed with a personal key
when one is given, or sent through the approval service (OVERSEER_APPROVALS_URL) as the
person its token names; and `overseer keys` to make such a key."""

import argparse
import os
from pathlib import Path

from contracts.approval_api import ApprovalView, ApproveBody, RejectBody
from contracts.errors import OverseerError
from contracts.text import clip
from starters.cli.pipeline_commands import decide as decide_in_pipeline
from starters.cli.render import printable
from starters.client.approval_service import TOKEN_VARIABLE, URL_VARIABLE, ApprovalService
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
    if url := os.environ.get(URL_VARIABLE):
        return await _decide_through_service(args, verdict, url)
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


async def _decide_through_service(args: argparse.Namespace, verdict: str, url: str) -> int:
    """The decision as the approval service's token names you, signed by the service."""
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise OverseerError(
            f"{URL_VARIABLE} is set, so decisions go through the approval service: set "
            f"{TOKEN_VARIABLE} to your API token (or your identity provider's token)"
        )
    if args.key:
        raise OverseerError(
            f"--key signs the decision yourself, but {URL_VARIABLE} sends it through the "
            "approval service, which signs it: use one of them"
        )
    async with ApprovalService(url, token) as service:
        me = await service.me()
        if args.user is not None and args.user != me.user:
            raise OverseerError(
                f"the approval service knows your token as {me.user}, not {args.user}: "
                "leave out --as (the token says who you are)"
            )
        action = await _service_action(service, args.run, args.action)
        if args.sha256 and args.sha256 != action.args_sha256:
            raise OverseerError(
                f"action {action.action_id} is not what you reviewed: its sha256 is "
                f"{action.args_sha256}, not {args.sha256}"
            )
        sha256 = args.sha256 or action.args_sha256
        if verdict == "approved":
            body: RejectBody = ApproveBody(args_sha256=sha256, reason=args.reason)
        else:
            body = RejectBody(args_sha256=sha256, reason=args.reason)
        receipt = await service.decide(
            args.run, action.short_id, "approve" if verdict == "approved" else "reject", body
        )
    signed = f", signed by key {receipt.key_id}" if receipt.key_id else ""
    print(
        f"{receipt.verdict} action {action.short_id} ({action.tool}) of run {args.run} "
        f"as {receipt.approver} via {service.url} (event #{receipt.event_seq}{signed})"
    )
    return 0


async def _service_action(
    service: ApprovalService, run_id: str, action_id: str | None
) -> ApprovalView:
    """The pending action named, or the run's only one, as the service shows it."""
    pending = await service.run_actions(run_id)
    if action_id is not None:
        for view in pending:
            if action_id in (view.action_id, view.short_id):
                return view
        ids = ", ".join(view.short_id for view in pending) or "none"
        raise OverseerError(f"run {run_id} has no pending action {action_id!r} (pending: {ids})")
    if len(pending) != 1:
        ids = ", ".join(view.short_id for view in pending)
        raise OverseerError(
            f"run {run_id} has no pending approval"
            if not pending
            else f"run {run_id} has several pending actions: name one of {ids}"
        )
    return pending[0]


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
