"""Measuring, on this machine, from how many candles the GPU engine renders a chart faster than the CPU engine.

:func:`calibrate_gpu` times real renders and can set ``gpu_min_candles`` from the result (see docs/gpu.md).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, NamedTuple

from .chart import render as render_chart
from .data import sample_ohlcv
from .settings import configure, get_config, gpu_info

__all__ = ["CALIBRATION_SIZES", "CalibrationRow", "GpuCalibration", "calibrate_gpu"]

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
    number = int(value) if isinstance(value, Integral) and not isinstance(value, bool) else None
    if number is None or number < low or (high is not None and number > high):
        bound = f"an integer >= {low}" if high is None else f"an integer between {low} and {high}"
        raise ValueError(f"calibrate_gpu: {name} must be {bound}, got {value!r}")
    return number


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
