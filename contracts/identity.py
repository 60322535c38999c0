"""Who did something: the grammar of actor ids (approver, by, requester).

An actor id is 1-128 printable characters with no blanks around it: no control
characters (terminal escapes, NUL, newlines), no invisible format characters, so what the
audit log shows is what was typed. Checked where an id enters, in the contract itself.
"""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from contracts.limits import ACTOR_ID_MAX_CHARS

ACTOR_ID_GRAMMAR = (
    f"1-{ACTOR_ID_MAX_CHARS} printable characters, no control characters, no blanks at either end"
)


def actor_id_problem(value: str) -> str | None:
    """None if `value` is a valid actor id, else what is wrong with it."""
    if not value or not value.strip():
        return "must not be empty or blank"
    if len(value) > ACTOR_ID_MAX_CHARS:
        return f"is {len(value)} characters long, more than {ACTOR_ID_MAX_CHARS}"
    if not value.isprintable():
        return "holds control or invisible characters"
    if value != value.strip():
        return "has blanks at either end"
    return None


def _check_actor_id(value: str) -> str:
    problem = actor_id_problem(value)
    if problem is not None:
        raise ValueError(f"an actor id {problem} (allowed: {ACTOR_ID_GRAMMAR})")
    return value


# Length is checked first by pydantic, so a megabyte id is refused before it is scanned.
ActorId = Annotated[
    str,
    StringConstraints(max_length=ACTOR_ID_MAX_CHARS),
    AfterValidator(_check_actor_id),
]
