"""Configuration, engine selection, performance statistics and the mplfinance accelerator.

Settings and statistics live in the Rust extension (``crate::adapter``): process-wide atomics and fixed-size
tables, shared by every thread and by the Polars plugin (the plugin library Polars loads and the extension module
are the same shared object). Tracking is off by default; when off, an instrumented call costs one atomic load.

>>> import polars_kimsfinance as kf
>>> kf.get_config()["default_engine"]
'auto'
>>> with kf.config(performance_tracking=True):
...     kf.reset_performance_stats()
...     _ = kf.sample_ohlcv(100).select(kf.sma("close", 10))
...     kf.get_performance_stats()["operations"]["indicator"]["rows"]
100
>>> kf.get_config()["performance_tracking"]
False
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import statistics
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, NamedTuple

from . import _internal

__all__ = [
    "activate",
    "calibrate_gpu",
    "config",
    "configure",
    "deactivate",
    "get_config",
    "get_performance_stats",
    "gpu_available",
    "gpu_info",
    "is_active",
    "record_fallback",
    "reset_config",
    "reset_performance_stats",
    "select_engine",
]

ENGINES = ("auto", "cpu", "gpu")


# --------------------------------------------------------------------------------------------------------------
# Configuration and engine selection
# --------------------------------------------------------------------------------------------------------------


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
    ``gpu_available`` and ``gpu_min_candles`` is set and ``candles >= gpu_min_candles``. Detected by default as ``df.kf.render`` does: for
    ``"auto"`` a hardware adapter (a software rasteriser never beats the CPU backend), for ``"gpu"`` any adapter.
    ``"gpu"`` without a GPU gives ``"cpu"`` and counts a fallback, or raises ``RuntimeError`` when ``gpu_fallback`` is off.

    >>> import polars_kimsfinance as kf
    >>> kf.select_engine("auto", candles=10**6, gpu_available=True)  # no threshold measured yet
    'cpu'
    >>> with kf.config(gpu_min_candles=10_000):
    ...     kf.select_engine("auto", candles=10**6, gpu_available=True), kf.select_engine("auto", candles=10, gpu_available=True)
    ('gpu', 'cpu')
    """
    if engine is not None and engine not in ENGINES:
        raise ValueError(f"engine must be one of 'auto', 'cpu', 'gpu', got {engine!r}")
    return _internal._select_engine(engine, int(candles), gpu_available)


def record_fallback() -> None:
    """Count one GPU -> CPU fallback (for render paths written in Python)."""
    _internal._record_fallback()


# --------------------------------------------------------------------------------------------------------------
# Measuring the GPU threshold
# --------------------------------------------------------------------------------------------------------------

# From a few hundred bars (CPU raster time still growing) to far past the plot width (the scene is aggregated to
# the pixel columns, so both engines' work stops growing): the range where a crossover can sit.
CALIBRATION_SIZES = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


class CalibrationRow(NamedTuple):
    """One measured chart size: median milliseconds per engine and ``ratio`` = ``gpu_ms / cpu_ms`` (below 1: the
    GPU is faster). ``gpu_ms`` and ``ratio`` are ``None`` when there is no GPU adapter to measure."""

    candles: int
    cpu_ms: float
    gpu_ms: float | None
    ratio: float | None


@dataclass(frozen=True)
class GpuCalibration:
    """What :func:`calibrate_gpu` measured and decided.

    Attributes
    ----------
    rows : tuple of CalibrationRow
        One row per measured size, smallest first.
    threshold : int or None
        The smallest measured size from which the GPU is faster at that size and every larger one; ``None`` when
        the GPU is not faster at the largest size, or there is no adapter.
    adapter : dict or None
        :func:`gpu_info` of the adapter that was measured.
    applied : bool
        Whether ``gpu_min_candles`` was set to ``threshold``.
    gpu_min_candles : int or None
        The setting after the call.
    note : str
        The decision in words (why nothing was applied, or what was).
    width, height, repeats : int
        The chart size and the number of timed renders per engine and size.
    """

    rows: tuple[CalibrationRow, ...]
    threshold: int | None
    adapter: dict[str, Any] | None
    applied: bool
    gpu_min_candles: int | None
    note: str
    width: int
    height: int
    repeats: int

    def table(self) -> str:
        """The rows as a Markdown table (the form docs/gpu.md uses)."""
        lines = ["| candles | cpu ms | gpu ms | gpu / cpu |", "|---:|---:|---:|---:|"]
        for row in self.rows:
            gpu = "-" if row.gpu_ms is None else f"{row.gpu_ms:.1f}"
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
            lines.append(f"| {row.candles:,} | {row.cpu_ms:.1f} | {gpu} | {ratio} |")
        return "\n".join(lines)

    def __str__(self) -> str:
        name = "none" if self.adapter is None else f"{self.adapter['name']} ({self.adapter['backend']})"
        head = f"GPU calibration: {self.width}x{self.height} PNG with volume, median of {self.repeats}; adapter: {name}"
        return f"{head}\n{self.table()}\nthreshold: {self.threshold}; {self.note}"


def _gpu_threshold(rows: Sequence[CalibrationRow]) -> int | None:
    """The smallest size from which the GPU is faster at that size and at every larger measured size, else None.

    Walking down from the largest size and stopping at the first size where the GPU is not faster means a win
    below a loss (noise, or a dip) never counts: ``auto`` switches once, at ``gpu_min_candles``, and must not land
    on a size where the CPU is faster. A tie is not a win, since the GPU also costs device creation once.
    """
    threshold = None
    for row in sorted(rows, key=lambda r: r.candles, reverse=True):
        if row.gpu_ms is None or not row.gpu_ms < row.cpu_ms:
            break
        threshold = row.candles
    return threshold


def _calibration_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low or (high is not None and value > high):
        bound = f"an integer >= {low}" if high is None else f"an integer between {low} and {high}"
        raise ValueError(f"calibrate_gpu: {name} must be {bound}, got {value!r}")
    return int(value)


def _timed_render(render: Any, frame: Any, engine: str) -> float:
    """Milliseconds of one ``render(frame, engine)`` call, checking that it ran on ``engine``."""
    t0 = time.perf_counter()
    image = render(frame, engine=engine)
    elapsed = (time.perf_counter() - t0) * 1000.0
    if image.timings.get("engine") != engine:
        # With gpu_fallback on, a failing GPU render quietly runs on the CPU; timing that as "gpu" would be false.
        raise RuntimeError(
            f"calibrate_gpu: the {engine} render of {frame.height} candles ran on {image.timings.get('engine')!r} "
            "(the GPU failed and fell back; see kf.gpu_info() and the fallbacks in kf.get_performance_stats())"
        )
    return elapsed


def calibrate_gpu(
    sizes: Iterable[int] = CALIBRATION_SIZES,
    repeats: int = 7,
    width: int = 1920,
    height: int = 1080,
    apply: bool = False,
) -> GpuCalibration:
    """Measure, on this machine, from how many candles the GPU engine renders a chart faster than the CPU engine.

    For each size, a synthetic chart (:func:`sample_ohlcv`, candles with the volume panel, PNG) is rendered
    ``repeats`` times with ``engine="cpu"`` and with ``engine="gpu"``, alternating, and the median wall time of each
    ``df.kf.render`` call is kept. One render per engine runs first and is not timed, so the once-per-process
    device creation and font loading are not counted. The threshold is the smallest size from which the GPU is
    faster at that size and every larger measured size.

    ``engine="auto"`` still never uses a software rasteriser (llvmpipe, lavapipe, ...), whatever this sets; on such
    an adapter the table shows what it costs, and ``note`` says that ``auto`` ignores it. With performance tracking
    on, the calibration renders are counted like any other.

    Parameters
    ----------
    sizes : iterable of int, default (100, 300, ..., 1_000_000)
        Candle counts to measure, each >= 1; duplicates are measured once and the order does not matter.
    repeats : int, default 7
        Timed renders per engine and size (>= 1); the median is reported.
    width, height : int, default 1920 x 1080
        Chart size in pixels, 64 to 16384: the GPU's fixed cost per frame grows with it, so measure the size you
        render.
    apply : bool, default False
        Set ``gpu_min_candles`` to the threshold with :func:`configure`. When there is no threshold the settings are
        left alone and ``note`` says so.

    Returns
    -------
    GpuCalibration
        ``rows`` (``candles``, ``cpu_ms``, ``gpu_ms``, ``ratio``), ``threshold``, ``adapter``, ``applied``,
        ``gpu_min_candles``, ``note``; ``str()`` of it prints the table. Without a GPU adapter only the CPU is
        measured and ``threshold`` is ``None``.

    Raises
    ------
    ValueError
        A bad argument; the message names it and the value.
    RuntimeError
        A GPU render failed and fell back to the CPU, so its time would not be the GPU's.

    Examples
    --------
    >>> import polars_kimsfinance as kf
    >>> result = kf.calibrate_gpu(sizes=(200, 100), repeats=1, width=320, height=200)
    >>> [row.candles for row in result.rows], all(row.cpu_ms > 0 for row in result.rows)
    ([100, 200], True)
    >>> result.threshold in (None, 100, 200), result.applied
    (True, False)
    >>> kf.calibrate_gpu(repeats=0)
    Traceback (most recent call last):
    ...
    ValueError: calibrate_gpu: repeats must be an integer >= 1, got 0
    """
    # Any iterable of integers (a range, a numpy array of int64) is accepted; a string would iterate as characters.
    # It is read once into a tuple, so a generator is not used up by the checks.
    values = () if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable) else tuple(sizes)
    if not values:
        raise ValueError(f"calibrate_gpu: sizes must be a non-empty sequence of integers >= 1, got {sizes!r}")
    for size in values:
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise ValueError(f"calibrate_gpu: sizes must hold integers >= 1, got {size!r} in {sizes!r}")
    repeats = _calibration_int("repeats", repeats, 1)
    width = _calibration_int("width", width, 64, 16384)
    height = _calibration_int("height", height, 64, 16384)
    if not isinstance(apply, bool):
        raise ValueError(f"calibrate_gpu: apply must be True or False, got {apply!r}")

    from .chart import render as render_chart  # imported here: chart imports the package modules this one serves
    from .data import sample_ohlcv

    def render(frame: Any, engine: str) -> Any:
        return render_chart(frame, "candle", width=width, height=height, volume=True, format="png", engine=engine)

    counts = sorted({int(size) for size in values})
    adapter = gpu_info()
    engines = ("cpu", "gpu") if adapter is not None else ("cpu",)
    # One frame of the largest size, sliced: generating each size apart would repeat the slow part (the random walk
    # in Python), and a slice of a frame is the same single-chunk columns the renderer reads.
    frame = sample_ohlcv(counts[-1])
    for engine in engines:
        _timed_render(render, frame.head(counts[0]), engine)
    rows = []
    for count in counts:
        part = frame.head(count)
        timings: dict[str, list[float]] = {engine: [] for engine in engines}
        for r in range(repeats):
            # Alternating the order spreads any drift (other load, CPU clock changes) over both engines alike.
            for engine in engines if r % 2 == 0 else engines[::-1]:
                timings[engine].append(_timed_render(render, part, engine))
        cpu_ms = statistics.median(timings["cpu"])
        gpu_ms = statistics.median(timings["gpu"]) if adapter is not None else None
        rows.append(CalibrationRow(count, cpu_ms, gpu_ms, None if gpu_ms is None else gpu_ms / cpu_ms))

    threshold = _gpu_threshold(rows)
    applied = apply and threshold is not None
    if applied:
        configure(gpu_min_candles=threshold)
    current = get_config()["gpu_min_candles"]
    shown = "None (unset: engine='auto' stays on the CPU)" if current is None else current
    if adapter is None:
        note = f"no GPU adapter: only the CPU was measured; gpu_min_candles stays {shown}"
    elif threshold is None:
        note = (
            f"the GPU is not faster at the largest size measured ({counts[-1]:,} candles); "
            f"gpu_min_candles stays {shown}"
        )
    elif applied:
        note = f"gpu_min_candles set to {threshold}"
    else:
        note = f"not applied: pass apply=True or call kf.configure(gpu_min_candles={threshold})"
    if adapter is not None and adapter.get("software"):
        note += "; the adapter is a software rasteriser, which engine='auto' never uses"
    return GpuCalibration(tuple(rows), threshold, adapter, applied, current, note, width, height, repeats)


# --------------------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# mplfinance accelerator
# --------------------------------------------------------------------------------------------------------------

# While active: the patched attributes with their original objects, and the originals the replacements call.
# Emptied by deactivate(), so that nothing of mplfinance is kept alive by this module.
_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}

_KINDS = {
    "candle": "candle",
    "candlestick": "candle",
    "ohlc": "ohlc",
    "ohlc_bars": "ohlc",
    "line": "line",
    "renko": "renko",
    "pnf": "pnf",
    "hollow_and_filled": "hollow",
    "hollow": "hollow",
    "hollow_candle": "hollow",
    "hnf": "hollow",
}
# mplfinance's built-in styles by background: dark ones -> "modern", the rest -> "light" (mplfinance's
# "tradingview" is the light TradingView look, the same up/down colours as our "light").
_DARK_STYLES = {"binancedark", "mike", "nightclouds"}
_LIGHT_STYLES = {
    "binance", "blueskies", "brasil", "charles", "checkers", "classic", "default", "ibd", "kenan", "sas",
    "starsandstripes", "tradingview", "yahoo",
}  # fmt: skip
_PLOT_KWARGS = {
    "type", "volume", "mav", "ema", "style", "figsize", "figratio", "figscale", "title", "savefig", "returnfig",
    "closefig", "block", "warn_too_much_data", "tight_layout",
}  # fmt: skip
_FORMATS = {"png": "png", "webp": "webp", "svg": "svg"}
_DEFAULT_FIGRATIO = (8.00, 5.75)  # mplfinance: figure height 5.75 in at figscale 1


def is_active() -> bool:
    """Whether :func:`activate` has patched mplfinance."""
    return bool(_STATE)


def activate() -> None:
    """Serve supported ``mpf.plot(...)`` calls with kf's renderer, and mplfinance's moving averages with kf's kernels.

    Supported: a pandas frame with a DatetimeIndex and Open/High/Low/Close(/Volume) columns; ``type`` candle, ohlc,
    line, renko, pnf or hollow_and_filled; ``volume``; ``mav`` / ``ema`` as periods (not renko/pnf); ``style`` by
    built-in name; ``figsize`` or ``figratio``/``figscale`` with the savefig dpi giving the pixel size; ``title``;
    ``savefig`` to a .png/.webp/.svg path, a BytesIO (PNG) or a dict with ``fname``/``dpi``/``format``; and
    ``returnfig=False``. Every other call runs mplfinance's own code unchanged. Activating twice does nothing.
    Code that did ``from mplfinance import plot`` before activating keeps the original.

    Raises
    ------
    ImportError
        When mplfinance is not installed (``pip install mplfinance``).
    """
    with _LOCK:
        if _STATE:
            return
        try:
            import mplfinance
            import mplfinance.plotting as plotting
        except ImportError as exc:
            raise ImportError("kf.activate() needs mplfinance: pip install mplfinance") from exc
        targets = [
            (mplfinance, "plot", _kf_plot),
            (plotting, "plot", _kf_plot),
            (plotting, "_plot_mav", _kf_plot_mav),
            (plotting, "_plot_ema", _kf_plot_ema),
        ]
        patches = [(owner, name, owner.__dict__[name]) for owner, name, _ in targets]
        _STATE.update(
            patches=patches,
            plot=plotting.__dict__["plot"],
            plot_mav=plotting.__dict__["_plot_mav"],
            plot_ema=plotting.__dict__["_plot_ema"],
        )
        for owner, name, replacement in targets:
            setattr(owner, name, replacement)


def deactivate() -> None:
    """Put back every patched mplfinance attribute (the identical original objects) and forget them."""
    with _LOCK:
        for owner, name, original in _STATE.get("patches", ()):
            setattr(owner, name, original)
        _STATE.clear()


def _original(key: str) -> Any:
    """The original mplfinance function (also after a concurrent deactivate(), when mplfinance has it back)."""
    found = _STATE.get(key)
    if found is not None:
        return found
    import mplfinance.plotting as plotting

    return plotting.__dict__[{"plot": "plot", "plot_mav": "_plot_mav", "plot_ema": "_plot_ema"}[key]]


def _kf_plot(data: Any, **kwargs: Any) -> Any:
    """Replacement for ``mplfinance.plot``: kf when the call is supported, mplfinance otherwise."""
    spec = _translate(data, kwargs)
    if spec is None:
        return _original("plot")(data, **kwargs)
    t0 = time.perf_counter_ns()
    try:
        image = spec.pop("frame").kf.render(**spec.pop("render"))
    except Exception as exc:  # the call must still succeed: let mplfinance draw it
        warnings.warn(f"polars_kimsfinance could not render this chart ({exc}); using mplfinance", RuntimeWarning, 2)
        return _original("plot")(data, **kwargs)
    payload = bytes(image)
    target = spec["target"]
    if isinstance(target, io.IOBase):
        target.write(payload)
    else:
        with open(target, "wb") as f:
            f.write(payload)
    _internal._track("mplfinance", time.perf_counter_ns() - t0, spec["candles"], len(payload), "cpu")
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _periods(value: Any) -> list[int] | None:
    """mplfinance's mav/ema periods (at most 7, each >= 2); None when not a plain int or list of ints."""
    if _is_int(value):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(_is_int(v) and v >= 2 for v in value):
        return None
    return list(value)[:7]


def _translate(data: Any, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """What kf should render for this ``mpf.plot`` call, or None when the call is not supported."""
    if not set(kwargs) <= _PLOT_KWARGS or kwargs.get("returnfig") or kwargs.get("tight_layout"):
        return None
    from .namespaces import DataFrameNamespace

    if not hasattr(DataFrameNamespace, "render"):  # df.kf.render not in this build
        return None
    kind = _KINDS.get(kwargs.get("type", "ohlc"))
    volume = kwargs.get("volume", False)
    if kind is None or not isinstance(volume, bool):
        return None
    overlays = []
    for key, prefix in (("mav", "sma"), ("ema", "ema")):
        if kwargs.get(key) is not None:
            periods = _periods(kwargs[key])
            if periods is None or kind in ("renko", "pnf"):
                return None
            overlays += [f"{prefix}:{n}" for n in periods]
    style = kwargs.get("style")
    if style is None:
        style = "default"
    if not isinstance(style, str) or (style not in _DARK_STYLES and style not in _LIGHT_STYLES):
        return None
    title = kwargs.get("title")
    if isinstance(title, dict) and set(title) == {"title"}:
        title = title["title"]
    if title is not None and not isinstance(title, str):
        return None
    target = _savefig_target(kwargs.get("savefig"))
    size = _figure_inches(kwargs)
    if target is None or size is None:
        return None
    fname, fmt, dpi = target
    width, height = int(size[0] * dpi), int(size[1] * dpi)  # matplotlib truncates the figure's pixel size
    if not (64 <= width <= 16384 and 64 <= height <= 16384):
        return None
    frame = _frame(data, volume)
    if frame is None:
        return None
    render = dict(kind=kind, width=width, height=height, theme="modern" if style in _DARK_STYLES else "light")
    render.update(volume=volume, overlays=overlays, title=title, format=fmt)
    return {"frame": frame, "render": render, "target": fname, "candles": frame.height}


def _savefig_target(save: Any) -> tuple[Any, str, float] | None:
    """(file name or buffer, format, dpi) for a supported ``savefig`` value."""
    import matplotlib

    dpi: Any = matplotlib.rcParams["savefig.dpi"]
    if dpi == "figure":
        dpi = matplotlib.rcParams["figure.dpi"]
    fmt: Any = None
    if isinstance(save, dict):
        if not set(save) <= {"fname", "dpi", "format"} or "fname" not in save:
            return None
        dpi = save.get("dpi", dpi)
        fmt = save.get("format")
        save = save["fname"]
    if not _is_number(dpi):
        return None
    if isinstance(save, io.BytesIO):
        fmt = fmt or matplotlib.rcParams["savefig.format"]
    elif isinstance(save, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(save))[1].lstrip(".").lower()
        if fmt is None:
            fmt = ext
        elif ext and ext != fmt:  # matplotlib would write `fmt` under a misleading name; leave it to matplotlib
            return None
    else:
        return None
    fmt = _FORMATS.get(fmt) if isinstance(fmt, str) else None
    return None if fmt is None else (save, fmt, float(dpi))


def _figure_inches(kwargs: dict[str, Any]) -> tuple[float, float] | None:
    """The figure size mplfinance would use: ``figsize``, else ``figratio`` scaled to 5.75 in tall, times ``figscale``."""
    figsize = kwargs.get("figsize")
    if figsize is not None:
        if isinstance(figsize, (list, tuple)) and len(figsize) == 2 and all(_is_number(v) for v in figsize):
            return float(figsize[0]), float(figsize[1])
        return None
    ratio = kwargs.get("figratio") or _DEFAULT_FIGRATIO
    scale = kwargs.get("figscale", 1.0)
    scale = 1.0 if scale is None else scale
    if not (isinstance(ratio, (list, tuple)) and len(ratio) == 2 and all(_is_number(v) for v in ratio)):
        return None
    if not _is_number(scale) or not 0.2 <= ratio[0] / ratio[1] <= 5.0:
        return None
    fit = _DEFAULT_FIGRATIO[1] / ratio[1]  # the same operations as mplfinance, so the same rounding
    return ratio[0] * fit * scale, ratio[1] * fit * scale


def _frame(data: Any, volume: bool) -> Any:
    """The polars frame (date, open, high, low, close[, volume]) for a supported pandas frame, else None."""
    try:
        import pandas as pd
    except ImportError:
        return None
    if not isinstance(data, pd.DataFrame) or not isinstance(data.index, pd.DatetimeIndex) or len(data) == 0:
        return None
    names = ["Open", "High", "Low", "Close"] + (["Volume"] if volume else [])
    if any(n not in data.columns for n in names):
        return None
    import numpy as np
    import polars as pl

    columns: dict[str, Any] = {"date": pl.Series("date", data.index.tz_localize(None).to_numpy())}
    for name in names:
        values = data[name].to_numpy()
        if values.dtype.kind not in "iuf":
            return None
        columns[name.lower()] = np.asarray(values, dtype=np.float64)
    return pl.DataFrame(columns)


def _kf_plot_mav(ax: Any, config: Any, xdates: Any, prices: Any, apmav: Any = None, apwidth: Any = None) -> Any:
    """Replacement for mplfinance's ``_plot_mav``: the same lines, the averages computed by kf's ``sma``."""
    return _moving_averages("sma", ax, config, xdates, prices, apmav, apwidth)


def _kf_plot_ema(ax: Any, config: Any, xdates: Any, prices: Any, apmav: Any = None, apwidth: Any = None) -> Any:
    """Replacement for mplfinance's ``_plot_ema``: the same lines, the averages computed by kf's ``ema``."""
    return _moving_averages("ema", ax, config, xdates, prices, apmav, apwidth)


def _moving_averages(kind: str, ax: Any, cfg: Any, xdates: Any, prices: Any, apmav: Any, apwidth: Any) -> Any:
    original = _original("plot_mav" if kind == "sma" else "plot_ema")
    spec = apmav if apmav is not None else cfg["mav" if kind == "sma" else "ema"]
    if spec is None:
        return []
    shift = None
    if isinstance(spec, dict):
        shift, spec = spec.get("shift"), spec.get("period")
    periods = _periods(spec)
    if periods is None or (shift is not None and not isinstance(shift, (list, tuple))):
        return original(ax, cfg, xdates, prices, apmav, apwidth)
    try:
        averages = _average_values(kind, prices, periods)
    except Exception:
        averages = None
    if averages is None:  # e.g. NaN prices: pandas' NaN rules differ from kf's missing-bar rule
        return original(ax, cfg, xdates, prices, apmav, apwidth)
    if shift is not None:
        averages = [_shifted(a, s) for a, s in zip(averages, shift)]
    width = cfg["_width_config"]["line_width"]
    colors = cfg["_ma_color_cycle"]
    for values in averages:
        if colors:
            ax.plot(xdates, values, linewidth=width, color=next(colors))
        else:
            ax.plot(xdates, values, linewidth=width)
    return averages


def _average_values(kind: str, prices: Any, periods: list[int]) -> list[Any] | None:
    """mplfinance's averages through kf's kernels: pandas ``rolling(n).mean()`` is kf's ``sma`` and pandas
    ``ewm(span=n, adjust=False).mean()`` is kf's ``ewm_mean`` with the same arguments. None when the prices are not
    all finite (pandas and kf treat missing values differently)."""
    import numpy as np
    import polars as pl

    from . import functions

    values = np.asarray(prices, dtype=np.float64)
    if values.ndim != 1 or not np.isfinite(values).all():
        return None
    if kind == "sma":
        exprs = [functions.sma("close", n).alias(f"p{i}") for i, n in enumerate(periods)]
    else:
        exprs = [functions.ewm_mean("close", span=n, adjust=False).alias(f"p{i}") for i, n in enumerate(periods)]
    out = pl.DataFrame({"close": values}).select(exprs)
    return [out[f"p{i}"].to_numpy().astype(np.float64) for i in range(len(periods))]


def _shifted(values: Any, periods: int) -> Any:
    """pandas ``Series.shift(periods)`` on a float array."""
    import numpy as np

    out = np.full_like(values, np.nan)
    if periods == 0:
        out[:] = values
    elif periods > 0:
        out[periods:] = values[:-periods] if periods < len(values) else []
    elif -periods < len(values):
        out[:periods] = values[-periods:]
    return out
