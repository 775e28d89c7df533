"""Process tuning for `tiketi serve`: the garbage collector."""

from __future__ import annotations

import gc

# Older generations are collected after this many collections of the younger one (Python: 10, 10).
GC_OLDER_THRESHOLDS = (50, 100)


def tune_gc(threshold: int) -> None:
    """Freeze what start-up built and collect the young generation every `threshold` allocations.

    A request allocates thousands of short-lived objects; at Python's default (every 700) the
    collector ran several times per request and took ~25-35 % of a join's CPU (measured with
    `python -m bench.cost`). Frozen objects (modules, routes, settings) are never scanned again.
    0 leaves the collector as Python sets it.
    """
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(threshold, *GC_OLDER_THRESHOLDS)


def refreeze_gc() -> None:
    """After start-up hooks ran: freeze what they built too, if `tune_gc` froze the process."""
    if gc.get_freeze_count():
        gc.freeze()
