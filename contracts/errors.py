"""The one error type the CLI prints as a single line (exit code 1), and the one way a
pydantic validation error becomes such a line."""

from pydantic import ValidationError

MAX_MESSAGE_CHARS = 300


class OverseerError(Exception):
    """A problem the user can act on; its message names it in one line."""


def validation_problem(error: ValidationError, where_empty: str = "body") -> str:
    """The first problem as `field.path: message (and N more)`, on one line and bounded:
    no input values, no pydantic URL."""
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or where_empty
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return one_line(f"{where}: {message}{more}")


def one_line(text: str) -> str:
    """`text` with its control characters shown escaped, cut to a readable length."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: MAX_MESSAGE_CHARS * 2])
    return flat if len(flat) <= MAX_MESSAGE_CHARS else flat[: MAX_MESSAGE_CHARS - 1] + "…"
