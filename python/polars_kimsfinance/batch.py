"""Many charts per call: ``kf.render_many(frames)``, ``df.kf.render_by("symbol")`` and ``kf.iter_render(frames)``.

The charts of a batch are laid end to end in one frame (chart ``i`` = a range of its rows, told apart by a chart
number column), prepared by the same ``chart._prepare`` as a single ``render`` call, with every overlay, panel and
Heikin-Ashi value computed in one Polars query per batch (``.over`` the chart number), and drawn by
``_internal._render_batch`` on the process's one pool of helper threads with the GIL released.

Charts whose options change what the query computes (``kind``, ``overlays``, ``panels``, ``volume``, column names,
box parameters) differently, or whose frames have different schemas, form separate groups, one query each; options
that only change the drawing (size, theme, title, colours, format, ...) may differ from chart to chart within one.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import sys
import time as _time
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from . import _internal
from .annotations import chart_lines, check_annotations, cut_marks
from .chart import CHART_KEY, ChartImage, _check_decorations, _check_options, _needed_columns, _prepare, render
from .filenames import make_out_dir, out_dir_path, safe_file_stem
from .namespaces import DataFrameNamespace, LazyFrameNamespace
from .settings import check_engine

#: The options of ``render`` and their defaults (every one works in a batch).
_DEFAULTS: dict[str, Any] = {p.name: p.default for p in list(inspect.signature(render).parameters.values())[1:]}
_RENDER_OPTIONS: tuple[str, ...] = tuple(_DEFAULTS)
#: Options that change what the query computes; charts that differ in one are prepared as separate groups.
_QUERY_OPTIONS = (
    "kind",
    "fill",
    "volume",
    "overlays",
    "panels",
    "box_size",
    "reversal",
    "open",
    "high",
    "low",
    "close",
    "time",
    "fill_between",
    "markers",
    "tlines",
    "marketcolor_overrides",
)
#: Options whose ordinary value is a list: only a callable (or a list of lists) gives one value per chart.
_LIST_OPTIONS = ("overlays", "panels", "hlines", "vlines", "panel_ratios")
#: Options whose ordinary value may itself be a list of lists: only a callable gives one value per chart.
_CALLABLE_ONLY = ("alines", "tlines", "fill_between", "markers", "marketcolor_overrides")
_CHART = CHART_KEY
#: Progress bar: shown at once for more charts than this, otherwise only once a batch has run for 2 s.
_PROGRESS_CHARTS = 200
_PROGRESS_DELAY_S = 2.0
#: Charts per call into Rust (and the progress bar's step): bounds the encoded charts Rust holds before they become
#: Python bytes, and the rows a call may have to compact, whatever the batch's size.
_STEP = 128
_ERRORS = ("raise", "collect")
_EXTENSIONS = {"png": "png", "svg": "svg", "webp": "webp", "rgba": "rgba"}


class _Batch(NamedTuple):
    """The checked batch-level arguments."""

    func: str
    workers: int
    errors: str
    progress: bool | None
    out_dir: Path | None
    overwrite: bool


def _check_batch(
    func: str, workers: Any, errors: Any, progress: Any, out_dir: Any, overwrite: Any, options: dict[str, Any]
) -> _Batch:
    """Every batch argument check, before any work starts."""
    unknown = [k for k in options if k not in _RENDER_OPTIONS]
    if unknown:
        raise TypeError(f"{func}: unknown option {unknown[0]!r}; render options: {', '.join(_RENDER_OPTIONS)}")
    if workers is None:
        workers = _internal._kernel_threads()
    elif isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"{func}: workers must be a positive integer or None, got {workers!r}")
    elif workers < 1:
        raise ValueError(f"{func}: workers must be >= 1 (None: all cores), got {workers}")
    if errors not in _ERRORS:
        raise ValueError(f"{func}: errors must be 'raise' or 'collect', got {errors!r}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"{func}: progress must be True, False or None (automatic), got {progress!r}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"{func}: overwrite must be True or False, got {overwrite!r}")
    directory = None
    if out_dir is not None:
        directory = out_dir_path(func, out_dir)
        make_out_dir(func, directory)
    return _Batch(func, min(workers, 4096), errors, progress, directory, overwrite)


# ---------------------------------------------------------------------------------------------------------------
# Per-chart options.


def _per_chart(name: str, value: Any, n: int) -> bool:
    """Whether an option gives one value per chart: a callable, or a list (for overlays / panels: a list of lists)
    of one value per chart."""
    if callable(value) and not isinstance(value, (pl.Expr, pl.Series)):
        return True
    if name in _CALLABLE_ONLY:
        return False
    if name in _LIST_OPTIONS:
        return isinstance(value, list) and len(value) > 0 and all(isinstance(v, list) or v is None for v in value)
    return isinstance(value, list)


def _chart_options(func: str, options: dict[str, Any], keys: Sequence[Any]) -> list[dict[str, Any]]:
    """The options of each chart (``render``'s defaults filled in), lists and callables expanded."""
    n = len(keys)
    fixed = {**_DEFAULTS, **{k: v for k, v in options.items() if not _per_chart(k, v, n)}}
    varying = {k: v for k, v in options.items() if _per_chart(k, v, n)}
    for name, value in varying.items():
        if isinstance(value, list) and len(value) != n:
            raise ValueError(f"{func}: {name} is a list of {len(value)} values, but there are {n} charts")
    if not varying:
        return [fixed] * n
    out = []
    for i, key in enumerate(keys):
        chart = dict(fixed)
        for name, value in varying.items():
            chart[name] = value[i] if isinstance(value, list) else value(key)
        out.append(chart)
    return out


def _signature(value: Any) -> Hashable:
    """A hashable stand-in for an option value, equal for values that prepare the same way."""
    if isinstance(value, pl.Expr):
        return ("expr", value.meta.serialize(format="json"))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(_signature(v) for v in value))
    if isinstance(value, dict):
        return ("dict", *sorted((k, _signature(v)) for k, v in value.items()))
    if isinstance(value, Hashable):
        return value
    return ("id", id(value))


# ---------------------------------------------------------------------------------------------------------------
# Output files.


def _paths(batch: _Batch, keys: Sequence[Any], charts: list[dict[str, Any]]) -> list[Path] | None:
    """One file per chart in ``out_dir``, checked before any work: distinct names, and no existing file unless
    ``overwrite``."""
    if batch.out_dir is None:
        return None
    seen: dict[str, Any] = {}
    paths = []
    for key, chart in zip(keys, charts):
        fmt = str(chart["format"]).lower()
        name = f"{safe_file_stem(key)}.{_EXTENSIONS.get(fmt, fmt)}"
        if name.lower() in seen:
            raise ValueError(
                f"{batch.func}: charts {seen[name.lower()]!r} and {key!r} would both be written to {name!r}"
            )
        seen[name.lower()] = key
        path = batch.out_dir / name
        if not batch.overwrite and path.exists():
            raise FileExistsError(f"{batch.func}: {str(path)!r} exists; pass overwrite=True to replace it")
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------------------------
# Progress.


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(batch: _Batch, total: int) -> Any:
    """A tqdm bar (tqdm.auto, so it also works in Jupyter) when asked for, or automatically for more than 200
    charts (or after 2 s) when output goes to a terminal or a notebook; tqdm is imported only then."""
    if batch.progress is False:
        return _NoBar()
    if batch.progress is None:
        interactive = sys.stderr is not None and (sys.stderr.isatty() or "ipykernel" in sys.modules)
        if not interactive:
            return _NoBar()
    try:
        tqdm = importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        if batch.progress:
            raise ImportError(
                f"{batch.func}: progress=True needs tqdm (pip install 'polars-kimsfinance[progress]')"
            ) from None
        return _NoBar()
    delay = 0.0 if batch.progress or total > _PROGRESS_CHARTS else _PROGRESS_DELAY_S
    return tqdm(total=total, unit="chart", desc=batch.func, delay=delay)


# ---------------------------------------------------------------------------------------------------------------
# Drawing.


def _chart_error(batch: _Batch, label: Any, error: BaseException) -> BaseException:
    """The chart's error as the same exception type, its message naming the chart."""
    message = str(error)
    for prefix in ("render: ", f"{batch.func}: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    try:
        named = type(error)(f"{batch.func}: chart {label!r}: {message}")
    except Exception:
        named = RuntimeError(f"{batch.func}: chart {label!r}: {message}")
    named.__cause__ = error
    return named


def _draw(
    batch: _Batch,
    df: pl.DataFrame,
    offsets: list[int],
    labels: Sequence[Any],
    charts: list[dict[str, Any]],
    paths: list[Path] | None,
    bar: Any,
) -> list[Any]:
    """Draws the charts laid end to end in ``df`` (chart ``i`` = rows ``offsets[i]..offsets[i + 1]``, told apart
    by the column ``__kf_chart``): one preparation per group of charts with the same query options."""
    n = len(charts)
    results: list[Any] = [None] * n
    # Options checked up front (one check per distinct set), so that bad input fails before any drawing.
    checked: dict[int, Any] = {}
    opts = []
    for i, chart in enumerate(charts):
        if id(chart) not in checked:
            try:
                checked[id(chart)] = (
                    _check_options(**{k: chart[k] for k in _CHECKED}),
                    check_engine("render", chart["engine"]),
                    _check_decorations(**{k: chart[k] for k in _DECORATIONS}),
                    check_annotations(**{k: chart[k] for k in _ANNOTATIONS}),
                )
            except (TypeError, ValueError) as e:
                raise _chart_error(batch, labels[i], e) from None
        opts.append(checked[id(chart)])
    groups: dict[Hashable, list[int]] = {}
    for i, chart in enumerate(charts):
        if offsets[i + 1] == offsets[i]:
            results[i] = ValueError("render: the frame is empty (0 rows); nothing to draw")
            bar.update(1)
            continue
        groups.setdefault(tuple(_signature(chart[k]) for k in _QUERY_OPTIONS), []).append(i)
    for members in groups.values():
        if len(members) == n:
            part, part_offsets = df, offsets
        else:
            part = pl.concat([df.slice(offsets[i], offsets[i + 1] - offsets[i]) for i in members])
            part_offsets = [0, *itertools.accumulate(offsets[i + 1] - offsets[i] for i in members)]
        _draw_group(batch, part, part_offsets, members, [opts[i] for i in members], charts, paths, results, bar)
    return results


_CHECKED = (
    "kind",
    "fill",
    "width",
    "height",
    "theme",
    "format",
    "speed",
    "antialias",
    "colors",
    "title",
    "volume",
    "box_size",
    "reversal",
    "overlays",
    "panels",
    "scale",
    "style",
)
_DECORATIONS = tuple(inspect.signature(_check_decorations).parameters)
_ANNOTATIONS = ("hlines", "vlines", "alines", "tlines", "fill_between", "markers", "yscale", "marketcolor_overrides")


def _draw_group(
    batch: _Batch,
    df: pl.DataFrame,
    offsets: list[int],
    members: list[int],
    opts: list[Any],
    charts: list[dict[str, Any]],
    paths: list[Path] | None,
    results: list[Any],
    bar: Any,
) -> None:
    first = charts[members[0]]
    t0 = _time.perf_counter()
    try:
        prep = _prepare(
            df,
            opts[0][0],
            {r: first[r] for r in ("open", "high", "low", "close")},
            first["volume"],
            first["time"],
            offsets,
            key=_CHART,
            ann=opts[0][3],
        )
    except (TypeError, ValueError) as e:
        # Missing or mistyped columns: every chart of the group fails the same way.
        for i in members:
            results[i] = e
            bar.update(1)
        return
    prepare_ms = (_time.perf_counter() - t0) * 1000.0 / len(members)
    kind = opts[0][0].kind
    args = []
    failures = dict(prep.failures)
    for j, i in enumerate(members):
        o, engine, decor, ann = opts[j]
        chart = charts[i]
        n = offsets[j + 1] - offsets[j]
        times = None if prep.bars is None or prep.bars[0] is None else prep.bars[0].slice(offsets[j], n)
        try:
            lines = chart_lines(ann, times, cut_marks(prep.marks, offsets[j], n).tlines, n)
        except ValueError as e:
            failures.setdefault(j, e)
            lines = None
        args.append(
            (
                o.width,
                o.height,
                o.theme,
                o.colors,
                prep.volume,
                o.antialias,
                chart["title"],
                o.format,
                o.speed,
                engine,
                (prep.box_sizes[j], o.reversal),
                {**decor, "lines": lines},
            )
        )
    todo = [j for j in range(len(members)) if j not in failures]
    for j, failure in failures.items():
        results[members[j]] = failure
    bar.update(len(failures))
    for start in range(0, len(todo), _STEP):
        chunk = todo[start : start + _STEP]
        # Consecutive charts of the chunk are contiguous rows only when no chart in between failed; otherwise
        # each chart's range is passed as is (offsets may then repeat rows: Rust reads ranges, never writes).
        lo = [offsets[j] for j in chunk]
        hi = [offsets[j + 1] for j in chunk]
        t1 = _time.perf_counter()
        out = _render_ranges(batch, kind, prep, lo, hi, [args[j] for j in chunk], paths, [members[j] for j in chunk])
        call_ms = (_time.perf_counter() - t1) * 1000.0 / len(chunk)
        for j, entry in zip(chunk, out):
            i = members[j]
            if isinstance(entry, BaseException):
                results[i] = entry
                continue
            data, w, h, fmt, timings = entry
            timings = {"prepare_ms": prepare_ms, "call_ms": call_ms, **timings}
            results[i] = (
                paths[i] if paths is not None else ChartImage(data, width=w, height=h, format=fmt, timings=timings)
            )
        bar.update(len(chunk))


def _render_ranges(
    batch: _Batch,
    kind: str,
    prep: Any,
    lo: list[int],
    hi: list[int],
    args: list[Any],
    paths: list[Path] | None,
    indexes: list[int],
) -> list[Any]:
    """One call into Rust for charts whose rows are ``lo[k]..hi[k]``: contiguous ranges become one offsets list;
    otherwise the charts go one contiguous run at a time."""
    out: list[Any] = []
    k = 0
    while k < len(lo):
        end = k + 1
        while end < len(lo) and lo[end] == hi[end - 1]:
            end += 1
        run_paths = None if paths is None else [str(paths[i]) for i in indexes[k:end]]
        # Only the run's rows travel (zero-copy slices), its offsets counted from the first of them.
        first, length = lo[k], hi[end - 1] - lo[k]
        cut = _cut(prep, first, length)
        out.extend(
            _internal._render_batch(
                kind,
                [0, *(h - first for h in hi[k:end])],
                args[k:end],
                cut.bars,
                bricks=cut.bricks,
                brick_times=cut.brick_times,
                overlays=cut.overlays,
                panels=cut.panels,
                fills=cut.marks.fills,
                markers=cut.marks.markers,
                bar_colors=cut.marks.bar_colors,
                workers=batch.workers,
                paths=run_paths,
            )
        )
        k = end
    return out


def _cut(prep: Any, offset: int, length: int) -> Any:
    """The prepared columns' rows ``offset .. offset + length`` (``Series.slice``: no copy)."""

    def cut(s: pl.Series | None) -> pl.Series | None:
        return None if s is None else s.slice(offset, length)

    def lines(ls: list[Any]) -> list[Any]:
        return [(label, cut(values), *look) for label, values, *look in ls]

    return prep._replace(
        bars=None if prep.bars is None else tuple(cut(s) for s in prep.bars),
        bricks=None if prep.bricks is None else (cut(prep.bricks[0]), cut(prep.bricks[1])),
        brick_times=cut(prep.brick_times),
        overlays=lines(prep.overlays),
        panels=[(title, lines(ls), cut(hist), levels, look) for title, ls, hist, levels, look in prep.panels],
        marks=cut_marks(prep.marks, offset, length),
    )


def _finish(batch: _Batch, labels: Sequence[Any], results: list[Any]) -> list[Any]:
    """Names the chart in each error; with ``errors="raise"`` raises the first one (every chart has finished)."""
    failed = 0
    first: BaseException | None = None
    for i, r in enumerate(results):
        if isinstance(r, BaseException):
            results[i] = _chart_error(batch, labels[i], r)
            failed += 1
            first = first or results[i]
    if first is not None and batch.errors == "raise":
        if failed > 1:
            first.args = (f"{first.args[0]} ({failed - 1} other chart(s) failed too)", *first.args[1:])
        raise first
    return results


# ---------------------------------------------------------------------------------------------------------------
# Frames in, charts out.


def _collect(
    func: str, frames: Sequence[Any], charts: list[dict[str, Any]], labels: Sequence[Any]
) -> list[pl.DataFrame]:
    """DataFrames as they are, LazyFrames collected together (only the columns their chart needs)."""
    lazy = []
    for i, f in enumerate(frames):
        if isinstance(f, pl.LazyFrame):
            lazy.append(i)
        elif not isinstance(f, pl.DataFrame):
            raise TypeError(
                f"{func}: chart {labels[i]!r}: expected a polars DataFrame or LazyFrame, got {type(f).__name__}"
            )
    out = list(frames)
    if lazy:
        collected = pl.collect_all([frames[i].select(_needed_columns(frames[i], charts[i])) for i in lazy])
        for i, df in zip(lazy, collected):
            out[i] = df
    return out


def _render_frames(
    batch: _Batch, frames: Sequence[Any], kind: Any, options: dict[str, Any], bar: Any, start: int = 0
) -> list[Any]:
    """Charts of a list of frames (numbered from ``start``), grouped by schema and laid end to end (one chart
    number per frame)."""
    n = len(frames)
    labels = list(range(start, start + n))
    charts = _chart_options(batch.func, {"kind": kind, **options}, labels)
    dfs = _collect(batch.func, frames, charts, labels)
    paths = _paths(batch, labels, charts)
    results: list[Any] = [None] * n
    by_schema: dict[tuple[Any, ...], list[int]] = {}
    for i, df in enumerate(dfs):
        by_schema.setdefault(tuple(df.schema.items()), []).append(i)
    for members in by_schema.values():
        heights = [dfs[i].height for i in members]
        offsets = [0, *itertools.accumulate(heights)]
        ids = pl.Series(_CHART, range(len(members)), dtype=pl.UInt32)
        chart_col = pl.select(pl.lit(ids).repeat_by(pl.lit(pl.Series(heights))).explode()).to_series()
        long = pl.concat([dfs[i] for i in members], rechunk=True)
        if long.height:
            long = long.with_columns(chart_col.alias(_CHART))
        part = _draw(
            batch,
            long,
            offsets,
            [labels[i] for i in members],
            [charts[i] for i in members],
            None if paths is None else [paths[i] for i in members],
            bar,
        )
        for i, r in zip(members, part):
            results[i] = r
    return _finish(batch, labels, results)


def render_many(
    frames: Iterable[pl.DataFrame | pl.LazyFrame],
    kind: Any = "candle",
    *,
    workers: int | None = None,
    errors: str = "raise",
    progress: bool | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> list[Any]:
    """Draw one chart per frame, in parallel on all cores.

    Parameters
    ----------
    frames : iterable of pl.DataFrame or pl.LazyFrame
        One chart each (LazyFrames are collected together, only the columns a chart reads). An empty list gives an
        empty list.
    kind, **options
        Every option of ``render`` (``width``, ``overlays``, ``title``, ...). An option may differ per chart: a
        list of one value per chart (for ``overlays`` / ``panels``: a list of lists) or a callable taking the
        chart's index (``title=lambda i: f"chart {i}"``).
    workers : int, optional
        Threads that draw, the calling one included (default: all cores, capped by ``POLARS_MAX_THREADS``).
    errors : {"raise", "collect"}, default "raise"
        A failing chart raises an error naming its index and the cause once the other charts have finished;
        ``"collect"`` puts the exception in that chart's place instead.
    progress : bool, optional
        A tqdm progress bar (``pip install polars-kimsfinance[progress]``); default: for more than 200 charts or
        2 s when output goes to a terminal or a notebook.
    out_dir : path, optional
        Write chart ``i`` to ``out_dir/i.<format>`` (written under a temporary name, then renamed: never a partial
        file) and return the paths instead of the images. An existing file is an error unless ``overwrite=True``;
        an ``out_dir`` that is a file raises NotADirectoryError, one that cannot be created or written PermissionError.

    Returns
    -------
    list of ChartImage (or of Path with ``out_dir``), in the order of ``frames``.

    Examples
    --------
    >>> import polars_kimsfinance as kf
    >>> frames = [kf.sample_ohlcv(60, seed=s) for s in range(3)]
    >>> charts = kf.render_many(frames, width=320, height=200, title=lambda i: f"#{i}")
    >>> [(c.width, c.height) for c in charts]
    [(320, 200), (320, 200), (320, 200)]
    """
    batch = _check_batch("render_many", workers, errors, progress, out_dir, overwrite, options)
    frames = list(frames)
    if not frames:
        return []
    bar = _progress_bar(batch, len(frames))
    try:
        return _render_frames(batch, frames, kind, options, bar)
    finally:
        bar.close()


def iter_render(
    frames: Iterable[pl.DataFrame | pl.LazyFrame],
    kind: Any = "candle",
    *,
    workers: int | None = None,
    errors: str = "raise",
    out_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> Iterator[Any]:
    """Like :func:`render_many`, but yields the charts in order as they are drawn, reading ``frames`` as it goes:
    at most ``2 * workers`` charts are in flight, so memory stays bounded however long the stream. A callable
    option gets the chart's index in the stream; a list option is not accepted (the stream's length is unknown).
    """
    batch = _check_batch("iter_render", workers, errors, False, out_dir, overwrite, options)
    for name, value in options.items():
        if _per_chart(name, value, 0) and not callable(value):
            raise TypeError(f"iter_render: {name} must be one value or a callable index -> value, not a list")
    it = iter(frames)
    start = 0
    while True:
        chunk = list(itertools.islice(it, 2 * batch.workers))
        if not chunk:
            return
        yield from _render_frames(batch, chunk, kind, options, _NoBar(), start)
        start += len(chunk)


def _render_by(
    frame: pl.DataFrame | pl.LazyFrame,
    key: str,
    kind: Any = "candle",
    *,
    sort: bool = False,
    workers: int | None = None,
    errors: str = "raise",
    progress: bool | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> dict[Any, Any]:
    """One chart per value of ``key`` (groups in order of first appearance, or of key with ``sort=True``),
    returning ``{key: ChartImage}`` (``{key: Path}`` with ``out_dir``). Options as in :func:`render_many`; a
    callable option gets the chart's key. Rows with a null key form a chart of their own, keyed ``None`` (file
    ``null.<format>``)."""
    batch = _check_batch("render_by", workers, errors, progress, out_dir, overwrite, options)
    if not isinstance(key, str):
        raise TypeError(f"render_by: key must be a column name, got {key!r}")
    if not isinstance(sort, bool):
        raise TypeError(f"render_by: sort must be True or False, got {sort!r}")
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    if key not in names:
        raise ValueError(f"render_by: no key column {key!r} among {names}")
    if isinstance(frame, pl.LazyFrame):
        needed = _needed_columns(frame, {**_DEFAULTS, **{k: v for k, v in options.items() if not callable(v)}})
        frame = frame.select(list(dict.fromkeys([key, *needed]))).collect()
    if frame.height == 0:
        return {}
    # Chart numbers in order of first appearance (or of key; nulls last), then the rows of each chart together.
    if sort:
        order = pl.col(key).rank("dense")
        order = order.fill_null(order.max().fill_null(0) + 1)
        df = frame.with_columns((order - 1).cast(pl.UInt32).alias(_CHART))
    else:
        first_row = pl.col(_CHART).min().over(key).rank("dense")
        df = frame.with_row_index(_CHART).with_columns((first_row - 1).cast(pl.UInt32).alias(_CHART))
    df = df.sort(_CHART, maintain_order=True)
    lengths = df.group_by(_CHART, maintain_order=True).len().get_column("len").to_list()
    offsets = [0, *itertools.accumulate(lengths)]
    keys = df.get_column(key).gather(offsets[:-1]).to_list()
    bar = _progress_bar(batch, len(keys))
    try:
        charts = _chart_options(batch.func, {"kind": kind, **options}, keys)
        paths = _paths(batch, keys, charts)
        results = _draw(batch, df, offsets, keys, charts, paths, bar)
    finally:
        bar.close()
    return dict(zip(keys, _finish(batch, keys, results)))


def _dataframe_render_by(self: Any, key: str, kind: Any = "candle", **kwargs: Any) -> dict[Any, Any]:
    return _render_by(self._frame, key, kind, **kwargs)


def _lazyframe_render_by(self: Any, key: str, kind: Any = "candle", **kwargs: Any) -> dict[Any, Any]:
    return _render_by(self._frame, key, kind, **kwargs)


_dataframe_render_by.__doc__ = _lazyframe_render_by.__doc__ = _render_by.__doc__
_dataframe_render_by.__name__ = _lazyframe_render_by.__name__ = "render_by"
setattr(DataFrameNamespace, "render_by", _dataframe_render_by)
setattr(LazyFrameNamespace, "render_by", _lazyframe_render_by)

__all__ = ["iter_render", "render_many"]
