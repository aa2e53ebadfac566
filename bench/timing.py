"""The one timing helper the benchmark scripts share."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def median_ms(fn: Callable[[], object], repeats: int, *, warm_up: bool = True) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` runs (a collection before each), after one
    untimed warm-up run unless ``warm_up=False``."""
    if warm_up:
        fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)
