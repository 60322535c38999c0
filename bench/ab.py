"""A/B: the worker's CPU per one-tool run, the code at a git revision (A) against the working
tree (B), with bare Temporal's worker beside them, on one embedded dev server.

    .venv/bin/python -m bench.ab --before HEAD~1   # what the last commit bought
    .venv/bin/python -m bench.ab --before HEAD     # a null A/B: the noise on this machine

Not part of `make test`. Each block is `--runs` one-tool runs (four at a time) on one side;
a round is a block of each side, in the order A, B, bare and then bare, B, A, so a drift of
the machine during a round falls on both. The figure is the median over rounds of B - A
in the same round, with the median absolute deviation of those differences. On a 2-core
VM shared with other work the medians of two unpaired series of identical code differed
by 1.5 ms (BENCHMARKS.md): a change smaller than that needs this pairing, and many rounds.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bench.benchmark import (
    ONE_TOOL,
    REPO,
    Bench,
    WorkerProcess,
    connect_when_up,
    cpu_seconds,
    free_port,
    spec,
)
from starters.server import ServerAddress, dev_server_command

PAIRED = 4  # runs in flight at once within a block
WARM_UP = 20


def worker_command() -> list[str]:
    # `overseer worker` of whichever checkout is the current directory: the entry point
    # script would import the installed (working tree's) package instead.
    program = (
        "import sys; sys.argv = ['overseer', 'worker']; from starters.cli.main import main; main()"
    )
    return [sys.executable, "-c", program]


def checkout(revision: str, into: Path) -> Path:
    tree = into / "before"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision],
        check=True,
        capture_output=True,
    )
    return tree


async def ab(before: Path, runs: int, rounds: int) -> str:
    address = ServerAddress("127.0.0.1", free_port())
    with tempfile.TemporaryDirectory(prefix="overseer-ab-") as folder:
        workspace = Path(folder)
        server = subprocess.Popen(  # noqa: ASYNC220 - started here, stopped below
            [*dev_server_command(address, free_port(), workspace / "t.db"), "--headless"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = await connect_when_up(address.target)
            bench = Bench(client, address.target, workspace, server.pid)
            queues = {side: f"{side}-{uuid.uuid4().hex[:6]}" for side in ("A", "B", "bare")}
            workers = {
                "A": WorkerProcess(
                    worker_command(), address.target, queues["A"], workspace, cwd=before
                ),
                "B": WorkerProcess(worker_command(), address.target, queues["B"], workspace),
                "bare": WorkerProcess(
                    [sys.executable, "-m", "bench.bare"], address.target, queues["bare"], workspace
                ),
            }
            try:
                await bench.workers_ready(list(workers.values()))
                return await _rounds(bench, workspace, workers, queues, runs, rounds)
            finally:
                for worker in workers.values():
                    worker.stop()
        finally:
            server.terminate()
            server.wait(timeout=30)


async def _rounds(
    bench: Bench,
    workspace: Path,
    workers: dict[str, WorkerProcess],
    queues: dict[str, str],
    runs: int,
    rounds: int,
) -> str:
    async def one(side: str) -> None:
        if side == "bare":
            [handle] = await bench.start_bare(queues[side], 1, 3, "x", False)
        else:
            run_spec = spec(workspace, ONE_TOOL, goal=f"ab {uuid.uuid4().hex}")
            [handle] = await bench.start_runs(queues[side], [run_spec])
        await handle.result()

    async def block(side: str) -> tuple[float, float]:
        await bench.server_idle()  # the last block's visibility writes are not this one's
        cpu, server = workers[side].cpu_seconds(), cpu_seconds(bench.server_pid)
        for _ in range(runs // PAIRED):
            await asyncio.gather(*(one(side) for _ in range(PAIRED)))
        return (
            (workers[side].cpu_seconds() - cpu) / runs * 1000,
            (cpu_seconds(bench.server_pid) - server) / runs * 1000,
        )

    for side in workers:
        for _ in range(WARM_UP):
            await one(side)
    worker_ms: dict[str, list[float]] = {side: [] for side in workers}
    server_ms: dict[str, list[float]] = {side: [] for side in workers}
    for number in range(rounds):
        order = ("A", "B", "bare") if number % 2 == 0 else ("bare", "B", "A")
        for side in order:
            on_worker, on_server = await block(side)
            worker_ms[side].append(on_worker)
            server_ms[side].append(on_server)
    return f"{report('worker', worker_ms)}\n{report('server', server_ms)}"


def report(what: str, per_run: dict[str, list[float]]) -> str:
    median = {side: statistics.median(figures) for side, figures in per_run.items()}
    differences = [b - a for a, b in zip(per_run["A"], per_run["B"], strict=True)]
    difference = statistics.median(differences)
    spread = statistics.median(abs(d - difference) for d in differences)
    bare = median["bare"]
    return (
        f"{what} CPU per run: A {median['A']:.2f} ms ({median['A'] / bare:.2f}x bare), "
        f"B {median['B']:.2f} ms ({median['B'] / bare:.2f}x), bare {bare:.2f} ms; "
        f"B - A paired by round: median {difference:+.2f} ms "
        f"(median absolute deviation {spread:.2f} ms, {len(differences)} rounds)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="A/B of the worker's CPU per one-tool run")
    parser.add_argument("--before", required=True, help="git revision of A (B: the working tree)")
    parser.add_argument("--runs", type=int, default=24, help="runs per block (a multiple of 4)")
    parser.add_argument("--rounds", type=int, default=24, help="rounds of one block per side")
    args = parser.parse_args()
    if not PAIRED <= args.runs <= 10_000 or args.runs % PAIRED or not 1 <= args.rounds <= 1000:
        parser.error("--runs must be a multiple of 4 from 4 to 10000 and --rounds 1 to 1000")
    if args.before.startswith("-"):  # git would read it as an option
        parser.error(f"--before must be a git revision, got {args.before!r}")
    with tempfile.TemporaryDirectory(prefix="overseer-ab-tree-") as folder:
        try:
            before = checkout(args.before, Path(folder))
        except subprocess.CalledProcessError as error:
            parser.error(f"--before {args.before}: {error.stderr.decode().strip()}")
        try:
            print(asyncio.run(ab(before, args.runs, args.rounds)))
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(before)],
                check=False,
                capture_output=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
