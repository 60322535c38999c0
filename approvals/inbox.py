"""The web inbox: pages a person uses in a browser to see and decide pending approvals.

Who the visitor is comes from the Authenticator first (a trusted SSO proxy's header, or a
bearer credential), then from the signed session cookie set at /login. Every form carries
a CSRF token bound to the session, and a POST from another origin is refused.

Live updates poll a small HTML fragment (/inbox/rows) every POLL_SECONDS instead of
holding an SSE stream open: each poll is an ordinary authenticated request (so a logged-out
or expired session is noticed at once), it passes through proxies that buffer streams,
it keeps no connection per open tab (uvicorn can shut down without waiting on streams),
and the desk's snapshot cache makes a poll one visibility listing while nothing changes.
"""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from approvals.desk import (
    ActionDetail,
    Forbidden,
    NotFound,
    PendingApproval,
    authorization_problem,
)
from approvals.forms import (
    BadForm,
    decision_form,
    login_token,
    optional_filter,
    read_form,
    safe_next,
)
from approvals.identity import Identity, NotAuthenticated
from approvals.pages import SECURITY_HEADERS, STATIC, render
from approvals.sessions import BROWSER_COOKIE, SESSION_COOKIE, SessionTooLarge
from approvals.visitor import Visitor, post_problem, service, to_login, visitor
from contracts.errors import OverseerError, one_line, validation_problem

if TYPE_CHECKING:  # app.py includes this router: importing it here would be a cycle
    from approvals.service import Service

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 2
NAME_IN_URL_MAX_CHARS = 1000
STATIC_FILES = {"inbox.css": "text/css", "inbox.js": "text/javascript"}


def refused(message: str, who: Visitor | None, status_code: int) -> Response:
    return render("error.html", status_code, message=message, visitor=who)


async def posted(request: Request) -> tuple[Visitor, dict[str, str] | Response]:
    """Who posts and their form, or the refusal: a form that does not read (400), or one
    without this session's CSRF token or from another origin (403). Every POST starts here."""
    who = await visitor(request)
    try:
        form = await read_form(request)
    except BadForm as error:
        return who, refused(str(error), who, 400)
    if problem := post_problem(request, who, form):
        return who, refused(problem, who, 403)
    return who, form


# --- login and logout ---------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    who = await visitor(request)
    target = safe_next(next)
    if who.identity is not None:
        return RedirectResponse(target, status_code=303)
    return who.keep_browser_id(render("login.html", visitor=who, next=target, error=None))


@router.get("/login/check")
async def login_check(request: Request) -> Response:
    """204 when the browser is logged in. The login page asks (a same-origin fetch sends
    the SameSite=Strict cookie a link from chat or mail did not) and moves on if so."""
    who = await visitor(request)
    status = 204 if who.identity is not None else 401
    return Response(status_code=status, headers=SECURITY_HEADERS)


@router.post("/login")
async def login(request: Request) -> Response:
    who, form = await posted(request)
    if isinstance(form, Response):
        return form
    target = safe_next(form.get("next"))
    try:
        token = login_token(form)
        identity = await service(request).authenticator.from_token(token)
        _, cookie = who.sessions.start(identity)
    except (BadForm, NotAuthenticated, SessionTooLarge) as error:
        page = render("login.html", 401, visitor=who, next=target, error=one_line(str(error)))
        return page
    response = RedirectResponse(target, status_code=303)
    who.cookies.set(response, SESSION_COOKIE, cookie)
    who.cookies.clear(response, BROWSER_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    who, form = await posted(request)
    if isinstance(form, Response):
        return form
    response = RedirectResponse("/login", status_code=303)
    who.cookies.clear(response, SESSION_COOKIE)
    return response


# --- the inbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    agent: str | None
    requester: str | None
    mine: bool

    @classmethod
    def of(cls, request: Request) -> "Filters":
        query = request.query_params
        return cls(
            optional_filter(query.get("agent"), "agent"),
            optional_filter(query.get("requester"), "requester"),
            query.get("mine") == "1",
        )

    def query(self) -> str:
        fields = {"agent": self.agent or "", "requester": self.requester or ""}
        return urlencode({**fields, "mine": "1" if self.mine else ""})


async def pending_rows(svc: "Service", who: Identity, filters: Filters) -> list[dict[str, Any]]:
    items = await svc.desk.pending(
        agent=filters.agent,
        requester=filters.requester,
        eligible_for=who if filters.mine else None,
    )
    return [{"item": item, "may_decide": item.eligible(who)} for item in items]


@router.get("/")
@router.get("/inbox")
async def inbox(request: Request) -> Response:
    who = await visitor(request)
    if who.identity is None:
        return to_login(request)
    try:
        filters = Filters.of(request)
    except BadForm as error:
        return refused(str(error), who, 400)
    rows = await pending_rows(service(request), who.identity, filters)
    page = render(
        "inbox.html",
        visitor=who,
        rows=rows,
        filters=filters,
        rows_url=f"/inbox/rows?{filters.query()}",
        poll_ms=POLL_SECONDS * 1000,
    )
    return who.keep_browser_id(page)


@router.get("/inbox/rows")
async def inbox_rows(request: Request) -> Response:
    """The inbox's table rows, as the page polls them."""
    who = await visitor(request)
    if who.identity is None:
        return PlainTextResponse("log in first", 401, headers=SECURITY_HEADERS)
    try:
        filters = Filters.of(request)
    except BadForm as error:
        return PlainTextResponse(str(error), 400, headers=SECURITY_HEADERS)
    rows = await pending_rows(service(request), who.identity, filters)
    return render("_rows.html", rows=rows)


# --- one action -----------------------------------------------------------------------


def _names_problem(run_id: str, action_id: str) -> str | None:
    if len(run_id) > NAME_IN_URL_MAX_CHARS or len(action_id) > NAME_IN_URL_MAX_CHARS:
        return f"run and action ids are at most {NAME_IN_URL_MAX_CHARS} characters"
    return None


def action_page(
    who: Visitor,
    detail: ActionDetail,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    assert who.identity is not None
    unredacted = _pretty(detail)
    page = render(
        "action.html",
        status_code,
        visitor=who,
        item=detail,
        problem=authorization_problem(who.identity, detail.request, "approved"),
        allowed=_allowed(detail),
        error=error,
        # The edit box starts from the arguments only when nothing in them was redacted:
        # the page must not hand out what redaction hid.
        edit_text=(form or {}).get(
            "edited_args", unredacted if unredacted == detail.args_pretty else ""
        ),
        reason=(form or {}).get("reason", ""),
    )
    return who.keep_browser_id(page)


def _allowed(item: PendingApproval) -> str:
    names = item.request.approvers + [f"group:{g}" for g in item.request.approver_groups]
    return ", ".join(names) or "anyone"


def _pretty(item: PendingApproval) -> str:
    return json.dumps(item.request.args, indent=2, ensure_ascii=False)


@router.get("/runs/{run_id}/actions/{action_id}")
async def show_action(request: Request, run_id: str, action_id: str) -> Response:
    who = await visitor(request)
    if who.identity is None:
        return to_login(request)
    if problem := _names_problem(run_id, action_id):
        return refused(problem, who, 400)
    try:
        detail = await service(request).desk.show(run_id, action_id)
    except OverseerError as error:
        return refused(one_line(str(error)), who, 404)
    return action_page(who, detail)


@router.post("/runs/{run_id}/actions/{action_id}")
async def decide_action(request: Request, run_id: str, action_id: str) -> Response:
    who, form = await posted(request)
    if isinstance(form, Response):
        return form
    if who.identity is None:
        return refused("log in first: your session has ended", who, 401)
    if problem := _names_problem(run_id, action_id):
        return refused(problem, who, 400)
    desk = service(request).desk
    try:
        choice = decision_form(form)
        receipt = await desk.decide(
            who.identity,
            run_id,
            action_id,
            choice.verdict,
            args_sha256=choice.args_sha256,
            reason=choice.reason,
            edited_args=choice.edited_args,
        )
    except BadForm as error:
        return await _refusal(request, who, run_id, action_id, str(error), 400, form)
    except ValidationError as error:
        return await _refusal(request, who, run_id, action_id, validation_problem(error), 400, form)
    except Forbidden as error:
        return await _refusal(request, who, run_id, action_id, str(error), 403, form)
    except NotFound as error:
        return refused(one_line(str(error)), who, 404)
    except OverseerError as error:
        return await _refusal(request, who, run_id, action_id, str(error), 409, form)
    page = render("outcome.html", visitor=who, receipt=receipt, run_id=run_id)
    return who.keep_browser_id(page)


async def _refusal(
    request: Request,
    who: Visitor,
    run_id: str,
    action_id: str,
    message: str,
    status_code: int,
    form: dict[str, str],
) -> Response:
    """The action's page again, with why nothing was decided (or just the reason, if the
    action is no longer pending)."""
    message = one_line(message)
    try:
        detail = await service(request).desk.show(run_id, action_id)
    except OverseerError:
        return refused(message, who, status_code)
    return action_page(who, detail, status_code=status_code, error=message, form=form)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return PlainTextResponse("not found", 404)
    body = (STATIC / name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})
