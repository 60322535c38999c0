"""The one error type the CLI prints as a single line and turns into exit code 1."""


class OverseerError(Exception):
    """A problem the user can act on; its message names it in one line."""
