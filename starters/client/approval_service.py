"""A client of the approval service's JSON API (`overseer approvals serve`): the CLI decides
through it when OVERSEER_APPROVALS_URL is set, as the person its token names.

Every failure is an OverseerError in one line naming the HTTP status and the service's words.
"""

import json
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts.approval_api import ActionView, ApprovalView, ApproveBody, RejectBody, WhoAmI
from contracts.approvals import DecisionReceipt
from contracts.errors import OverseerError, one_line, validation_problem

URL_VARIABLE = "OVERSEER_APPROVALS_URL"
TOKEN_VARIABLE = "OVERSEER_APPROVALS_TOKEN"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# An answer is a list of pending approvals at most: generous, but bounded.
ANSWER_MAX_BYTES = 64 * 1024 * 1024

Answer = TypeVar("Answer")
_VIEWS = TypeAdapter(list[ApprovalView])


class ApprovalService:
    def __init__(self, url: str, token: str, transport: httpx.AsyncBaseTransport | None = None):
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
            transport=transport,
        )

    async def __aenter__(self) -> "ApprovalService":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def me(self) -> WhoAmI:
        return await self._call("GET", "/api/me", WhoAmI)

    async def pending(
        self, *, agent: str | None = None, requester: str | None = None, eligible: bool = False
    ) -> list[ApprovalView]:
        params: dict[str, Any] = {"eligible": eligible}
        params.update({k: v for k, v in (("agent", agent), ("requester", requester)) if v})
        return _VIEWS.validate_python(await self._json("GET", "/api/approvals", params=params))

    async def run_actions(self, run_id: str) -> list[ApprovalView]:
        return _VIEWS.validate_python(await self._json("GET", f"/api/runs/{_seg(run_id)}/actions"))

    async def action(self, run_id: str, action_id: str) -> ActionView:
        return await self._call("GET", _action_path(run_id, action_id), ActionView)

    async def decide(
        self,
        run_id: str,
        action_id: str,
        verdict: Literal["approve", "reject"],
        body: ApproveBody | RejectBody,
    ) -> DecisionReceipt:
        path = f"{_action_path(run_id, action_id)}/{verdict}"
        return await self._call("POST", path, DecisionReceipt, body=body)

    async def _call(
        self, method: str, path: str, model: type[Answer], body: BaseModel | None = None
    ) -> Answer:
        data = await self._json(method, path, body=body)
        try:
            return TypeAdapter(model).validate_python(data)
        except ValidationError as error:
            raise OverseerError(
                f"approval service {self.url}: unexpected answer to {method} {path}: "
                + validation_problem(error)
            ) from None

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: BaseModel | None = None,
    ) -> Any:
        content = body.model_dump_json(exclude_none=True) if body is not None else None
        headers = {"content-type": "application/json"} if content is not None else {}
        try:
            response = await self._http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.HTTPError as error:
            raise OverseerError(
                one_line(
                    f"cannot reach the approval service at {self.url} "
                    f"({type(error).__name__}: {error}); is `overseer approvals serve` running?"
                )
            ) from None
        if len(response.content) > ANSWER_MAX_BYTES:
            raise OverseerError(f"approval service {self.url}: the answer is too large")
        if response.status_code >= 400:
            raise OverseerError(
                one_line(
                    f"approval service: HTTP {response.status_code} "
                    f"{response.reason_phrase}: {_error_text(response)}"
                )
            )
        try:
            return response.json()
        except ValueError:
            raise OverseerError(
                f"approval service {self.url}: {method} {path} answered something not JSON"
            ) from None


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300] or "(no text)"
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return json.dumps(data)[:300]


def _seg(text: str) -> str:
    return quote(text, safe="")


def _action_path(run_id: str, action_id: str) -> str:
    # The service takes the short action id (2.1); the full one names the run again.
    short = action_id.rpartition("/")[2]
    return f"/api/runs/{_seg(run_id)}/actions/{_seg(short)}"
