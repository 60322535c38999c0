"""The web inbox's forms, read as hostile input: bounded, url-encoded only, each field once,
and a decision checked before anything is sent to a run (invalid edits never leave here)."""

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from approvals.desk import Verdict
from contracts.hashing import canonical_json
from contracts.limits import EDITED_ARGS_MAX_BYTES, REASON_MAX_CHARS

# Url-encoding can triple the edited arguments; the rest of a form is small.
FORM_MAX_BYTES = 3 * EDITED_ARGS_MAX_BYTES + 16 * 1024
FORM_MAX_FIELDS = 20
# A JWT from an identity provider is a few KiB; an API token far less.
LOGIN_TOKEN_MAX_CHARS = 16 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BadForm(Exception):
    """The form is not what the page sends; the message says what is wrong (one line)."""


@dataclass(frozen=True)
class DecisionForm:
    verdict: Verdict
    args_sha256: str
    reason: str
    edited_args: dict[str, Any] | None


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form; an empty body is an empty form (its CSRF check
    then refuses it), any other kind of body is refused."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            raise BadForm(f"the form is larger than {FORM_MAX_BYTES} bytes")
    if body and content_type != "application/x-www-form-urlencoded":
        raise BadForm("send the form as application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=FORM_MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise BadForm(
            f"the form is not url-encoded UTF-8 text of at most {FORM_MAX_FIELDS} fields"
        ) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise BadForm(f"the form gives {name[:40]!r} twice")
        form[name] = value
    return form


def login_token(form: dict[str, str]) -> str:
    token = form.get("token", "").strip()
    if not token:
        raise BadForm("paste your token (an API token or a JWT from your identity provider)")
    if len(token) > LOGIN_TOKEN_MAX_CHARS:
        raise BadForm(f"the token is longer than {LOGIN_TOKEN_MAX_CHARS} characters")
    return token


def decision_form(form: dict[str, str]) -> DecisionForm:
    """The decision a form asks for, or BadForm naming its first problem."""
    choice = form.get("decision", "")
    if choice not in ("approve", "reject", "edit"):
        raise BadForm("the form must say approve, reject or edit")
    args_sha256 = form.get("args_sha256", "")
    if not _SHA256.match(args_sha256):
        raise BadForm("the form does not carry the arguments hash the page showed: reload it")
    reason = form.get("reason", "")
    if len(reason) > REASON_MAX_CHARS:
        raise BadForm(f"the reason is longer than {REASON_MAX_CHARS} characters")
    if choice == "reject" and not reason.strip():
        raise BadForm("a rejection needs a reason")
    edited = edited_args(form.get("edited_args", "")) if choice == "edit" else None
    verdict: Verdict = "rejected" if choice == "reject" else "approved"
    return DecisionForm(verdict, args_sha256, reason, edited)


def edited_args(text: str) -> dict[str, Any]:
    if not text.strip():
        raise BadForm("approve with edits needs the edited arguments (a JSON object)")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise BadForm(
            f"the edited arguments are not valid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise BadForm("the edited arguments are nested too deeply") from None
    except ValueError as error:
        raise BadForm(f"the edited arguments are not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise BadForm('the edited arguments must be a JSON object, like {"path": "..."}')
    try:
        size = len(canonical_json(value).encode())
    except UnicodeEncodeError:
        raise BadForm("the edited arguments hold a lone surrogate (\\ud800-\\udfff)") from None
    if size > EDITED_ARGS_MAX_BYTES:
        raise BadForm(
            f"the edited arguments are {size} bytes of JSON, more than {EDITED_ARGS_MAX_BYTES}"
        )
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def safe_next(value: str | None) -> str:
    """Where to go after login: a path on this service only (no open redirect)."""
    if (
        value
        and len(value) <= 2000
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and value.isprintable()
    ):
        return value
    return "/"


def optional_filter(value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > 200:
        raise BadForm(f"the {what} filter is longer than 200 characters")
    return value.strip()
