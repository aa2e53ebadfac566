"""Chart annotations of ``render``: horizontal, vertical, free and trend lines, shaded regions, signal markers and
the price scale.

Three steps, so that one chart and every chart of a batch go the same way:

1. :func:`check_annotations` checks what the caller wrote, before any frame is read, into :class:`Annotations`.
2. :func:`annotation_exprs` turns the shaded regions, the markers and the trend-line sources into expressions that
   run in the chart's one Polars query (``.over`` the chart number in a batch).
3. :func:`chart_lines` places the lines of one chart: times become that chart's rows, trend lines take their
   prices from the chart's values. The result is the binding's ``LinesArg``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, NamedTuple, Optional, Union

import polars as pl

from . import _internal

_FUNC = "render"

#: Line styles and marker shapes, from the renderer itself (src/render/annotations.rs), so they cannot drift apart.
LINE_STYLES: tuple[str, ...] = tuple(_internal.LINE_STYLES)
MARKER_SHAPES: tuple[str, ...] = tuple(_internal.MARKER_SHAPES)
# matplotlib's spellings; a dash-dot line is drawn dashed.
_STYLE_ALIASES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dashed", "dashdot": "dashed"}
_SHAPE_ALIASES = {"^": "triangle_up", "v": "triangle_down", "o": "circle", "s": "square", "d": "diamond", "x": "cross"}
_SHAPE_ALIASES.update({"D": "diamond", "X": "cross", "+": "cross"})


def line_style(value: Any) -> str | None:
    """A line style name or matplotlib spelling as one of :data:`LINE_STYLES`, or None."""
    if not isinstance(value, str):
        return None
    style = _STYLE_ALIASES.get(value, value.lower())
    return style if style in LINE_STYLES else None


def marker_shape(value: Any) -> str | None:
    """A marker shape name or matplotlib marker as one of :data:`MARKER_SHAPES`, or None."""
    if not isinstance(value, str):
        return None
    shape = _SHAPE_ALIASES.get(value, value.lower().replace("-", "_"))
    return shape if shape in MARKER_SHAPES else None


_PRICE_ROLES = ("close", "open", "high", "low")
_TLINE_METHODS = ("point-to-point", "least-squares")

#: ``(colour, width, style, label)`` as the binding's ``LookArg``.
Look = tuple[Optional[str], float, str, Optional[str]]
#: ``(hlines, vlines, alines, log_scale)`` as the binding's ``LinesArg``.
LinesArg = tuple[list[tuple[float, Look]], list[tuple[int, Look]], list[tuple[list[tuple[int, float]], Look]], bool]
#: Where a value comes from: a number, a column name, an expression, or one value per bar.
Source = Union[float, str, pl.Expr, pl.Series]


class _Fill(NamedTuple):
    y1: Source
    y2: Source
    where: Source | None
    color: str | None
    alpha: int
    label: str | None
    #: The panel shaded, as the binding names it: ``"price"``, ``"volume"`` or a sub-panel's index.
    panel: str = "price"


class _Markers(NamedTuple):
    signal: Source
    at: Source
    shape: str
    size: float
    color: str | None
    label: str | None


class _TLine(NamedTuple):
    start: Any
    end: Any
    use: Source
    method: str
    look: Look


class Annotations(NamedTuple):
    """The checked annotations of one chart (or of every chart of a batch group)."""

    hlines: list[tuple[float, Look]]
    vlines: list[tuple[Any, Look]]
    alines: list[tuple[list[tuple[Any, float]], Look]]
    tlines: list[_TLine]
    fills: list[_Fill]
    markers: list[_Markers]
    log_scale: bool
    #: Per bar, a colour replacing the up / down colour (a column name, expression, Series or list; null: default).
    bar_colors: Any = None

    @property
    def queried(self) -> bool:
        """Whether the chart's query computes something for them."""
        return bool(self.fills or self.markers or self.tlines) or self.bar_colors is not None

    @property
    def empty(self) -> bool:
        return not (self.hlines or self.vlines or self.alines or self.queried)


NO_ANNOTATIONS = Annotations([], [], [], [], [], [], False)


# ---------------------------------------------------------------------------------------------------------------
# Step 1: what the caller wrote.


def _fail(name: str, message: str, value: Any) -> ValueError:
    return ValueError(f"{_FUNC}: {name} {message}, got {value!r}")


_FORMS = {
    "hlines": "a price, a dict or a list of them",
    "vlines": "a row number, a time, a dict or a list of them",
    "alines": "a list of (time or row, price) points, a dict or a list of them",
    "tlines": "a (start, end) pair, a dict or a list of them",
    "fill_between": "a dict, a value per bar or a list of dicts",
    "markers": "a boolean expression, column name or Series, a dict or a list of them",
}


def _entries(name: str, value: Any, single: Any) -> list[Any]:
    """``None`` -> no entry; one entry (``single(value)`` true) -> a list of it; a list or tuple -> its entries."""
    if value is None:
        return []
    if single(value):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TypeError(f"{_FUNC}: {name} must be {_FORMS[name]}, got {value!r}")


def _price(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise _fail(name, "must be a finite number", value)
    return float(value)


def _look(name: str, spec: Mapping[str, Any], allowed: Sequence[str]) -> Look:
    unknown = [k for k in spec if k not in allowed]
    if unknown:
        raise ValueError(f"{_FUNC}: {name} has an unknown key {unknown[0]!r}; keys: {', '.join(allowed)}")
    from .chart import _color, _text

    color = spec.get("color")
    if color is not None:
        _color(f"{name} color", color)
    width = spec.get("width", 0.0)
    if (
        isinstance(width, bool)
        or not isinstance(width, Real)
        or not (math.isfinite(width) and 0 <= float(width) <= 2000)
    ):
        raise _fail(f"{name} width", "must be a number from 0 to 2000 (pixels; 0: the chart's line width)", width)
    style = line_style(spec.get("style", "solid"))
    if style is None:
        raise _fail(f"{name} style", f"must be one of {', '.join(LINE_STYLES)}", spec.get("style"))
    return (color, float(width), style, _text(f"{name} label", spec.get("label")))


_LOOK_KEYS = ("color", "width", "style", "label")


def _is_position(value: Any) -> bool:
    """A row number or a time: anything that is neither a container nor a price."""
    return isinstance(value, (Integral, str, _dt.date)) or type(value).__name__ in ("datetime64", "Timestamp")


def _check_position(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not _is_position(value):
        raise _fail(name, "must be a row number or a time (date, datetime, ISO string)", value)
    if isinstance(value, Integral) and int(value) < 0:
        raise _fail(name, "must be a row number >= 0", value)
    return int(value) if isinstance(value, Integral) else value


def _straight_lines(option: str, key: str, what: str, value: Any, read: Any, single: Any) -> list[tuple[Any, Look]]:
    """``hlines`` / ``vlines``: each entry a bare value or a dict with the value under ``key`` and the look keys."""
    out = []
    for i, entry in enumerate(_entries(option, value, single)):
        name = f"{option}[{i}]"
        if isinstance(entry, Mapping):
            if key not in entry:
                raise ValueError(f"{_FUNC}: {name} needs the {what} as {key!r}, got {dict(entry)!r}")
            out.append((read(f"{name} {key}", entry[key]), _look(name, entry, (key, *_LOOK_KEYS))))
        else:
            out.append((read(name, entry), _look(name, {}, _LOOK_KEYS)))
    return out


def _hlines(value: Any) -> list[tuple[float, Look]]:
    return _straight_lines("hlines", "y", "price", value, _price, lambda v: isinstance(v, (Real, Mapping)))


def _vlines(value: Any) -> list[tuple[Any, Look]]:
    single = lambda v: isinstance(v, Mapping) or _is_position(v)  # noqa: E731
    return _straight_lines("vlines", "x", "time or row", value, _check_position, single)


def _is_point(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 2 and _is_position(value[0])


def _alines(value: Any) -> list[tuple[list[tuple[Any, float]], Look]]:
    out = []
    # One line is a sequence of points; many lines are a sequence of lines (or dicts).
    single = lambda v: isinstance(v, Mapping) or (isinstance(v, (list, tuple)) and bool(v) and _is_point(v[0]))  # noqa: E731
    for i, entry in enumerate(_entries("alines", value, single)):
        name = f"alines[{i}]"
        spec: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {"points": entry}
        points = spec.get("points")
        if not isinstance(points, (list, tuple)) or len(points) < 2 or not all(_is_point(p) for p in points):
            raise _fail(name, "must be a list of at least 2 (time or row, price) points", points)
        checked = [
            (_check_position(f"{name} point {j}", p[0]), _price(f"{name} point {j} price", p[1]))
            for j, p in enumerate(points)
        ]
        out.append((checked, _look(name, spec, ("points", *_LOOK_KEYS))))
    return out


def _is_array(value: Any) -> bool:
    return type(value).__name__ == "ndarray"


def _source(name: str, value: Any, *, boolean: bool = False) -> Source:
    """A number, a column name, an expression, or one value per bar (a Series, numpy array or list)."""
    if isinstance(value, (pl.Expr, pl.Series, str)):
        return value
    if not boolean and isinstance(value, Real) and not isinstance(value, bool):
        return _price(name, value)
    if isinstance(value, Sequence) or _is_array(value):
        try:
            return pl.Series(name, value, dtype=pl.Boolean if boolean else pl.Float64, strict=False)
        except (TypeError, ValueError, OverflowError) as e:
            raise _fail(name, f"could not be read as {'booleans' if boolean else 'numbers'} ({e})", value) from None
    kinds = "a boolean expression, column name or Series" if boolean else "a number, column name, expression or Series"
    raise TypeError(f"{_FUNC}: {name} must be {kinds}, got {type(value).__name__}")


def _tlines(value: Any) -> list[_TLine]:
    out = []
    single = lambda v: isinstance(v, Mapping) or _is_point(v)  # noqa: E731
    for i, entry in enumerate(_entries("tlines", value, single)):
        name = f"tlines[{i}]"
        spec: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {"between": entry}
        between: Any = spec.get("between")
        if not _is_point(between) or not _is_position(between[1]):
            raise _fail(name, "must give two times or rows, as (start, end)", between)
        use = spec.get("use", "close")
        if isinstance(use, str) and use.lower() not in _PRICE_ROLES:
            raise _fail(f"{name} use", f"must be one of {', '.join(_PRICE_ROLES)} or an expression", use)
        method = spec.get("method", "point-to-point")
        if method not in _TLINE_METHODS:
            raise _fail(f"{name} method", f"must be one of {', '.join(_TLINE_METHODS)}", method)
        out.append(
            _TLine(
                _check_position(f"{name} start", between[0]),
                _check_position(f"{name} end", between[1]),
                use.lower() if isinstance(use, str) else _source(f"{name} use", use),
                method,
                _look(name, spec, ("between", "use", "method", *_LOOK_KEYS)),
            )
        )
    return out


def _alpha(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 1.0:
        raise _fail(name, "must be a number from 0 to 1", value)
    return round(float(value) * 255)


def _fills(value: Any) -> list[_Fill]:
    from .chart import _color, _text

    out = []
    single = lambda v: isinstance(v, (Mapping, pl.Expr, pl.Series, str, Real)) or _is_array(v)  # noqa: E731
    entries = _entries("fill_between", value, single)
    if entries and all(isinstance(v, Real) for v in entries) and not isinstance(value, Real):
        entries = [value]  # mplfinance's form: one value per bar as a plain list
    keys = ("y1", "y2", "where", "color", "alpha", "label", "panel")
    for i, entry in enumerate(entries):
        name = f"fill_between[{i}]"
        spec: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {"y1": entry}
        unknown = [k for k in spec if k not in keys]
        if unknown:
            raise ValueError(f"{_FUNC}: {name} has an unknown key {unknown[0]!r}; keys: {', '.join(keys)}")
        if "y1" not in spec:
            raise ValueError(f"{_FUNC}: {name} needs 'y1' (and optionally 'y2', default 0), got {dict(spec)!r}")
        color = spec.get("color")
        if color is not None:
            _color(f"{name} color", color)
        where = spec.get("where")
        out.append(
            _Fill(
                _source(f"{name} y1", spec["y1"]),
                _source(f"{name} y2", spec.get("y2", 0.0)),
                None if where is None else _source(f"{name} where", where, boolean=True),
                color,
                _alpha(f"{name} alpha", spec.get("alpha", 0.25)),
                _text(f"{name} label", spec.get("label")),
                _fill_panel(name, spec.get("panel", "price")),
            )
        )
    return out


def _fill_panel(name: str, value: Any) -> str:
    """A fill's ``panel``: ``"price"``, ``"volume"`` or the index of an entry of ``panels`` (from 0)."""
    if value in ("price", "volume"):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    raise _fail(f"{name} panel", "must be 'price', 'volume' or the index of an entry of panels (from 0)", value)


def _markers(value: Any) -> list[_Markers]:
    from .chart import _color, _text

    out = []
    single = lambda v: isinstance(v, (Mapping, pl.Expr, pl.Series, str)) or _is_array(v)  # noqa: E731
    keys = ("signal", "at", "shape", "size", "color", "label")
    entries = _entries("markers", value, single)
    if entries and all(isinstance(v, bool) for v in entries):
        entries = [value]  # one flag per bar as a plain list
    for i, entry in enumerate(entries):
        name = f"markers[{i}]"
        spec: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {"signal": entry}
        unknown = [k for k in spec if k not in keys]
        if unknown:
            raise ValueError(f"{_FUNC}: {name} has an unknown key {unknown[0]!r}; keys: {', '.join(keys)}")
        if "signal" not in spec:
            raise ValueError(f"{_FUNC}: {name} needs 'signal' (a boolean column or expression), got {dict(spec)!r}")
        shape = marker_shape(spec.get("shape", "triangle_up"))
        if shape is None:
            raise _fail(f"{name} shape", f"must be one of {', '.join(MARKER_SHAPES)}", spec.get("shape"))
        size = spec.get("size", 0.0)
        if (
            isinstance(size, bool)
            or not isinstance(size, Real)
            or not (math.isfinite(size) and 0 <= float(size) <= 200)
        ):
            raise _fail(f"{name} size", "must be a number from 0 to 200 (pixels; 0: scaled with the font)", size)
        at = spec.get("at", "close")
        if isinstance(at, str) and at.lower() not in _PRICE_ROLES:
            raise _fail(f"{name} at", f"must be one of {', '.join(_PRICE_ROLES)}, a number or an expression", at)
        color = spec.get("color")
        if color is not None:
            _color(f"{name} color", color)
        signal = spec["signal"]
        out.append(
            _Markers(
                signal if isinstance(signal, str) else _source(f"{name} signal", signal, boolean=True),
                at.lower() if isinstance(at, str) else _source(f"{name} at", at),
                shape,
                float(size),
                color,
                _text(f"{name} label", spec.get("label")),
            )
        )
    return out


def _bar_colors(value: Any) -> Any:
    if value is None or isinstance(value, (str, pl.Expr)):
        return value
    if isinstance(value, pl.Series) or (isinstance(value, Sequence) and not isinstance(value, str)) or _is_array(value):
        try:
            series = pl.Series("marketcolor_overrides", value, dtype=pl.String, strict=False)
        except (TypeError, ValueError) as e:
            raise _fail("marketcolor_overrides", f"could not be read as colours ({e})", value) from None
        return series
    raise TypeError(
        f"{_FUNC}: marketcolor_overrides must be a column name, expression, Series or list of colours, got "
        f"{type(value).__name__}"
    )


def check_annotations(
    *,
    hlines: Any,
    vlines: Any,
    alines: Any,
    tlines: Any,
    fill_between: Any,
    markers: Any,
    yscale: Any,
    marketcolor_overrides: Any = None,
) -> Annotations:
    """Every annotation option checked, before any frame is read."""
    if not isinstance(yscale, str) or yscale.lower() not in ("linear", "log"):
        raise _fail("yscale", "must be 'linear' or 'log'", yscale)
    return Annotations(
        _hlines(hlines),
        _vlines(vlines),
        _alines(alines),
        _tlines(tlines),
        _fills(fill_between),
        _markers(markers),
        yscale.lower() == "log",
        _bar_colors(marketcolor_overrides),
    )


# ---------------------------------------------------------------------------------------------------------------
# Step 2: the values the query computes.


def _expr(value: Source, columns: _Columns, name: str) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value
    if isinstance(value, str):
        column = columns.roles.get(value, value)
        if column not in columns.names:
            raise ValueError(f"{_FUNC}: {name} names no column of the frame: {value!r}; columns: {columns.names}")
        return pl.col(column)
    if isinstance(value, pl.Series):
        if columns.batch:
            raise TypeError(f"{_FUNC}: in a batch, {name} is a pl.Expr or a column name (per chart), not a Series")
        if value.len() != columns.height:
            raise ValueError(f"{_FUNC}: {name} has {value.len()} values, expected {columns.height} (one per bar)")
        return pl.lit(value)
    return pl.lit(float(value))


class _Columns(NamedTuple):
    names: list[str]
    roles: Mapping[str, str]
    height: int
    batch: bool


def annotation_exprs(
    ann: Annotations, names: list[str], roles: Mapping[str, str], height: int, batch: bool
) -> list[pl.Expr]:
    """The expressions of the fills (``__kf_fill<i>_y1`` / ``_y2`` / ``_where``), the markers (``__kf_mark<i>`` and
    ``__kf_signal<i>``) and the trend lines' sources (``__kf_tline<i>``), for the chart's one query; ``roles`` maps
    ``close`` / ``high`` / ... to the frame's columns."""
    columns = _Columns(names, roles, height, batch)
    out = []
    for i, f in enumerate(ann.fills):
        name = f"fill_between[{i}]"
        out.append(_expr(f.y1, columns, f"{name} y1").alias(f"__kf_fill{i}_y1"))
        out.append(_expr(f.y2, columns, f"{name} y2").alias(f"__kf_fill{i}_y2"))
        if f.where is not None:
            out.append(_expr(f.where, columns, f"{name} where").alias(f"__kf_fill{i}_where"))
    for i, m in enumerate(ann.markers):
        out.append(_expr(m.signal, columns, f"markers[{i}] signal").alias(f"__kf_signal{i}"))
        out.append(_expr(m.at, columns, f"markers[{i}] at").alias(f"__kf_mark{i}"))
    for i, t in enumerate(ann.tlines):
        out.append(_expr(t.use, columns, f"tlines[{i}] use").alias(f"__kf_tline{i}"))
    if ann.bar_colors is not None:
        value = ann.bar_colors
        # A string names a column here: a colour for every bar would be `colors=`.
        out.append(_expr(value, columns, "marketcolor_overrides").alias("__kf_bar_colors"))
    return out


class Marks(NamedTuple):
    """The evaluated annotation columns, full length, as the binding's ``fills`` / ``markers`` arguments, and the
    trend lines' source values."""

    fills: list[tuple[pl.Series, pl.Series, str | None, int, str | None, str]]
    markers: list[tuple[pl.Series, str, float, str | None, str | None]]
    tlines: list[pl.Series]
    bar_colors: pl.Series | None = None


NO_MARKS = Marks([], [], [])


def _checked_colors(out: pl.DataFrame) -> pl.Series:
    from .chart import _HEX

    colors = out.get_column("__kf_bar_colors")
    if colors.dtype not in (pl.String, pl.Null):
        raise TypeError(f"{_FUNC}: marketcolor_overrides has dtype {colors.dtype}; expected String colours")
    colors = pl.Series(colors.name, colors, dtype=pl.String)
    bad = colors.filter(~colors.str.contains(f"^{_HEX.pattern}$"))
    if bad.len():
        raise ValueError(
            f"{_FUNC}: marketcolor_overrides must hold colours '#RGB', '#RRGGBB' or '#RRGGBBAA' (or null), got "
            f"{bad[0]!r}"
        )
    return colors


def _numbers(name: str, out: pl.DataFrame, column: str) -> pl.Expr:
    dtype = out.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Null):
        raise TypeError(f"{_FUNC}: {name} has dtype {dtype}; expected numbers")
    return pl.col(column).cast(pl.Float64)


def _mask(name: str, out: pl.DataFrame, column: str) -> pl.Expr:
    dtype = out.schema[column]
    if dtype not in (pl.Boolean, pl.Null):
        raise TypeError(f"{_FUNC}: {name} has dtype {dtype}; expected Boolean (true: drawn)")
    return pl.col(column)


def marks_of(ann: Annotations, out: pl.DataFrame) -> Marks:
    """The columns :func:`annotation_exprs` computed, checked, with the ``where`` masks and marker signals applied
    (a masked row is null: not shaded, no marker)."""
    if not ann.queried:
        return NO_MARKS
    exprs = []
    for i, f in enumerate(ann.fills):
        name = f"fill_between[{i}]"
        y1 = _numbers(f"{name} y1", out, f"__kf_fill{i}_y1")
        if f.where is not None:
            y1 = pl.when(_mask(f"{name} where", out, f"__kf_fill{i}_where")).then(y1).otherwise(None)
        exprs += [y1.alias(f"y1_{i}"), _numbers(f"{name} y2", out, f"__kf_fill{i}_y2").alias(f"y2_{i}")]
    for i in range(len(ann.markers)):
        at = _numbers(f"markers[{i}] at", out, f"__kf_mark{i}")
        signal = _mask(f"markers[{i}] signal", out, f"__kf_signal{i}")
        exprs.append(pl.when(signal).then(at).otherwise(None).alias(f"m_{i}"))
    exprs += [_numbers(f"tlines[{i}] use", out, f"__kf_tline{i}").alias(f"t_{i}") for i in range(len(ann.tlines))]
    done = out.select(exprs)
    fills = [
        (done.get_column(f"y1_{i}"), done.get_column(f"y2_{i}"), f.color, f.alpha, f.label, f.panel)
        for i, f in enumerate(ann.fills)
    ]
    markers = [(done.get_column(f"m_{i}"), m.shape, m.size, m.color, m.label) for i, m in enumerate(ann.markers)]
    tlines = [done.get_column(f"t_{i}") for i in range(len(ann.tlines))]
    return Marks(fills, markers, tlines, None if ann.bar_colors is None else _checked_colors(out))


def cut_marks(marks: Marks, offset: int, length: int) -> Marks:
    """Rows ``offset .. offset + length`` of every column (``Series.slice``: no copy)."""
    return Marks(
        [
            (y1.slice(offset, length), y2.slice(offset, length), color, alpha, label, panel)
            for y1, y2, color, alpha, label, panel in marks.fills
        ],
        [(s.slice(offset, length), shape, size, c, lb) for s, shape, size, c, lb in marks.markers],
        [s.slice(offset, length) for s in marks.tlines],
        None if marks.bar_colors is None else marks.bar_colors.slice(offset, length),
    )


# ---------------------------------------------------------------------------------------------------------------
# Step 3: one chart's lines.


def _time_value(x: Any, dtype: pl.DataType) -> pl.Series:
    """``x`` as a one-value Series of the time column's dtype (a naive time is read in the column's zone)."""
    if type(x).__name__ == "datetime64":
        import numpy as np

        value = pl.Series(np.array([x]))
    else:
        value = pl.Series([x])
    if value.dtype == pl.String:
        value = value.str.to_datetime()
    target_tz = getattr(dtype, "time_zone", None)
    if isinstance(value.dtype, pl.Datetime) and target_tz is not None and value.dtype.time_zone is None:
        value = value.dt.replace_time_zone(target_tz)
    out: pl.Series = value.cast(dtype)
    return out


def _row_of(name: str, x: Any, times: pl.Series | None, n: int) -> int:
    """The chart row of ``x``: a row number as is, a time as the first bar at or after it."""
    if isinstance(x, int):
        if x >= n:
            raise ValueError(f"{_FUNC}: {name} row {x} is outside the {n} bars")
        return x
    if times is None:
        raise ValueError(f"{_FUNC}: {name} is a time ({x!r}), but the chart has no time column; give a row number")
    try:
        value = _time_value(x, times.dtype)
    except (pl.exceptions.PolarsError, TypeError, ValueError) as e:
        raise _fail(name, f"could not be read as a {times.dtype} time ({e})", x) from None
    first, last = times.min(), times.max()
    if value.null_count() or value[0] < first or value[0] > last:
        raise ValueError(f"{_FUNC}: {name} time {x!r} is outside the data ({first!s} .. {last!s})")
    return int(times.search_sorted(value, side="left")[0])


def _tline_points(i: int, t: _TLine, values: pl.Series, times: pl.Series | None, n: int) -> list[tuple[int, float]]:
    name = f"tlines[{i}]"
    a, b = sorted((_row_of(f"{name} start", t.start, times, n), _row_of(f"{name} end", t.end, times, n)))
    if t.method == "point-to-point":
        points = [(a, values[a]), (b, values[b])]
        for row, v in points:
            if v is None or not math.isfinite(v):
                raise ValueError(f"{_FUNC}: {name} has no value at row {row} to draw from (got {v!r})")
        return [(row, float(v)) for row, v in points]
    import numpy as np

    y = values.slice(a, b - a + 1).cast(pl.Float64).fill_null(float("nan")).to_numpy()
    x = np.arange(a, b + 1, dtype=np.float64)
    ok = np.isfinite(y)
    if ok.sum() < 2 or a == b:
        raise ValueError(f"{_FUNC}: {name} needs at least 2 values between rows {a} and {b} for a least-squares line")
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    return [(a, float(slope * a + intercept)), (b, float(slope * b + intercept))]


def chart_lines(ann: Annotations, times: pl.Series | None, tline_values: list[pl.Series], n: int) -> LinesArg | None:
    """The binding's ``LinesArg`` for one chart of ``n`` bars whose time column (if any) is ``times``."""
    if not (ann.hlines or ann.vlines or ann.alines or ann.tlines or ann.log_scale):
        return None
    vlines = [(_row_of(f"vlines[{i}]", x, times, n), look) for i, (x, look) in enumerate(ann.vlines)]
    alines = [
        ([(_row_of(f"alines[{i}] point {j}", x, times, n), p) for j, (x, p) in enumerate(points)], look)
        for i, (points, look) in enumerate(ann.alines)
    ]
    for i, t in enumerate(ann.tlines):
        alines.append((_tline_points(i, t, tline_values[i], times, n), t.look))
    return (list(ann.hlines), vlines, alines, ann.log_scale)


__all__ = ["LINE_STYLES", "MARKER_SHAPES", "Annotations", "check_annotations"]
