"""The web inbox over HTTP (uvicorn on a real socket, runs on the real dev server): login and
sessions, CSRF on every form, untrusted text rendered as text, and deciding from a page."""

import base64
import json
import re
from pathlib import Path

import httpx
from starlette.responses import Response
from temporalio.client import Client
from temporalio.worker import Worker

from approvals.identity import Identity
from approvals.sessions import BROWSER_COOKIE, SESSION_COOKIE, CookieRules, Sessions
from contracts.events import EventKind
from contracts.model_io import ScriptedCall, ScriptTurn
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.helpers import (
    UPDATE_ACCEPTED,
    events,
    history_event_types,
    make_spec,
    start,
    wait_for_state,
)
from tests.web_inbox_support import Inbox, csrf_of, serving, unique_agent


async def login(http: httpx.AsyncClient, token: str) -> None:
    page = await http.get("/login")
    response = await http.post(
        "/login", data={"csrf": csrf_of(page.text), "token": token, "next": "/"}
    )
    assert response.status_code == 303, response.text
    assert SESSION_COOKIE in http.cookies


def browser(inbox: Inbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=inbox.base_url, timeout=30)


async def test_pages_need_a_login_and_the_login_form_needs_its_csrf_token(
    client: Client, tmp_path: Path
) -> None:
    async with serving(client, tmp_path) as inbox, browser(inbox) as http:
        response = await http.get("/?agent=x")
        assert (response.status_code, response.headers["location"]) == (
            303,
            "/login?next=%2F%3Fagent%3Dx",
        )
        assert (await http.get("/inbox/rows")).status_code == 401
        assert (await http.get("/runs/r/actions/2.1")).status_code == 303

        page = await http.get("/login")
        assert page.status_code == 200 and BROWSER_COOKIE in http.cookies
        csrf = csrf_of(page.text)
        alice = inbox.tokens["alice"]
        for data, headers in [
            ({"token": alice}, {}),  # no CSRF token
            # a wrong one (its first character changed, whatever it was)
            ({"token": alice, "csrf": ("y" if csrf[0] == "x" else "x") + csrf[1:]}, {}),
            ({"token": alice, "csrf": csrf}, {"origin": "https://evil.example"}),
        ]:
            refused = await http.post("/login", data=data, headers=headers)
            assert refused.status_code == 403, data
            assert "refused:" in refused.text
            assert SESSION_COOKIE not in http.cookies
        assert "not from http://127.0.0.1" in refused.text

        wrong = await http.post("/login", data={"token": "ovr_nope", "csrf": csrf})
        assert wrong.status_code == 401
        assert "the API token is not known" in wrong.text

        same_origin = {"origin": inbox.base_url}
        response = await http.post(
            "/login",
            data={"token": alice, "csrf": csrf, "next": "//evil.example/"},
            headers=same_origin,
        )
        assert (response.status_code, response.headers["location"]) == (303, "/")
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Secure" not in cookie  # served over http here; see the sessions test
        inbox_page = await http.get("/")
        assert inbox_page.status_code == 200
        assert "alice" in inbox_page.text and "via session" in inbox_page.text
        assert (await http.get("/login/check")).status_code == 204

        # A forged or altered cookie is no session.
        real = http.cookies[SESSION_COOKIE]
        payload, _, mac = real.partition(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        forged = base64.urlsafe_b64encode(json.dumps({**claims, "user": "mallory"}).encode())
        async with browser(inbox) as mallory:
            mallory.cookies.set(SESSION_COOKIE, forged.decode().rstrip("=") + "." + mac)
            assert (await mallory.get("/")).status_code == 303
            mallory.cookies.set(SESSION_COOKIE, real)  # the real one works anywhere: bearer
            assert (await mallory.get("/")).status_code == 200

        # Logging out is a form too: without its token nothing happens.
        assert (await http.post("/logout", data={})).status_code == 403
        assert (await http.get("/")).status_code == 200
        out = await http.post("/logout", data={"csrf": csrf_of(inbox_page.text)})
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        assert SESSION_COOKIE not in http.cookies
        assert (await http.get("/")).status_code == 303

        # A credential the Authenticator accepts from the request itself needs no login.
        bearer = {"authorization": f"Bearer {alice}"}
        assert (await http.get("/", headers=bearer)).status_code == 200


def test_session_cookies_expire_and_are_bound_to_their_secret() -> None:
    sessions = Sessions(b"s" * 32, hours=1)
    data, cookie = sessions.start(Identity("alice", ("ops",), via="token"), now=1000)
    assert data.expires_at == 1000 + 3600
    decoded = sessions.decode(cookie, now=1001)
    assert decoded is not None and decoded.identity().groups == ("ops",)
    assert sessions.decode(cookie, now=1000 + 3600) is None  # expired
    assert Sessions(b"t" * 32, hours=1).decode(cookie, now=1001) is None  # another secret
    assert sessions.decode(cookie + "x", now=1001) is None
    assert sessions.decode("garbage", now=1001) is None
    assert sessions.csrf_ok(data.sid, sessions.csrf_token(data.sid))
    assert not sessions.csrf_ok("another-session-id-0000000", sessions.csrf_token(data.sid))

    response = Response()
    CookieRules(secure=True, max_age_seconds=60).set(response, SESSION_COOKIE, cookie)
    header = response.headers["set-cookie"]
    assert "Secure" in header and "HttpOnly" in header and "SameSite=strict" in header


async def decide_refused(
    http: httpx.AsyncClient, action_url: str, data: dict[str, str], **headers: str
) -> httpx.Response:
    response = await http.post(action_url, data=data, headers=headers)
    assert response.status_code >= 400, response.text
    return response


async def test_a_decision_without_this_sessions_csrf_token_or_from_another_origin_is_refused(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    async with serving(client, tmp_path) as inbox, browser(inbox) as alice, browser(inbox) as bob:
        spec = make_spec(tmp_path, agent=unique_agent(), policy=inbox.policy())
        handle = await start(client, spec, worker.task_queue)
        [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
        before = await events(handle)
        await login(alice, inbox.tokens["alice"])
        await login(bob, inbox.tokens["bob"])
        url = f"/runs/{handle.id}/actions/{request.short_id}"
        page = await alice.get(url)
        assert page.status_code == 200
        approve = {"decision": "approve", "args_sha256": request.args_sha256}
        bobs_token = csrf_of((await bob.get("/")).text)

        for data, headers in [
            (approve, {}),
            ({**approve, "csrf": ""}, {}),
            ({**approve, "csrf": bobs_token}, {}),  # a real token, of another session
            ({**approve, "csrf": csrf_of(page.text)}, {"origin": "http://localhost:1"}),
            ({**approve, "csrf": csrf_of(page.text)}, {"origin": "null"}),
        ]:
            response = await alice.post(url, data=data, headers=headers)
            assert response.status_code == 403, data
            assert "refused:" in response.text
        # A form that is not url-encoded is refused before anything is read.
        response = await alice.post(url, json={**approve, "csrf": csrf_of(page.text)})
        assert response.status_code == 400

        assert (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
        assert await events(handle) == before
        assert UPDATE_ACCEPTED not in await history_event_types(handle)
        await handle.terminate("test over")


SCRIPT_GOAL = "<script>alert('goal')</script> write it"
SCRIPT_ARGS = {"path": "out/x.html", "content": "<script>alert('arg')</script><b>bold</b>"}


async def test_what_a_run_wrote_is_rendered_as_text(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = unique_agent()
    script = [
        ScriptTurn(say="Writing.", tool_calls=[ScriptedCall(tool="write_file", args=SCRIPT_ARGS)]),
        ScriptTurn(say="<script>alert('say')</script>"),
    ]
    async with serving(client, tmp_path) as inbox, browser(inbox) as http:
        spec = make_spec(tmp_path, script, agent=agent, goal=SCRIPT_GOAL, policy=inbox.policy())
        handle = await start(client, spec, worker.task_queue)
        [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
        await login(http, inbox.tokens["alice"])
        pages = [
            await http.get(f"/?agent={agent}"),
            await http.get(f"/inbox/rows?agent={agent}"),
            await http.get(f"/runs/{handle.id}/actions/{request.short_id}"),
        ]
        for page in pages:
            assert page.status_code == 200
            assert "<script>alert" not in page.text
            assert "<b>bold" not in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
        action = pages[2].text
        assert "&lt;script&gt;alert(&#39;goal&#39;)&lt;/script&gt;" in action
        assert "&lt;script&gt;alert(&#39;arg&#39;)&lt;/script&gt;&lt;b&gt;bold" in action
        assert request.short_id in pages[1].text
        await handle.terminate("test over")


def refusal_of(response: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', response.text, re.S)
    assert found is not None, response.text
    return found.group(1)


async def test_deciding_from_the_page_checks_the_form_the_policy_and_the_hash(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = unique_agent()
    async with serving(client, tmp_path) as inbox, browser(inbox) as alice, browser(inbox) as bob:
        spec = make_spec(tmp_path, agent=agent, policy=inbox.policy())
        handle = await start(client, spec, worker.task_queue)
        [request] = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals
        await login(alice, inbox.tokens["alice"])
        await login(bob, inbox.tokens["bob"])
        before = await events(handle)

        # The inbox says who may decide; "only what I may decide" hides the rest.
        bobs_rows = (await bob.get(f"/inbox/rows?agent={agent}")).text
        assert request.short_id in bobs_rows and '<span class="no">no</span>' in bobs_rows
        assert "Nothing is waiting" in (await bob.get(f"/inbox/rows?agent={agent}&mine=1")).text
        alices = (await alice.get(f"/inbox/rows?agent={agent}&mine=1")).text
        assert request.short_id in alices and '<span class="yes">yes</span>' in alices
        assert "Nothing is waiting" in (await alice.get("/inbox/rows?agent=nobody")).text

        url = f"/runs/{handle.id}/actions/{request.short_id}"
        page = await alice.get(url)
        csrf = csrf_of(page.text)
        assert request.args_sha256 in page.text and "write a greeting" in page.text
        base = {"csrf": csrf, "args_sha256": request.args_sha256}
        cases = [
            (
                alice,
                {**base, "decision": "reject", "reason": "  "},
                400,
                "a rejection needs a reason",
            ),
            (
                alice,
                {**base, "decision": "edit", "edited_args": '{"path": "out/x.txt",}'},
                400,
                "the edited arguments are not valid JSON: Expecting property name enclosed in "
                "double quotes (line 1, column 22)",
            ),
            (
                alice,
                {**base, "decision": "edit", "edited_args": "[1]"},
                400,
                "must be a JSON object",
            ),
            (alice, {**base, "decision": "edit", "edited_args": '{"a": NaN}'}, 400, "NaN"),
            (alice, {**base, "decision": "maybe"}, 400, "approve, reject or edit"),
            (
                alice,
                {**base, "args_sha256": "0" * 64, "decision": "approve"},
                409,
                "does not match",
            ),
            (
                bob,
                {**base, "csrf": csrf_of((await bob.get(url)).text), "decision": "approve"},
                403,
                f"bob may not decide action {request.short_id} (allowed: alice)",
            ),
        ]
        for who, data, status, message in cases:
            response = await who.post(url, data=data)
            assert response.status_code == status, (data, response.text)
            shown = refusal_of(response)
            assert message in shown, shown
            assert "\n" not in shown
        assert await events(handle) == before
        assert UPDATE_ACCEPTED not in await history_event_types(handle)

        edited = '{\r\n  "path": "out/edited.txt",\r\n  "content": "edited in the inbox"\r\n}'
        response = await alice.post(url, data={**base, "decision": "edit", "edited_args": edited})
        assert response.status_code == 200, response.text
        assert f"<code>{inbox.key.key_id}</code>" in response.text
        result: RunResult = await handle.result()
        assert result.state is RunState.COMPLETED
        assert (tmp_path / "out/edited.txt").read_text() == "edited in the inbox"
        [approved] = [e for e in await events(handle) if e.kind is EventKind.APPROVED]
        assert approved.actor == "user:alice"
        assert f"key:{inbox.key.key_id}" in approved.evidence
        assert f"event #{approved.seq}" in response.text

        # Now the action is decided: its page and another decision say so.
        gone = await alice.get(url)
        assert gone.status_code == 404 and "no pending action" in gone.text
        again = await alice.post(url, data={**base, "decision": "approve"})
        assert again.status_code == 404
