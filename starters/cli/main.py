"""The `overseer` command line: parse, run the command, print errors as one line."""

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from contracts.errors import OverseerError, one_line, validation_problem
from starters.cli.parser import build_parser
from workers.telemetry import flush_tracing, setup_tracing

Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


# Exit status of a command whose reader went away (`overseer events RUN | head`), as a
# shell reports a process ended by SIGPIPE: quiet, and not mistaken for success.
BROKEN_PIPE = 128 + signal.SIGPIPE
# Set to see the traceback of an unexpected error instead of its one line.
DEBUG_VARIABLE = "OVERSEER_DEBUG"


def run_command(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        setup_tracing()
        return asyncio.run(handler(args))
    except OverseerError as error:
        return _fail(str(error))
    except ValidationError as error:  # a value the command was given, refused by a contract
        return _fail(validation_problem(error, where_empty="input"))
    except KeyboardInterrupt:
        print("overseer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except Exception as error:  # every error is one line; the traceback only on request
        if os.environ.get(DEBUG_VARIABLE):
            raise
        return _fail(
            f"unexpected {type(error).__name__}: {error} (set {DEBUG_VARIABLE}=1 to see where)"
        )


def _fail(message: str) -> int:
    print(f"overseer: error: {one_line(message)}", file=sys.stderr)
    return 1


def _silence_stdout() -> None:
    # Python flushes stdout again at exit and would report the broken pipe a second time.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    code = run_command()
    flush_tracing()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = BROKEN_PIPE
    sys.stderr.flush()
    # The Temporal client's Rust threads can outlive the event loop and abort the
    # interpreter at finalization (sdk-python issue #300): skip finalization, nothing
    # is left to clean up once the command has returned.
    os._exit(code)


if __name__ == "__main__":
    main()
