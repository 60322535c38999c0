"""Argument types of the `overseer` command: every value is checked where it is parsed, and a
bad one is refused in one line (argparse's usage block is left to `--help`)."""

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from contracts.identity import actor_id_problem
from contracts.limits import NAME_MAX_CHARS, REASON_MAX_CHARS

MAX_LISTED = 100_000


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    parse.__name__ = "number"
    return parse


def actor_arg(text: str) -> str:
    problem = actor_id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: {problem}")
    return text


def name_arg(text: str) -> str:
    if not text or len(text) > NAME_MAX_CHARS or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a name (1-{NAME_MAX_CHARS} printable characters, no blanks)"
        )
    return text


def reason_arg(text: str) -> str:
    if len(text) > REASON_MAX_CHARS:
        raise argparse.ArgumentTypeError(
            f"is {len(text)} characters long, more than {REASON_MAX_CHARS}"
        )
    return text


PORT = bounded_int(1, 65535)
SEQUENCE = bounded_int(0, 2**62)
STEP = bounded_int(1, 1_000_000)
LIMIT = bounded_int(1, MAX_LISTED)
QUEUE_LIMIT = bounded_int(0, 100_000)
