"""Process-wide settings and engine selection.

The settings live in the Rust extension (``crate::adapter``): process-wide atomics shared by every thread and by
the Polars plugin (the plugin library Polars loads and the extension module are the same shared object).

>>> import polars_kimsfinance as kf
>>> kf.get_config()["default_engine"]
'auto'
>>> with kf.config(performance_tracking=True):
...     kf.get_config()["performance_tracking"]
True
>>> kf.get_config()["performance_tracking"]
False
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from . import _internal

__all__ = ["ENGINES", "config", "configure", "get_config", "gpu_available", "gpu_info", "reset_config", "select_engine"]

#: The engine names a call may ask for (the extension owns the list).
ENGINES: tuple[str, ...] = tuple(_internal.ENGINES)


def configure(**options: Any) -> None:
    """Change process-wide settings; every option is validated before any is applied.

    Parameters
    ----------
    default_engine : {"auto", "cpu", "gpu"}
        The engine used when a call does not name one. ``"auto"`` picks the GPU only when a hardware GPU adapter
        exists (never a software rasteriser), ``gpu_min_candles`` is set and the work has at least that many
        candles.
    performance_tracking : bool
        Record calls, rows, bytes and latencies (see :func:`get_performance_stats`). Off by default.
    gpu_min_candles : int or None
        The smallest work (candles) for which ``"auto"`` uses a GPU, as measured on this machine by
        :func:`calibrate_gpu` (``apply=True`` sets it) or set by hand. Default ``None``: not measured, so
        ``"auto"`` stays on the CPU, which draws a full-HD chart in about a millisecond (see docs/gpu.md).
    gpu_fallback : bool
        When a GPU is asked for but missing or failing, run on the CPU (and count a fallback) instead of raising.

    Raises
    ------
    ValueError
        For an unknown option or a bad value; the message lists the valid options or values.

    Examples
    --------
    >>> import polars_kimsfinance as kf
    >>> kf.configure(default_engine="tpu")
    Traceback (most recent call last):
    ...
    ValueError: configure: default_engine must be one of 'auto', 'cpu', 'gpu', got 'tpu'
    """
    _internal._configure(options)


def get_config() -> dict[str, Any]:
    """Every setting and its current value."""
    return dict(_internal._get_config())


def reset_config() -> None:
    """Put every setting back to its default (statistics are kept; see :func:`reset_performance_stats`)."""
    _internal._reset_config()


@contextlib.contextmanager
def config(**options: Any) -> Iterator[dict[str, Any]]:
    """Apply settings for the duration of a ``with`` block, then restore the previous values.

    The settings are process-wide: other threads see them while the block runs.

    >>> import polars_kimsfinance as kf
    >>> with kf.config(default_engine="cpu") as cfg:
    ...     cfg["default_engine"], kf.select_engine(candles=10**9)
    ('cpu', 'cpu')
    >>> kf.get_config()["default_engine"]
    'auto'
    """
    previous = _internal._configure(options)
    try:
        yield get_config()
    finally:
        _internal._configure(previous)


def gpu_available() -> bool:
    """Whether a GPU adapter exists (``False`` in a build without a GPU backend)."""
    return bool(_internal._gpu_available())


def gpu_info() -> dict[str, Any] | None:
    """The GPU adapter the renderer would use: ``name``, ``backend``, ``device_type``, ``driver`` and ``software``
    (true for a software rasteriser such as Mesa's llvmpipe, which ``engine="auto"`` never picks); ``None`` when
    there is none."""
    return _internal._gpu_info()


def select_engine(engine: str | None = None, *, candles: int = 0, gpu_available: bool | None = None) -> str:
    """The engine (``"cpu"`` or ``"gpu"``) a call over ``candles`` candles runs on.

    ``engine`` (explicit) beats the configured ``default_engine``; ``"auto"`` picks the GPU only when
    ``gpu_available`` and ``gpu_min_candles`` is set and ``candles >= gpu_min_candles``. ``gpu_available`` is
    detected by default as ``df.kf.render`` does: for ``"auto"`` a hardware adapter (a software rasteriser never
    beats the CPU backend), for ``"gpu"`` any adapter.
    ``"gpu"`` without a GPU gives ``"cpu"``, or raises ``RuntimeError`` when ``gpu_fallback`` is off.

    This is a query: it records nothing. A fallback is counted by the render that falls back, not by asking.

    >>> import polars_kimsfinance as kf
    >>> kf.select_engine("auto", candles=10**6, gpu_available=True)  # no threshold measured yet
    'cpu'
    >>> with kf.config(gpu_min_candles=10_000):
    ...     [kf.select_engine("auto", candles=n, gpu_available=True) for n in (10**6, 10)]
    ['gpu', 'cpu']
    """
    return _internal._select_engine(check_engine("select_engine", engine), int(candles), gpu_available)


def check_engine(func: str, engine: Any) -> str | None:
    """``engine`` when it is None or an engine name (case-insensitive, as ``configure`` takes them), else a
    ``ValueError`` naming ``func`` and the value."""
    if engine is not None and not (isinstance(engine, str) and engine.lower() in ENGINES):
        raise ValueError(f"{func}: engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    return engine
