"""The approval desk: what is pending, what one action is, and deciding it as a person.

Shared by the JSON API, the web inbox and the Slack callbacks. The policy is checked here
(so a person learns at once that they may not decide) and again in the workflow, which
also verifies the service's signature; the service never trusts itself alone.
"""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from temporalio.client import Client

from approvals.identity import Identity
from contracts import search_attributes as sa
from contracts.approvals import ApprovalRequest, Decision, DecisionReceipt
from contracts.errors import OverseerError
from contracts.events import RunEvent
from contracts.redaction import redact
from contracts.snapshot import RunSnapshot
from starters.client.listing import WAITING_FOR_APPROVAL, quoted
from starters.client.runs import RunClient
from starters.client.signing import SigningKey

Verdict = Literal["approved", "rejected"]
# Snapshots queried at once when the inbox is refreshed.
QUERY_CONCURRENCY = 32
RECENT_EVENTS = 10
# A listing waits this long for a run's snapshot; a run that does not answer (its workers
# down) is left out of listings, and asked again after SILENT_RETRY_SECONDS.
LISTING_QUERY_SECONDS = 2.0
SILENT_RETRY_SECONDS = 60.0


class Forbidden(OverseerError):
    """The person may not decide this action under the run's policy."""


class NotFound(OverseerError):
    """No such run, or no such pending action."""


class PendingApproval(BaseModel):
    """One action waiting for a decision, as an approver sees it."""

    run_id: str
    agent: str
    goal: str
    requester: str
    request: ApprovalRequest
    # The arguments pretty-printed, with emails and API-key-like tokens redacted.
    args_pretty: str
    age_seconds: float

    @property
    def short_id(self) -> str:
        return self.request.short_id

    def eligible(self, identity: Identity) -> bool:
        return authorization_problem(identity, self.request, "approved") is None


class ActionDetail(PendingApproval):
    recent_events: list[RunEvent]


@dataclass
class _Cached:
    # The run's pending action ids as visibility lists them: the snapshot is good while
    # they are the same.
    pending: tuple[str, ...]
    snapshot: RunSnapshot


def authorization_problem(
    identity: Identity, request: ApprovalRequest, verdict: Verdict
) -> str | None:
    """Why this person may not decide this request, or None. The workflow checks the same."""
    if request.approvers or request.approver_groups:
        allowed = identity.user in request.approvers or bool(
            set(identity.groups) & set(request.approver_groups)
        )
        if not allowed:
            names = request.approvers + [f"group:{g}" for g in request.approver_groups]
            return (
                f"{identity.user} may not decide action {request.short_id} "
                f"(allowed: {', '.join(names)})"
            )
    if verdict == "approved" and identity.user == request.excluded_approver:
        return (
            f"{identity.user} requested this run and may not approve its actions (four-eyes policy)"
        )
    return None


class ApprovalDesk:
    def __init__(self, client: Client, signer: SigningKey) -> None:
        if signer.approver is not None:
            raise OverseerError(
                f"key {signer.key_id} is {signer.approver}'s personal key; the service signs "
                "with a service key (overseer keys new ID --service)"
            )
        self._client = client
        self._signer = signer
        # Snapshots by run id, reused while the run's listed pending actions are the same.
        self._cache: dict[str, _Cached] = {}
        # Runs that did not answer a listing's query in time (no worker serving them?): when
        # we asked, and what visibility listed then. Asked again after SILENT_RETRY_SECONDS,
        # or at once when their pending actions change, so they never slow every listing.
        self._silent: dict[str, tuple[float, tuple[str, ...]]] = {}

    @property
    def client(self) -> Client:
        return self._client

    async def pending(
        self,
        *,
        agent: str | None = None,
        requester: str | None = None,
        eligible_for: Identity | None = None,
    ) -> list[PendingApproval]:
        """Every action waiting for a decision, oldest first, optionally filtered."""
        now = datetime.now(UTC)
        snapshots = await self._waiting_snapshots(agent)
        items = [
            _pending(snapshot, request, now)
            for snapshot in snapshots
            for request in snapshot.pending_approvals
        ]
        if agent is not None:
            items = [item for item in items if item.agent == agent]
        if requester is not None:
            items = [item for item in items if item.requester == requester]
        if eligible_for is not None:
            items = [item for item in items if item.eligible(eligible_for)]
        return sorted(items, key=lambda item: item.request.requested_at)

    async def pending_in(self, run_id: str) -> list[PendingApproval]:
        """The actions of one run waiting for a decision (its own state: no listing lag)."""
        snapshot = await RunClient(self._client, run_id).snapshot()
        now = datetime.now(UTC)
        return [_pending(snapshot, request, now) for request in snapshot.pending_approvals]

    async def show(self, run_id: str, action_id: str) -> ActionDetail:
        run = RunClient(self._client, run_id)
        snapshot = await run.snapshot()
        request = _find(snapshot, action_id)
        after = max(0, snapshot.last_event_seq - RECENT_EVENTS)
        events = await run.events(after_seq=after, partial_ok=True)
        item = _pending(snapshot, request, datetime.now(UTC))
        return ActionDetail(**item.model_dump(), recent_events=events[-RECENT_EVENTS:])

    async def decide(
        self,
        identity: Identity,
        run_id: str,
        action_id: str,
        verdict: Verdict,
        *,
        args_sha256: str,
        reason: str = "",
        edited_args: dict[str, object] | None = None,
    ) -> DecisionReceipt:
        """Decide as this person: checked against the policy, signed, sent to the run."""
        run = RunClient(self._client, run_id)
        request = _find(await run.snapshot(), action_id)
        if problem := authorization_problem(identity, request, verdict):
            raise Forbidden(problem)
        decision = Decision(
            action_id=request.action_id,
            args_sha256=args_sha256,
            approver=identity.user,
            reason=reason,
            edit=edited_args is not None,
            edited_args=edited_args,
        )
        # Only the groups that matter to this request are vouched for: the signature stays
        # small whatever the identity provider puts in a token.
        groups = sorted(set(identity.groups) & set(request.approver_groups))
        signed = self._signer.sign(decision, verdict, request, groups=groups)
        receipt = await run.decide("approve" if verdict == "approved" else "reject", signed)
        self._cache.pop(run_id, None)
        return receipt

    async def _waiting_snapshots(self, agent: str | None) -> list[RunSnapshot]:
        query = WAITING_FOR_APPROVAL
        if agent is not None:  # filtered by visibility: other agents' runs are not asked
            query += f" AND {sa.AGENT.name} = {quoted(agent)}"
        waiting: dict[str, tuple[str, ...]] = {}
        async for execution in self._client.list_workflows(query):
            pending = execution.typed_search_attributes.get(sa.PENDING_ACTIONS) or []
            waiting[execution.id] = tuple(pending)
        if agent is None:  # a whole listing: what is not listed any more is gone
            for gone in set(self._cache) - set(waiting):
                del self._cache[gone]
        clock = time.monotonic()
        stale = [
            run_id
            for run_id, pending in waiting.items()
            if ((cached := self._cache.get(run_id)) is None or cached.pending != pending)
            and not self._still_silent(run_id, pending, clock)
        ]
        limit = asyncio.Semaphore(QUERY_CONCURRENCY)

        async def refresh(run_id: str) -> None:
            async with limit:
                try:
                    snapshot = await asyncio.wait_for(
                        RunClient(self._client, run_id).snapshot(), LISTING_QUERY_SECONDS
                    )
                except TimeoutError:
                    self._silent[run_id] = (time.monotonic(), waiting[run_id])
                    return
                except OverseerError:
                    return  # ended between the listing and the query
                self._silent.pop(run_id, None)
                self._cache[run_id] = _Cached(waiting[run_id], snapshot)

        await asyncio.gather(*(refresh(run_id) for run_id in stale))
        return [self._cache[run_id].snapshot for run_id in waiting if run_id in self._cache]

    def _still_silent(self, run_id: str, pending: tuple[str, ...], clock: float) -> bool:
        silent = self._silent.get(run_id)
        return (
            silent is not None and silent[1] == pending and clock - silent[0] < SILENT_RETRY_SECONDS
        )


def _find(snapshot: RunSnapshot, action_id: str) -> ApprovalRequest:
    for request in snapshot.pending_approvals:
        if action_id in (request.action_id, request.short_id):
            return request
    pending = ", ".join(r.short_id for r in snapshot.pending_approvals) or "none"
    raise NotFound(
        f"run {snapshot.run_id} has no pending action {action_id!r} (pending: {pending})"
    )


def _pending(snapshot: RunSnapshot, request: ApprovalRequest, now: datetime) -> PendingApproval:
    return PendingApproval(
        run_id=snapshot.run_id,
        agent=snapshot.agent,
        goal=snapshot.goal,
        requester=snapshot.requester,
        request=request,
        args_pretty=redact(json.dumps(request.args, indent=2, ensure_ascii=False)),
        age_seconds=max(0.0, (now - request.requested_at).total_seconds()),
    )
