"""The exit code of a command that follows a run or pipeline to its end (`run --watch`,
`watch`, `events --follow`), so a CI job sees how the run ended, not only that the CLI
worked. 1 stays an error of the command itself, 2 a usage error (argparse)."""

from enum import StrEnum

COMPLETED_OR_WAITING = 0
BY_END = {"completed": 0, "failed": 3, "canceled": 4, "rolled_back": 5}

EPILOG = """\
exit status (with --watch, and of `overseer watch` and `overseer events --follow`):
  0  the run completed, or it stopped to wait for a human (an approval or a reply)
  1  the command itself failed (e.g. no server, a refused agent file)
  2  usage error
  3  the run ended failed (e.g. a --replay that caught a regression)
  4  the run ended canceled
  5  the run ended rolled_back (canceled or failed, its irreversible steps undone)
"""


def exit_code(state: StrEnum) -> int:
    """For a run's or a pipeline's state: its end's code; 0 while it has not ended."""
    return BY_END.get(state.value, COMPLETED_OR_WAITING)
