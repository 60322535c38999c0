"""The worker's garbage collector (workers/heap.py): start-up's heap frozen before the worker
polls, start-up's garbage freed first, and a larger young generation."""

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from workers import worker as worker_module
from workers.heap import YOUNG_GENERATION

PROBE = """
import gc, weakref
class Node: pass
a, b = Node(), Node()
a.other, b.other = b, a          # a cycle: only the collector frees it
alive = weakref.ref(a)
del a, b
from workers.heap import settle_heap
settle_heap()
print(alive() is None, gc.get_freeze_count() > 0, gc.get_threshold()[0])
"""


def test_settling_frees_start_up_garbage_then_freezes_the_rest() -> None:
    # In a process of its own: freezing is for the life of the process.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["True", "True", str(YOUNG_GENERATION)]


async def test_the_worker_settles_its_heap_before_its_workers_poll(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settled: list[bool] = []

    def settle_then_stop() -> None:
        settled.append(True)
        os.kill(os.getpid(), signal.SIGTERM)  # what stops a deployed worker

    monkeypatch.setattr(worker_module, "settle_heap", settle_then_stop)
    await asyncio.wait_for(worker_module.run_until_signalled([]), timeout=30)
    assert settled == [True]
