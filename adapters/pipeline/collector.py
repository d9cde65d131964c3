"""The cyclic garbage collector during bulk work.

Reading, planning and publishing a chunk allocates a few hundred thousand objects, nearly all
freed at once by reference counting. At CPython's default threshold the cyclic collector runs
after every 700 new objects, and each run walks all the young objects it finds alive: in an
ingest that was a fifth of the main thread's CPU. ``bulk_work`` raises the first generation's
threshold for its duration, so the collector runs a few times per chunk instead of hundreds;
cycles are still collected, only later.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

BULK_THRESHOLD = 50_000  # new objects between collections of the youngest generation


@contextlib.contextmanager
def bulk_work() -> Iterator[None]:
    """Collect the youngest generation every ``BULK_THRESHOLD`` new objects, then as before."""
    before = gc.get_threshold()
    gc.set_threshold(max(BULK_THRESHOLD, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
