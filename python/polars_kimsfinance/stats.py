"""Bounded performance statistics: calls, rows, bytes and latency histograms per operation.

The statistics live in the Rust extension (``crate::adapter``): fixed-size tables shared by every thread and by the
Polars plugin. Tracking is off by default (``kf.configure(performance_tracking=True)`` turns it on); when off, an
instrumented call costs one atomic load.

>>> import polars_kimsfinance as kf
>>> with kf.config(performance_tracking=True):
...     kf.reset_performance_stats()
...     _ = kf.sample_ohlcv(100).select(kf.sma("close", 10))
...     kf.get_performance_stats()["operations"]["indicator"]["rows"]
100
"""

from __future__ import annotations

from typing import Any

from . import _internal

__all__ = ["get_performance_stats", "record_fallback", "reset_performance_stats"]


def get_performance_stats() -> dict[str, Any]:
    """The statistics recorded since the last reset (while ``performance_tracking`` was on).

    Keys: ``tracking`` (bool), ``total_calls``, ``cpu_calls``, ``gpu_calls``, ``fallbacks``, ``rows_processed``
    (indicators, transforms), ``candles_processed`` (renders, mplfinance), ``bytes_produced``, ``memory_bytes``
    (the fixed size of the statistics store) and ``operations``: for each of ``indicator``, ``transform``,
    ``render``, ``mplfinance``, ``other`` a dict with ``calls``, ``rows`` or ``candles``, ``bytes`` and
    ``latency_ns`` (``p50``, ``p90``, ``p99`` from a log-linear histogram within 6.25 %, exact ``max`` and
    ``mean``). An ``mpf.plot`` served by kf counts once under ``mplfinance`` and once under ``render``.
    """
    return _internal._performance_stats()


def reset_performance_stats() -> None:
    """Zero every counter and histogram."""
    _internal._reset_performance_stats()


def _track(op: str, latency_ns: int, rows: int = 0, bytes: int = 0, engine: str = "cpu") -> None:
    """Record one call of ``op`` (a name outside the fixed table counts as ``"other"``); for tests and Python code."""
    _internal._track(op, int(latency_ns), int(rows), int(bytes), engine)


def record_fallback() -> None:
    """Count one GPU -> CPU fallback. For a render path written in Python, and only once it has really retried on
    the CPU: choosing an engine (:func:`select_engine`) never counts one."""
    _internal._record_fallback()
