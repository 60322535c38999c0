"""Update and signal bodies, parsed where a refusal can be one clear line.

Handlers take the body as plain JSON (`Any`) and parse it here: a body the SDK failed to
deserialize would be refused with a multi-line pydantic dump (an update) or dropped with
only a worker log line (a signal). Parsing is bounded work: every body model limits its
sizes (contracts.limits) before any field is looked at twice.
"""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.exceptions import ApplicationError

from contracts.errors import validation_problem

Body = TypeVar("Body", bound=BaseModel)
INVALID_BODY = "InvalidBody"


class BodyRefused(Exception):
    """A body that is not what the update or signal takes; its message is one line."""


def parse_body(model: type[Body], body: Any) -> Body:
    """`body` as `model`, or BodyRefused saying what is wrong with it."""
    if isinstance(body, model):
        return body
    if body is None:
        raise BodyRefused(f"no body: expected a JSON object ({model.__name__})")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise BodyRefused(validation_problem(error)) from None


def parse_update_body(model: type[Body], body: Any) -> Body:
    """As parse_body, for an update: the refusal is an ApplicationError the caller reads."""
    try:
        return parse_body(model, body)
    except BodyRefused as refused:
        raise ApplicationError(str(refused), type=INVALID_BODY, non_retryable=True) from None
