"""The worker's garbage collector, set for what a worker is: a long-lived process whose
heap is mostly what it imported at start, and which makes short-lived garbage per run.

With Python's defaults, each run of the one-tool benchmark cost the worker about 0.8 ms in
garbage collection (gc.callbacks, 600 runs): every full collection walked the 150,000
objects its imports left behind (about 100 ms each), and a young collection ran every 700
allocations. Frozen after start, those objects are never walked again; a young generation
of 10,000 lets most of a run's garbage die before a collection looks at it. Together about
0.25 ms per run (BENCHMARKS.md). Cyclic garbage then waits a little longer for its
collection: a few megabytes at most.
"""

import gc

YOUNG_GENERATION = 10_000


def settle_heap() -> None:
    """Call once the worker has started: everything loaded so far stays for the process's life."""
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
