"""Redaction on adversarial text: RE2 (what Overseer uses) against Python's `re`.

Not part of `make test`. From the repo root:

    .venv/bin/python -m bench.redaction

For each kind of text, three figures:
- `redact()` on 1 MB: what a workflow task pays; it cuts each field to REDACT_MAX_CHARS
  first, so this mostly measures the cut;
- the engine on the whole 1 MB, uncapped (every built-in pattern, then the policy's): what
  the cap does not hide; the target is < 50 ms;
- Python's `re` (the engine before) on a much smaller text, in a subprocess stopped after
  a few seconds, since a backtracking match holds the GIL and cannot be interrupted.
"""

import argparse
import functools
import multiprocessing
import re
import statistics
import time
from collections.abc import Callable

from contracts import redaction
from contracts.redaction import redact, substitute

MB = 1 << 20
POLICY = ("(a+)+$",)


def _mixed(size: int) -> str:
    # Near misses of every built-in pattern, and real matches, interleaved.
    unit = (
        "x@y sk-short ghp_ xoxb- AKIA Bearer a@b.io sk-" + "A" * 20 + " " + "é日" + "a" * 30 + "!"
    )
    return (unit * (size // len(unit) + 1))[:size]


KINDS: dict[str, Callable[[int], str]] = {
    '"x" * n': lambda n: "x" * n,
    '"a@" * n/2': lambda n: "a@" * (n // 2),
    '"sk-" * n/3': lambda n: "sk-" * (n // 3),
    '"a" * n + "!", policy (a+)+$': lambda n: "a" * (n - 1) + "!",
    "dense matches (a@b.io)": lambda n: "a@b.io " * (n // 7),
    "mixed near misses and matches": _mixed,
}


def _median_ms(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _engine(text: str) -> None:
    data = text.encode()
    for compiled, replacement in redaction._PATTERNS:
        data = substitute(compiled, replacement.encode(), data)
    data = substitute(redaction._combined(POLICY), b"[redacted]", data)


def _python_re(text: str) -> None:
    for pattern, replacement in redaction._BUILT_IN:
        text = re.sub(pattern.replace(r"\pZ", ""), replacement, text)
    for pattern in POLICY:
        text = re.sub(pattern, "[redacted]", text)


def _python_re_ms(text: str, limit: float) -> str:
    process = multiprocessing.Process(target=_python_re, args=(text,))
    started = time.perf_counter()
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return f"> {limit:.0f} s (stopped)"
    return f"{(time.perf_counter() - started) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--re-size", type=int, default=16 * 1024, help="text size for `re`")
    parser.add_argument("--re-limit", type=float, default=10.0, help="seconds before `re` stops")
    args = parser.parse_args()
    print(f"| text | redact(), 1 MB | RE2 uncapped, 1 MB | Python re, {args.re_size // 1024} KB |")
    print("|---|---:|---:|---:|")
    for name, make in KINDS.items():
        text = make(MB)
        capped = _median_ms(functools.partial(redact, text, POLICY))
        uncapped = _median_ms(functools.partial(_engine, text))
        before = _python_re_ms(make(args.re_size), args.re_limit)
        print(f"| {name} | {capped:.1f} ms | {uncapped:.1f} ms | {before} |")


if __name__ == "__main__":
    main()
