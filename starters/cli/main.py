"""The `overseer` command line: parse, run the command, print errors as one line."""

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from contracts.errors import OverseerError
from starters.cli.parser import build_parser
from workers.telemetry import flush_tracing, setup_tracing

Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def run_command(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        setup_tracing()
        return asyncio.run(handler(args))
    except OverseerError as error:
        print(f"overseer: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("overseer: interrupted", file=sys.stderr)
        return 130


def main() -> None:
    code = run_command()
    flush_tracing()
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal client's Rust threads can outlive the event loop and abort the
    # interpreter at finalization (sdk-python issue #300): skip finalization, nothing
    # is left to clean up once the command has returned.
    os._exit(code)


if __name__ == "__main__":
    main()
