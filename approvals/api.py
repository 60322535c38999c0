"""The JSON API under /api: pending approvals, one action, approve / reject, who am I.

Every route authenticates the caller from credentials (approvals.auth); every refusal is a
one-line {"error": "..."} with the status saying whose it is: 401 who are you, 403 the
policy says no, 404 no such run or action, 409 the run refused (already decided, another
hash), 413 body too large, 422 malformed request, 503 the identity provider's keys are
unavailable.
"""

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from approvals.desk import ApprovalDesk, Forbidden, NotFound, PendingApproval, Verdict
from approvals.identity import Identity, NotAuthenticated
from approvals.jwks import KeysUnavailable
from contracts.approval_api import (
    ActionView,
    ApiError,
    ApprovalView,
    ApproveBody,
    RejectBody,
    WhoAmI,
)
from contracts.approvals import DecisionReceipt
from contracts.errors import OverseerError, one_line, validation_problem
from contracts.limits import ACTOR_ID_MAX_CHARS, NAME_MAX_CHARS
from contracts.redaction import redact

PREFIX = "/api"
# A decision body is a hash, a reason and at most 64 KiB of edited arguments (as compact
# JSON; pretty-printed it may be a few times that).
BODY_MAX_BYTES = 512 * 1024
T = TypeVar("T")


class ApiProblem(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _desk(request: Request) -> ApprovalDesk:
    desk: ApprovalDesk = request.app.state.service.desk
    return desk


async def caller(request: Request) -> Identity:
    """The authenticated person; 401 (with a Bearer challenge) when there is none."""
    try:
        identity: Identity = await request.app.state.service.authenticator.identify(request)
        return identity
    except NotAuthenticated as error:
        raise ApiProblem(401, str(error), {"WWW-Authenticate": "Bearer"}) from None
    except KeysUnavailable as error:
        raise ApiProblem(503, str(error)) from None


Caller = Annotated[Identity, Depends(caller)]
Desk = Annotated[ApprovalDesk, Depends(_desk)]
RunId = Annotated[str, PathParam(min_length=1, max_length=NAME_MAX_CHARS)]
ActionId = Annotated[str, PathParam(min_length=1, max_length=NAME_MAX_CHARS)]
REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiError, "description": what}
    for status, what in {
        401: "not authenticated",
        403: "the run's policy does not let the caller decide",
        404: "no such run, or no such pending action",
        409: "the run refused the decision",
        422: "malformed request",
    }.items()
}

router = APIRouter(prefix=PREFIX, tags=["approvals"], responses=REFUSALS)


@router.get("/me", response_model=WhoAmI, summary="Who the service thinks you are")
async def me(identity: Caller) -> WhoAmI:
    return WhoAmI(user=identity.user, groups=list(identity.groups), via=identity.via)


@router.get("/approvals", response_model=list[ApprovalView], summary="Pending approvals")
async def approvals(
    identity: Caller,
    desk: Desk,
    agent: Annotated[str | None, Query(max_length=NAME_MAX_CHARS)] = None,
    requester: Annotated[str | None, Query(max_length=ACTOR_ID_MAX_CHARS)] = None,
    eligible: Annotated[bool, Query(description="only what you may approve")] = False,
) -> list[ApprovalView]:
    """Every action waiting for a decision, oldest first."""
    items = await desk.pending(
        agent=agent, requester=requester, eligible_for=identity if eligible else None
    )
    return [view(item, identity) for item in items]


@router.get(
    "/runs/{run_id}/actions", response_model=list[ApprovalView], summary="A run's pending actions"
)
async def run_actions(identity: Caller, desk: Desk, run_id: RunId) -> list[ApprovalView]:
    items = await _refusals_mapped(run_id, desk.pending_in(run_id))
    return [view(item, identity) for item in items]


@router.get(
    "/runs/{run_id}/actions/{action_id}", response_model=ActionView, summary="One pending action"
)
async def action(identity: Caller, desk: Desk, run_id: RunId, action_id: ActionId) -> ActionView:
    """The action (an id like 2.1, or in full), with the run's recent events."""
    detail = await _refusals_mapped(run_id, desk.show(run_id, action_id))
    return ActionView(**view(detail, identity).model_dump(), recent_events=detail.recent_events)


@router.post(
    "/runs/{run_id}/actions/{action_id}/approve",
    response_model=DecisionReceipt,
    summary="Approve (or approve with edited arguments)",
)
async def approve(
    identity: Caller, desk: Desk, run_id: RunId, action_id: ActionId, body: ApproveBody
) -> DecisionReceipt:
    return await _decide(desk, identity, run_id, action_id, "approved", body)


@router.post(
    "/runs/{run_id}/actions/{action_id}/reject",
    response_model=DecisionReceipt,
    summary="Reject (the model is told why)",
)
async def reject(
    identity: Caller, desk: Desk, run_id: RunId, action_id: ActionId, body: RejectBody
) -> DecisionReceipt:
    return await _decide(desk, identity, run_id, action_id, "rejected", body)


async def _decide(
    desk: ApprovalDesk,
    identity: Identity,
    run_id: str,
    action_id: str,
    verdict: Verdict,
    body: RejectBody,
) -> DecisionReceipt:
    edited = body.edited_args if isinstance(body, ApproveBody) else None
    return await _refusals_mapped(
        run_id,
        desk.decide(
            identity,
            run_id,
            action_id,
            verdict,
            args_sha256=body.args_sha256,
            reason=body.reason,
            edited_args=edited,
        ),
    )


async def _refusals_mapped(run_id: str, pending: Awaitable[T]) -> T:
    try:
        return await pending
    except Forbidden as error:
        raise ApiProblem(403, str(error)) from None
    except NotFound as error:
        raise ApiProblem(404, str(error)) from None
    except OverseerError as error:
        # RunClient's words for a workflow id the namespace does not have.
        status = 404 if str(error).startswith(f"no run {run_id!r}") else 409
        raise ApiProblem(status, str(error)) from None
    except ValidationError as error:  # a decision the contract refuses (e.g. its size)
        raise ApiProblem(422, validation_problem(error)) from None


def view(item: PendingApproval, identity: Identity) -> ApprovalView:
    request = item.request
    return ApprovalView(
        run_id=item.run_id,
        agent=item.agent,
        goal=redact(item.goal),
        requester=item.requester,
        action_id=request.action_id,
        short_id=request.short_id,
        step=request.step,
        tool=request.tool,
        args_pretty=item.args_pretty,
        args_sha256=request.args_sha256,
        approvers=request.approvers,
        approver_groups=request.approver_groups,
        excluded_approver=request.excluded_approver,
        signed_only=request.signed_only,
        requested_at=request.requested_at,
        expires_at=request.expires_at,
        on_expiry=request.on_expiry,
        age_seconds=item.age_seconds,
        eligible=item.eligible(identity),
    )


def install(app: FastAPI) -> None:
    """The API's routes, its one-line errors and its body size limit, on the app."""
    app.include_router(router)
    app.add_exception_handler(ApiProblem, _problem_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _malformed)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, prefix=PREFIX + "/", max_bytes=BODY_MAX_BYTES)


async def _malformed(request: Request, error: RequestValidationError) -> JSONResponse:
    if request.url.path.startswith(PREFIX + "/"):
        return _error(422, _request_problem(error))
    # Other front ends (the inbox's forms) keep FastAPI's answer.
    return await request_validation_exception_handler(request, error)


def _request_problem(error: RequestValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    more = f" (and {len(error.errors()) - 1} more)" if len(error.errors()) > 1 else ""
    return one_line(f"{where}: {message}{more}")


async def _problem_response(request: Request, problem: ApiProblem) -> JSONResponse:
    return _error(problem.status, str(problem), problem.headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": one_line(message)}, status_code=status, headers=headers)


class BodyLimit:
    """Refuses (413) a request body over `max_bytes` under `prefix`, before any route
    parses it: the body is read here, counted, and handed on."""

    def __init__(self, app: Any, prefix: str, max_bytes: int) -> None:
        self._app = app
        self._prefix = prefix
        self._max = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self._max:
                response = _error(413, f"the request body is larger than {self._max} bytes")
                await response(scope, receive, send)
                return
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self._app(scope, replay, send)
