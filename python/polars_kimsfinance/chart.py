"""Charts: ``df.kf.render(...)`` and the image it returns.

``render`` finds the frame's OHLCV columns (case-insensitively, like the indicators), computes any overlay and
sub-panel indicators with the catalogue, and hands the columns to the Rust renderer through the Arrow C interface:
a Float64 column in one chunk is drawn straight from its buffer, other numeric columns are cast once. The GIL is
released while the chart is drawn and encoded. The caller's frame is never modified.

The result is a :class:`ChartImage`: the encoded bytes (a ``bytes`` subclass) that Jupyter displays inline and that
knows its size, format and where the time went.
"""

from __future__ import annotations

import base64
import bisect
import inspect
import math
import re
import time as _time
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any, NamedTuple, Optional, Union

import polars as pl

from . import _internal
from ._shield import shielded
from .annotations import (
    LINE_STYLES,
    NO_ANNOTATIONS,
    NO_MARKS,
    Annotations,
    Marks,
    annotation_exprs,
    chart_lines,
    line_style,
    marks_of,
)
from .annotations import check_annotations as _check_annotations
from .catalogue import BY_NAME
from .columns import TIME_NAMES, default_box_size, frame_expr, optional_column, resolve_columns, time_column
from .functions import FUNCTIONS
from .namespaces import DataFrameNamespace, LazyFrameNamespace
from .settings import check_engine

# The option vocabularies come from the renderer itself (src/render/options.rs), so they cannot drift apart.
KINDS: tuple[str, ...] = tuple(_internal.KINDS)
THEMES: tuple[str, ...] = tuple(_internal.THEMES)
FORMATS: tuple[str, ...] = tuple(_internal.FORMATS)
SPEEDS: tuple[str, ...] = tuple(_internal.SPEEDS)
COLOR_KEYS: tuple[str, ...] = tuple(_internal.COLOR_KEYS)
MIN_SIZE: int = _internal.MIN_SIZE
MAX_SIZE: int = _internal.MAX_SIZE

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_MIME = {"png": "image/png", "svg": "image/svg+xml", "webp": "image/webp", "rgba": "image/png"}
_FUNC = "render"
#: The column that numbers the charts of a batch laid end to end in one frame (see batch.py).
CHART_KEY = "__kf_chart"

Overlay = Union[str, tuple[Any, ...], Mapping[str, Any]]


# ---------------------------------------------------------------------------------------------------------------
# The image.


def _rebuild(data: bytes, width: int, height: int, format: str, timings: dict[str, Any]) -> ChartImage:
    return ChartImage(data, width=width, height=height, format=format, timings=timings)


class ChartImage(bytes):
    """An encoded chart: the bytes of a PNG, SVG, WebP or raw RGBA image.

    Being ``bytes``, it can be written, compared or sent as is; in Jupyter it displays inline.

    Attributes
    ----------
    width, height : int
        Image size in pixels.
    format : str
        ``"png"``, ``"svg"``, ``"webp"`` or ``"rgba"`` (raw straight RGBA, row-major, ``width * height * 4`` bytes).
    timings : dict
        Milliseconds: ``prepare_ms`` (Python: argument checks, column lookup, indicators), ``call_ms`` (the whole
        call into Rust), and within it ``bind_ms`` (reading the Arrow columns), ``scene_ms`` (layout and draw
        list), ``draw_ms`` (rasterising), ``convert_ms`` (premultiplied to straight RGBA; 0 with the ``fast`` PNG
        preset, whose encoder reads the premultiplied pixels itself), ``encode_ms`` and
        ``total_ms`` (scene + draw + convert + encode); a CPU-drawn ``fast`` PNG is drawn and encoded strip by strip
        on all cores, and its ``draw_ms`` / ``encode_ms`` split that wall time in proportion to each part's share;
        ``slots`` is the number of bars drawn after aggregating bars that share a pixel column.
    """

    width: int
    height: int
    format: str
    timings: dict[str, Any]

    def __new__(
        cls, data: bytes, *, width: int, height: int, format: str, timings: Mapping[str, Any] | None = None
    ) -> ChartImage:
        obj = super().__new__(cls, data)
        obj.width = int(width)
        obj.height = int(height)
        obj.format = str(format)
        obj.timings = dict(timings or {})
        return obj

    def __repr__(self) -> str:
        return f"ChartImage(format={self.format!r}, width={self.width}, height={self.height}, bytes={len(self)})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (bytes(self), self.width, self.height, self.format, self.timings))

    def save(self, path: str | Path) -> Path:
        """Write the image bytes to ``path`` (the suffix is not checked against the format) and return the path."""
        path = Path(path)
        path.write_bytes(self)
        return path

    def to_numpy(self) -> Any:
        """The pixels as a writable ``(height, width, 4)`` ``uint8`` array of straight RGBA.

        PNG and WebP are decoded in Rust (no Pillow needed). An SVG chart has no pixels: render it again with
        ``format="png"``.
        """
        import numpy as np

        if self.format == "svg":
            raise ValueError("to_numpy: an SVG chart has no pixels; render with format='png', 'webp' or 'rgba'")
        if self.format == "rgba":
            data = bytes(self)
        else:
            width, height, data = _internal._decode_image(self)
            if (width, height) != (self.width, self.height):
                raise ValueError(f"to_numpy: decoded {width}x{height}, expected {self.width}x{self.height}")
        return np.frombuffer(data, dtype=np.uint8).reshape(self.height, self.width, 4).copy()

    def to_png(self) -> bytes:
        """PNG bytes of the chart (encodes RGBA and WebP charts; fails for SVG)."""
        if self.format == "png":
            return bytes(self)
        if self.format == "rgba":
            return bytes(_internal._encode_png(self, self.width, self.height))
        if self.format == "webp":
            width, height, rgba = _internal._decode_image(self)
            return bytes(_internal._encode_png(rgba, width, height))
        raise ValueError("to_png: an SVG chart has no pixels; render with format='png'")

    def _repr_png_(self) -> bytes | None:
        if self.format in ("png", "rgba"):
            return self.to_png()
        return None

    def _repr_svg_(self) -> str | None:
        return self.decode("utf-8") if self.format == "svg" else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        mime = _MIME[self.format]
        if self.format == "svg":
            data: str = self.decode("utf-8")
        else:
            data = base64.b64encode(self.to_png() if self.format == "rgba" else self).decode("ascii")
        return {mime: data, "text/plain": repr(self)}


# ---------------------------------------------------------------------------------------------------------------
# Argument checks.


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValueError(f"{_FUNC}: {name} must be one of {', '.join(allowed)}; got {value!r}")
    return value.lower()


def _size(name: str, value: Any) -> int:
    # numbers.Integral takes numpy's integer scalars too (np.int64(800)).
    if isinstance(value, bool) or not isinstance(value, Integral) or not MIN_SIZE <= int(value) <= MAX_SIZE:
        raise ValueError(f"{_FUNC}: {name} must be an integer between {MIN_SIZE} and {MAX_SIZE}, got {value!r}")
    return int(value)


def _scale(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not (math.isfinite(value) and float(value) > 0):
        raise ValueError(f"{_FUNC}: scale must be a finite number > 0, got {value!r}")
    return float(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{_FUNC}: {name} must be True or False, got {value!r}")
    return value


def _color(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{_FUNC}: {name} must be a colour '#RGB', '#RRGGBB' or '#RRGGBBAA', got {value!r}")
    return value


def _colors(colors: Any) -> dict[str, str] | None:
    if colors is None:
        return None
    if not isinstance(colors, Mapping):
        raise TypeError(f"{_FUNC}: colors must be a dict such as {{'up': '#00FF00'}}, got {type(colors).__name__}")
    out = {}
    for key, value in colors.items():
        if key not in COLOR_KEYS:
            raise ValueError(f"{_FUNC}: colors has an unknown key {key!r}; valid keys: {', '.join(COLOR_KEYS)}")
        out[key] = _color(f"colors[{key!r}]", value)
    return out


def _numeric(role: str, df: pl.DataFrame, column: str) -> pl.Series:
    s = df.get_column(column)
    if not (s.dtype.is_numeric() or s.dtype == pl.Null):
        raise TypeError(f"{_FUNC}: {role} column {column!r} has dtype {s.dtype}; expected a numeric column")
    return s


# ---------------------------------------------------------------------------------------------------------------
# Overlays and panels.


def _parse_spec(where: str, spec: str) -> tuple[Any, list[Any]]:
    """``"sma:20"`` → (the sma Indicator, [20]); ``"keltner:20,2"`` → (keltner, [20, 2.0]); ``"rsi"`` → (rsi, [])."""
    name, _, rest = spec.partition(":")
    ind = BY_NAME.get(name.strip().lower())
    if ind is None:
        raise ValueError(f"{_FUNC}: {where} {spec!r}: unknown indicator {name!r}; known: {', '.join(sorted(BY_NAME))}")
    args: list[Any] = []
    for part in filter(None, (p.strip() for p in rest.split(","))):
        try:
            args.append(int(part))
        except ValueError:
            try:
                args.append(float(part))
            except ValueError:
                raise ValueError(f"{_FUNC}: {where} {spec!r}: parameter {part!r} is not a number") from None
    if len(args) > len(ind.params):
        raise ValueError(
            f"{_FUNC}: {where} {spec!r}: {ind.name} takes at most {len(ind.params)} parameters "
            f"({', '.join(p.name for p in ind.params)}), got {len(args)}"
        )
    return ind, args


class _Spec(NamedTuple):
    """One overlay / panel entry made ready for the query: its title, where its values come from (a query column
    or a Series given as is), and the labels / colour of its lines."""

    where: str
    label: str
    title: str
    expr: pl.Expr | None
    series: pl.Series | None
    color: str | None
    #: Line labels by output name (catalogue indicators name their outputs; a struct's fields keep their names).
    names: dict[str, str]
    #: A band overlay's shading between its upper and lower lines: ``(colour or None, alpha 0..255)``.
    band_fill: tuple[str | None, int] | None = None
    #: How its lines are stroked: ``solid``, ``dashed`` or ``dotted``.
    style: str = "solid"
    #: Its lines are drawn against the panel's second y axis.
    secondary: bool = False
    #: Its lines' stroke width in pixels (0: the chart's line width).
    width: float = 0.0
    #: An overlay drawn on the volume panel.
    on_volume: bool = False


_BAND_KEYS = ("band", "fill", "alpha")


def _band(spec: Mapping[str, Any], columns: list[str], roles: dict[str, str], index: int) -> _Spec:
    """An overlay ``{"band": entry, "fill": True | colour, "alpha": 0..1}``: the entry's lines, and the shading
    between its upper and lower lines."""
    name = f"overlays[{index}]"
    unknown = [k for k in spec if k not in _BAND_KEYS]
    if unknown or "band" not in spec:
        raise ValueError(
            f"{_FUNC}: {name} must have a 'band' (and optionally 'fill', 'alpha'), got keys {list(spec)!r}"
        )
    inner = spec["band"]
    if isinstance(inner, Mapping):
        raise TypeError(f"{_FUNC}: {name} band must be an overlay such as 'bbands:20,2', got a dict")
    fill = spec.get("fill", True)
    alpha = spec.get("alpha", 0.12)
    if not (isinstance(alpha, Real) and not isinstance(alpha, bool) and 0.0 <= float(alpha) <= 1.0):
        raise ValueError(f"{_FUNC}: {name} alpha must be a number in 0..1, got {alpha!r}")
    out = _spec("overlay", inner, columns, roles, index)
    if fill is False:
        return out
    if fill is True:
        color = out.color
    elif isinstance(fill, str):
        color = _color(f"{name} fill", fill)
    else:
        raise TypeError(f"{_FUNC}: {name} fill must be True, False or a colour, got {fill!r}")
    return out._replace(band_fill=(color, round(float(alpha) * 255)))


def _band_fills(spec: _Spec, lines: list[Line]) -> list[Any]:
    """The shaded region between a band overlay's upper and lower lines, as a fill of the binding."""
    if spec.band_fill is None:
        return []
    upper = [s for name, s, *_ in lines if name.lower().endswith("upper")]
    lower = [s for name, s, *_ in lines if name.lower().endswith("lower")]
    if len(upper) != 1 or len(lower) != 1:
        raise ValueError(
            f"{_FUNC}: overlay {spec.label!r}: a filled band needs one line named *upper and one *lower "
            f"(bbands, keltner, donchian, ...), got {[name for name, *_ in lines]}"
        )
    color, alpha = spec.band_fill
    return [(upper[0], lower[0], color, alpha, None, "price")]


_LINE_KEYS = ("line", "secondary_y", "width", "panel")


def _line_entry(where: str, spec: Mapping[str, Any], columns: list[str], roles: dict[str, str], index: int) -> _Spec:
    """An entry ``{"line": entry, "secondary_y": True, "width": 2.5, "panel": "volume"}``: the entry's lines against
    the panel's second y axis, that many pixels wide, and (an overlay) on the volume panel."""
    unknown = [k for k in spec if k not in _LINE_KEYS]
    if unknown:
        raise ValueError(
            f"{_FUNC}: {where} {dict(spec)!r} has an unknown key {unknown[0]!r}; keys: {', '.join(_LINE_KEYS)}"
        )
    inner = spec["line"]
    if isinstance(inner, Mapping):
        raise TypeError(
            f"{_FUNC}: {where} line must be an entry such as 'sma:20' or a (label, pl.Expr) tuple, got a dict"
        )
    secondary = _flag(f"{where} secondary_y", spec.get("secondary_y", False))
    width = spec.get("width", 0.0)
    if isinstance(width, bool) or not isinstance(width, Real) or not 0.0 <= float(width) <= 2000.0:
        raise ValueError(f"{_FUNC}: {where} width must be a number of pixels from 0 to 2000, got {width!r}")
    panel = spec.get("panel", "price")
    if where != "overlay" and "panel" in spec:
        raise ValueError(f"{_FUNC}: {where} line 'panel' is for overlays (a panel's lines are on their panel)")
    if panel not in ("price", "volume"):
        raise ValueError(f"{_FUNC}: {where} panel must be 'price' or 'volume', got {panel!r}")
    return _spec(where, inner, columns, roles, index)._replace(
        secondary=secondary, width=float(width), on_volume=panel == "volume"
    )


def _spec(where: str, spec: Any, columns: list[str], roles: dict[str, str], index: int) -> _Spec:
    """An overlay / panel entry as an expression (aliased ``__kf_<where><index>`` for the query) or a Series."""
    if isinstance(spec, Mapping) and "line" in spec:
        return _line_entry(where, spec, columns, roles, index)
    if where == "overlay" and isinstance(spec, Mapping):
        return _band(spec, columns, roles, index)
    alias = f"__kf_{where}{index}"
    if isinstance(spec, str):
        ind, args = _parse_spec(where, spec)
        overrides = {name: roles.get(name) for name in ind.inputs}
        try:
            expr = frame_expr(ind, columns, tuple(args), overrides)
        except (ValueError, TypeError) as e:
            # docs/render.md: every render error starts with "render: "; the indicator's own message follows.
            raise type(e)(f"{_FUNC}: {where} {spec!r}: {e}") from None
        values = dict(zip((p.name for p in ind.params), args))
        title = ind.column_name({**{p.name: p.default for p in ind.params}, **values})
        names = {alias: expr.meta.output_name()} if len(ind.fields) == 1 else {}
        return _Spec(where, spec, title, expr.alias(alias), None, None, names)
    if isinstance(spec, tuple) and len(spec) in (2, 3, 4) and isinstance(spec[0], str):
        label, value = _text(f"{where} label", spec[0]) or "", spec[1]
        color = spec[2] if len(spec) >= 3 else None
        if color is not None:
            _color(f"{where} {label!r} colour", color)
        style = line_style(spec[3]) if len(spec) == 4 else "solid"
        if style is None:
            raise ValueError(
                f"{_FUNC}: {where} {label!r} style must be one of {', '.join(LINE_STYLES)}, got {spec[3]!r}"
            )
        if isinstance(value, pl.Series):
            return _Spec(where, label, label, None, value, color, {}, style=style)
        if isinstance(value, pl.Expr):
            return _Spec(where, label, label, value.alias(alias), None, color, {alias: label}, style=style)
        raise TypeError(f"{_FUNC}: {where} {label!r} must be a polars Expr or Series, got {type(value).__name__}")
    raise TypeError(
        f"{_FUNC}: each {where} must be a string such as 'sma:20' or a (label, pl.Expr[, colour[, style]]) tuple, "
        f"got {spec!r}"
    )


def _evaluate(df: pl.DataFrame, specs: list[_Spec], extra: list[pl.Expr], key: str | None) -> pl.DataFrame:
    """Every expression of the chart(s) in one query: the specs' values (per chart when ``key`` names the column
    that tells the charts apart, with ``.over(key)``) and the ``extra`` columns. A scalar (``pl.lit(250.0)``,
    ``pl.col("close").mean()``) broadcasts to a horizontal line, selected next to a full-height column."""
    exprs = [s.expr if key is None else s.expr.over(key) for s in specs if s.expr is not None]
    extra = [e if key is None else e.over(key) for e in extra]
    height = pl.repeat(None, pl.len()).alias("__kf_height")
    try:
        # Dropping the height column eagerly: `.drop` would run one more (lazy) query.
        return pl.DataFrame(df.select(height, *exprs, *extra).get_columns()[1:])
    except pl.exceptions.ShapeError as e:
        # Find the entry that does not give one value per bar (only on this error path: one query each).
        for spec, expr in zip([s for s in specs if s.expr is not None], exprs):
            try:
                df.select(height, expr)
            except pl.exceptions.ShapeError:
                raise ValueError(
                    f"{_FUNC}: {spec.where} {spec.label!r} must give one value per bar ({df.height}): {e}"
                ) from None
        raise


#: A line as the binding's ``LineArg``: ``(label, values, colour or None, style, on the second y axis, width, on
#: the volume panel)``.
Line = tuple[str, pl.Series, Optional[str], str, bool, float, bool]


def _spec_lines(spec: _Spec, out: pl.DataFrame, rows: int) -> list[Line]:
    """The lines ``(label, values, colour, style, second axis, width, on the volume panel)`` of one evaluated entry;
    a struct gives one line per field."""
    if spec.series is not None:
        result = spec.series
        if result.len() != rows:
            raise ValueError(
                f"{_FUNC}: {spec.where} {spec.label!r} has {result.len()} values, expected {rows} (one per bar)"
            )
        parts = [(spec.label, result)]
    else:
        alias = spec.expr.meta.output_name() if spec.expr is not None else ""
        result = out.get_column(alias)
        if isinstance(result.dtype, pl.Struct):
            parts = [(f.name, result.struct.field(f.name)) for f in result.dtype.fields]
        else:
            parts = [(spec.names.get(alias, spec.label), result.alias(spec.names.get(alias, spec.label)))]
    for name, s in parts:
        if not (s.dtype.is_numeric() or s.dtype == pl.Null):
            raise TypeError(f"{_FUNC}: {spec.where} {name!r} has dtype {s.dtype}; expected numbers")
    return [(name, s, spec.color, spec.style, spec.secondary, spec.width, spec.on_volume) for name, s in parts]


def _as_list(name: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, tuple, Mapping)):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    raise TypeError(f"{_FUNC}: {name} must be a list of specs, got {type(value).__name__}")


_PANEL_KEYS = (
    "title", "lines", "histogram", "levels", "kind", "ylim", "yscale", "histogram_width", "histogram_color"
)  # fmt: skip
#: How a panel draws its lines: the renderer's line kinds (joined points, a staircase, dots), or its one series as a
#: histogram.
PANEL_KINDS: tuple[str, ...] = (*_internal.PANEL_LINE_KINDS, "histogram")
#: Reference levels a catalogue indicator's panel draws by default (overbought / oversold, the zero line).
REFERENCE_LEVELS: dict[str, tuple[float, ...]] = {
    "rsi": (30.0, 70.0),
    "stoch": (20.0, 80.0),
    "stochrsi": (20.0, 80.0),
    "willr": (-80.0, -20.0),
    "cci": (-100.0, 100.0),
    "mfi": (20.0, 80.0),
    "macd": (0.0,),
    "ppo": (0.0,),
    "mom": (0.0,),
    "roc": (0.0,),
    "trix": (0.0,),
}


def _levels(name: str, value: Any) -> list[float]:
    entries = [value] if isinstance(value, Real) else value
    if (
        not isinstance(entries, Sequence)
        or isinstance(entries, str)
        or not all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in entries)
    ):
        raise ValueError(f"{_FUNC}: {name} levels must be a list of finite numbers, got {value!r}")
    return [float(v) for v in entries]


def _default_levels(entry: Any) -> list[float]:
    if not isinstance(entry, str):
        return []
    return list(REFERENCE_LEVELS.get(entry.partition(":")[0].strip().lower(), ()))


def _ylim(name: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )
    if not ok or not value[0] < value[1]:
        raise ValueError(f"{_FUNC}: {name} ylim must be (low, high) with finite numbers, low < high, got {value!r}")
    return float(value[0]), float(value[1])


#: ``(kind, ylim, log scale, histogram width, histogram colour, histogram on the second axis)`` of a panel: how its
#: lines are drawn, its fixed y range (None: from the data), whether its y axis is logarithmic, its histogram bars'
#: width as a share of a bar's slot (None: as wide as the candle bodies), their one colour (None: up / down colours
#: by sign) and whether they are drawn against the panel's second y axis.
PanelLook = tuple[str, Optional[tuple[float, float]], bool, Optional[float], Optional[str], bool]
_DEFAULT_LOOK: PanelLook = ("line", None, False, None, None, False)


def _histogram_width(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 < float(value) <= 1.0:
        raise ValueError(f"{_FUNC}: {name} histogram_width must be a share of the bar's slot in (0, 1], got {value!r}")
    return float(value)


def _panel_specs(
    entries: list[Any], columns: list[str], roles: dict[str, str]
) -> list[tuple[str, list[_Spec], _Spec | None, list[float], PanelLook]]:
    """Each panel entry as ``(title, line specs, histogram spec)``: a catalogue string or ``(label, value)`` tuple
    is one spec (a multi-output indicator gives several lines, a field named like a histogram is drawn as one); a
    dict ``{"title": ..., "lines": [...], "histogram": value or (label, value)}`` gathers several lines and a
    histogram in one panel, with ``"levels"`` (reference lines; catalogue panels such as ``"rsi"`` have defaults,
    :data:`REFERENCE_LEVELS`), ``"kind"`` (:data:`PANEL_KINDS`), ``"ylim"`` and ``"yscale"``."""
    out: list[tuple[str, list[_Spec], _Spec | None, list[float], PanelLook]] = []
    count = 0

    def one(spec: Any) -> _Spec:
        nonlocal count
        count += 1
        return _spec("panel", spec, columns, roles, count - 1)

    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            spec = one(entry)
            out.append((spec.title, [spec], None, _default_levels(entry), _DEFAULT_LOOK))
            continue
        unknown = [k for k in entry if k not in _PANEL_KEYS]
        if unknown:
            raise ValueError(f"{_FUNC}: panels[{i}] has an unknown key {unknown[0]!r}; keys: {', '.join(_PANEL_KEYS)}")
        line_entries = _as_list(f"panels[{i}] lines", entry.get("lines"))
        hist = entry.get("histogram")
        if not line_entries and hist is None:
            raise ValueError(f"{_FUNC}: panels[{i}] needs 'lines' or a 'histogram', got {dict(entry)!r}")
        title = _text(f"panels[{i}] title", entry.get("title"))
        kind = _choice(f"panels[{i}] kind", entry.get("kind", "line"), PANEL_KINDS)
        if kind == "histogram":
            # The panel's one series drawn as bars from zero, as the "histogram" key draws it.
            if hist is not None or len(line_entries) != 1:
                raise ValueError(
                    f"{_FUNC}: panels[{i}] kind 'histogram' draws one series: give one entry in 'lines' and no "
                    f"'histogram', got {len(line_entries)} lines{' and a histogram' if hist is not None else ''}"
                )
            hist, line_entries, kind = line_entries[0], [], "line"
        log = _choice(f"panels[{i}] yscale", entry.get("yscale", "linear"), ("linear", "log")) == "log"
        width = _histogram_width(f"panels[{i}]", entry.get("histogram_width"))
        hist_color = entry.get("histogram_color")
        if hist_color is not None:
            hist_color = _color(f"panels[{i}] histogram_color", hist_color)
        lines = [one(e) for e in line_entries]
        hist_spec = None
        if hist is not None:
            hist_spec = one(hist if isinstance(hist, (tuple, Mapping)) else ("histogram", hist))
        second_histogram = hist_spec is not None and hist_spec.secondary
        look = (kind, _ylim(f"panels[{i}]", entry.get("ylim")), log, width, hist_color, second_histogram)
        first = lines[0].title if lines else (hist_spec.title if hist_spec else "")
        if "levels" in entry:
            levels = _levels(f"panels[{i}]", entry["levels"])
        else:
            levels = _default_levels(line_entries[0]) if len(line_entries) == 1 else []
        out.append((title if title is not None else first, lines, hist_spec, levels, look))
    return out


def _is_histogram(name: str) -> bool:
    return "hist" in name.lower()


# ---------------------------------------------------------------------------------------------------------------
# render.


@shielded("render")
def render(
    df: pl.DataFrame,
    kind: str = "candle",
    *,
    width: int = 1920,
    height: int = 1080,
    theme: str = "tradingview",
    style: Any = None,
    volume: bool | str = True,
    overlays: Sequence[Overlay] | None = None,
    panels: Sequence[Overlay] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    ylabel: str | None = None,
    ylabel_lower: str | None = None,
    title_align: str = "left",
    title_bold: bool = False,
    last_price: bool = True,
    legend: bool = True,
    volume_exponent: int | None = None,
    datetime_format: str | None = None,
    panel_ratios: Sequence[float] | None = None,
    yaxis: str = "right",
    xrotation: float = 0,
    xlabel: str | None = None,
    main_panel: int = 0,
    volume_panel: int = 1,
    volume_yscale: str = "linear",
    mco_faceonly: bool = False,
    hlines: Any = None,
    vlines: Any = None,
    alines: Any = None,
    tlines: Any = None,
    fill_between: Any = None,
    markers: Any = None,
    yscale: str = "linear",
    marketcolor_overrides: Any = None,
    format: str = "png",
    speed: str = "fast",
    antialias: bool = True,
    colors: Mapping[str, str] | None = None,
    fill: bool = False,
    box_size: float | None = None,
    reversal: int = 3,
    open: str | None = None,
    high: str | None = None,
    low: str | None = None,
    close: str | None = None,
    time: str | None = None,
    engine: str | None = None,
    scale: float = 1.0,
) -> ChartImage:
    """Draw a financial chart of the frame.

    Parameters
    ----------
    df : pl.DataFrame
        OHLC(V) bars in time order. Columns are found case-insensitively (``Close`` matches ``close``) unless named
        with ``open=``, ``high=``, ``low=``, ``close=``, ``time=`` or ``volume=``. A row with a null or NaN price
        is a missing bar and draws as a gap.
    kind : str, default "candle"
        ``candle``, ``ohlc``, ``line`` (close line; ``fill=True`` fills below it, as does ``line_filled``),
        ``hollow``, ``renko`` (bricks from ``df.kf.renko(box_size)``), ``pnf`` (point-and-figure columns from
        ``df.kf.pnf(box_size, reversal)``) or ``heikin_ashi`` (candles of the ``heikin_ashi`` indicator).
    width, height : int, default 1920 x 1080
        Image size in pixels, 64 to 16384.
    theme : str, default "tradingview"
        ``classic``, ``modern``, ``tradingview`` or ``light``.
    style : str or dict, optional
        An mplfinance style: a name from ``mpf.available_styles()`` (``"yahoo"``, ``"nightclouds"``, ...) or a
        ``mpf.make_mpf_style(...)`` dict, read through mplfinance's own definitions (so mplfinance must be
        installed). It sets the background, grid, text, candle body / wick / edge and volume colours (and a light
        or dark theme for the rest), as a served ``mpf.plot`` call draws them; ``theme`` is then not used, and keys
        given in ``colors`` override the style's.
    volume : bool or str, default True
        Draw the volume panel when there is a volume column with some volume (an all-zero column is skipped); a
        string names the volume column and always draws it.
    overlays : list, optional
        Lines over the price panel: catalogue indicators as ``"name"`` or ``"name:param,param"`` (``"sma:20"``,
        ``"ema:50"``, ``"keltner:20,2"``; a multi-output indicator draws every field), or ``(label, pl.Expr)`` /
        ``(label, pl.Expr, "#RRGGBB")`` tuples (a Series also works). The legend names each line. A dict
        ``{"band": entry, "fill": True | "#RRGGBB", "alpha": 0.12}`` draws a band (``"bbands:20,2"``,
        ``"keltner"``, ``"donchian"``, or a struct with ``*upper`` / ``*lower`` fields) with its inside shaded,
        in the band's colour (default the theme's line colour), under the bars.
    panels : list, optional
        Sub-panels below the chart, each with its own y axis, given like overlays (``"rsi"``, ``"rsi:14"``,
        ``"macd"``). A field whose name contains ``hist`` is drawn as a histogram. A dict ``{"title": ...,
        "lines": [overlay-like entries], "histogram": value or (label, value), "levels": [30, 70]}`` puts several
        lines, a histogram and dashed reference levels in one panel; its ``"kind"`` draws the lines as ``"line"``
        (default), ``"step"`` (each value held until the next bar's, matplotlib's ``where="post"``),
        ``"step_pre"`` (held from the bar before, stepping there: ``"pre"``, mplfinance's step), ``"step_mid"``
        (stepping halfway between bars), ``"scatter"`` (a dot per bar) or
        ``"histogram"`` (its one series as bars from zero), ``"ylim": (low, high)`` fixes its y range (what
        falls outside is clipped), ``"yscale": "log"`` makes its axis logarithmic (every value > 0) and
        ``"histogram_width": 0.8`` draws the histogram's bars that share of a bar's slot wide (default: as wide
        as the candle bodies, 0.7), ``"histogram_color"`` in one colour (default: up / down colours by sign); a
        histogram given as ``{"line": value, "secondary_y": True}`` is drawn against the second y axis. Lines
        given as ``(label, value, colour, style)`` are drawn ``solid``, ``dashed`` or ``dotted``, and an entry
        ``{"line": entry, "secondary_y": True}`` is drawn against a second y axis of its own, labelled on the
        other side, for lines of another magnitude (here and in ``overlays``; a histogram keeps the first axis);
        ``"width"`` in that dict sets the line's width in pixels, and in ``overlays`` ``"panel": "volume"`` draws
        the line on the volume panel (a volume average), whose axis takes it in.
        Catalogue panels draw their usual levels by default (rsi 30 / 70, stoch 20 / 80, cci -100 /
        100, macd 0, ...; ``"levels": []`` removes them).
    title : str, optional
        Drawn above the price panel. ``\n`` starts a new line, a tab is four spaces, other control characters
        are dropped; characters outside the embedded font (Latin-1, the Windows-1252 extras, arrows, currency and
        superscript signs) come from a system font when one is found, else draw as a box.
    subtitle : str, optional
        A smaller line (``\n``: several) under the title, aligned with it.
    ylabel, ylabel_lower : str, optional
        Labels at the top left of the price panel and of the volume panel.
    title_align : {"left", "center"}, default "left"
        The title at the plot's left edge, or centred over the image.
    title_bold : bool, default False
        The title in bold.
    last_price : bool, default True
        Draw the last-price line and its tag on the price axis (on a renko chart the tag shows the source's last
        close, not the last brick's edge).
    legend : bool, default True
        Name the overlay and panel lines in legends.
    volume_exponent : int, optional
        Volume tick labels in units of ``10**volume_exponent`` (for a ``ylabel_lower`` that names the multiplier,
        as mplfinance's ``Volume x10^6``); default compact labels such as ``20M``.
    datetime_format : str, optional
        Time-axis labels in strftime codes (``"%Y-%m-%d"``, ``"%b %d %H:%M"``; ``%Y %y %m %d %e %b %B %a %H %I %M
        %S %p %j %%``, in UTC); default chosen by the span: times of day, days (the year shown at the first tick
        and at each New Year), months or years.
    panel_ratios : list of float, optional
        Relative panel heights top to bottom, one per panel drawn (price, volume when drawn, then each sub-panel,
        unless ``main_panel`` / ``volume_panel`` place them otherwise); default 4 : 1 : 1.4 each.
    yaxis : {"right", "left"}, default "right"
        The side of the plot the y axes (tick labels and the last-price tag) are drawn on.
    xrotation : float, default 0
        Time-axis labels turned this many degrees counter-clockwise (as matplotlib's tick ``rotation``), each
        label's box centred under its tick; the axis grows to hold them.
    xlabel : str, optional
        A label centred under the time axis (``\n``: several lines).
    main_panel, volume_panel : int, default 0 and 1
        Where the price panel and the volume panel sit, counted from the top as mplfinance counts its panels
        (``main_panel=1, volume_panel=0`` puts the volume above the prices); the sub-panels fill the other
        places in their order. ``volume_panel`` counts only when the volume panel is drawn.
    volume_yscale : {"linear", "log"}, default "linear"
        A logarithmic volume axis (bars of zero volume are left out).
    mco_faceonly : bool, default False
        ``marketcolor_overrides`` colour only the candle bodies (mplfinance's ``mco_faceonly``); wicks, edges and
        volume bars keep the up / down colours.
    hlines : float, dict or list, optional
        Horizontal lines across the price panel: prices, or dicts ``{"y": price, "color": "#RRGGBB", "width": px,
        "style": "solid" | "dashed" | "dotted", "label": "in the legend"}``.
    vlines : time, row or list, optional
        Vertical lines through every panel at bars, given as times (date, datetime, ISO string: the first bar at or
        after it) or row numbers, or dicts ``{"x": time_or_row, ...}`` with the keys of ``hlines``.
    alines : list, optional
        Free lines through ``(time or row, price)`` points: one list of points, a list of such lists, or dicts
        ``{"points": [...], ...}`` with the keys of ``hlines``.
    tlines : tuple, dict or list, optional
        Trend lines between two times (or rows): ``(start, end)`` pairs, or dicts ``{"between": (start, end),
        "use": "close" | "open" | "high" | "low" | pl.Expr, "method": "point-to-point" | "least-squares", ...}``
        with the keys of ``hlines``; the line joins the ``use`` values at both ends, or fits them in between.
    fill_between : dict or list, optional
        Shaded regions of the price panel, drawn under the bars: dicts ``{"y1": ..., "y2": ... (default 0),
        "where": boolean, "color": "#RRGGBB", "alpha": 0..1 (default 0.25), "label": ...}`` where ``y1`` / ``y2``
        are numbers, column names, expressions or one value per bar, and ``where`` a boolean expression / column /
        Series (rows where it is false or null are not shaded; nor are rows where y1 or y2 is missing).
    markers : expression, dict or list, optional
        Signal markers: a boolean expression or column (true: a marker at the close), or dicts ``{"signal": ...,
        "at": "close" | "open" | "high" | "low" | number | expression, "shape": "triangle_up" | "triangle_down" |
        "circle" | "square" | "diamond" | "cross", "size": px (0: scaled with the font), "color": ..., "label":
        ...}``. Triangles up / down default to the up / down colour.
    yscale : {"linear", "log"}, default "linear"
        A logarithmic price axis (every price drawn must be > 0).
    marketcolor_overrides : str, expression, Series or list, optional
        Per bar, a colour ``#RRGGBB[AA]`` for its body, wick and volume bar (null: the up / down colour): a String
        column's name, an expression, or one colour per bar. Applies where each bar has its own pixel column.
    format : str, default "png"
        ``png``, ``svg``, ``webp`` (lossless) or ``rgba`` (raw pixels).
    speed : str, default "fast"
        PNG compression preset: ``fast``, ``balanced`` or ``best`` (smaller, slower).
    antialias : bool, default True
        Antialiased drawing; off gives crisp aliased edges.
    engine : {"auto", "cpu", "gpu"}, optional
        Where to draw; default ``kf.get_config()["default_engine"]``. ``auto`` uses a hardware GPU only from
        ``gpu_min_candles`` bars up, once that threshold is set (measure it with ``kf.calibrate_gpu``; never a
        software rasteriser); ``gpu`` uses any adapter found. A GPU failure
        falls back to the CPU and is counted in ``kf.get_performance_stats()["fallbacks"]``.
    scale : float, default 1.0
        Multiplies the image size, the text, line widths (given ones too), marker sizes and margins together:
        ``width=800, height=450, scale=2`` is the 800 x 450 chart at twice the resolution (1600 x 900 pixels), as
        for a high-density screen. Grid and axis hairlines stay one pixel wide.
    colors : dict, optional
        Colour overrides as hex strings, keys ``background``, ``up``, ``down``, ``grid``, ``text``, ``line``, and
        ``wick_up``, ``wick_down``, ``volume_up``, ``volume_down`` (default: the body colours; volume at 60 %).
    fill : bool, default False
        With ``kind="line"``: fill the area below the line.
    box_size : float, optional
        Renko brick / point-and-figure box size; default derived from the median ATR(14), as in the transforms.
    reversal : int, default 3
        Point-and-figure reversal in boxes.
    open, high, low, close, time : str, optional
        Column names, found case-insensitively when not given. ``time`` (a Date or Datetime column; by default
        one named date / datetime / time / timestamp, or the only temporal column) labels the x axis; without it
        the axis shows bar numbers.

    Returns
    -------
    ChartImage
        The encoded image (``bytes``) with ``width``, ``height``, ``format``, ``timings``, ``save(path)`` and
        ``to_numpy()``.

    Raises
    ------
    ValueError
        Empty frame, missing or ambiguous columns, a bar with high < low, a size outside 64..16384, an unknown
        kind, theme, format, speed or indicator, or an invalid colour.
    TypeError
        A non-numeric price or volume column, or an argument of the wrong type.

    Examples
    --------
    >>> import polars_kimsfinance as kf
    >>> img = kf.sample_ohlcv(100).kf.render(width=640, height=360, overlays=["sma:20"], panels=["rsi"])
    >>> img.format, img.width, img.height, img[:4] == b"\\x89PNG"
    ('png', 640, 360, True)
    >>> img.to_numpy().shape
    (360, 640, 4)
    """
    t0 = _time.perf_counter()
    if not isinstance(df, pl.DataFrame):
        raise TypeError(f"{_FUNC}: expected a polars DataFrame, got {type(df).__name__}")
    opts = _check_options(
        kind=kind,
        fill=fill,
        width=width,
        height=height,
        theme=theme,
        style=style,
        format=format,
        speed=speed,
        antialias=antialias,
        colors=colors,
        title=title,
        volume=volume,
        box_size=box_size,
        reversal=reversal,
        overlays=overlays,
        panels=panels,
        scale=scale,
    )
    decor = _check_decorations(
        ylabel=ylabel,
        ylabel_lower=ylabel_lower,
        title_align=title_align,
        title_bold=title_bold,
        last_price=last_price,
        legend=legend,
        volume_exponent=volume_exponent,
        datetime_format=datetime_format,
        panel_ratios=panel_ratios,
        subtitle=subtitle,
        scale=scale,
        yaxis=yaxis,
        xrotation=xrotation,
        xlabel=xlabel,
        main_panel=main_panel,
        volume_panel=volume_panel,
        volume_yscale=volume_yscale,
        mco_faceonly=mco_faceonly,
    )
    ann = _check_annotations(
        hlines=hlines,
        vlines=vlines,
        alines=alines,
        tlines=tlines,
        fill_between=fill_between,
        markers=markers,
        yscale=yscale,
        marketcolor_overrides=marketcolor_overrides,
    )
    if df.height == 0:
        raise ValueError(f"{_FUNC}: the frame is empty (0 rows, columns {df.columns}); nothing to draw")
    roles = {"open": open, "high": high, "low": low, "close": close}
    prep = _prepare(df, opts, roles, volume, time, [0, df.height], ann=ann)
    if prep.failures:
        raise prep.failures[0]
    lines = chart_lines(ann, prep.bars[0] if prep.bars else None, prep.marks.tlines, df.height)

    t1 = _time.perf_counter()
    prepare_ms = (t1 - t0) * 1000.0
    data, w, h_, fmt, timings = _internal._render(
        opts.kind,
        prep.bars,
        renko=_renko_arg(prep),
        pnf=_pnf_arg(prep, opts.reversal),
        overlays=prep.overlays,
        panels=prep.panels,
        width=opts.width,
        height=opts.height,
        theme=opts.theme,
        colors=opts.colors,
        volume=prep.volume,
        antialias=opts.antialias,
        title=title,
        format=opts.format,
        speed=opts.speed,
        engine=check_engine(_FUNC, engine),
        decor={**decor, "lines": lines},
        brick_times=prep.brick_times,
        fills=prep.marks.fills,
        markers=prep.marks.markers,
        bar_colors=prep.marks.bar_colors,
    )
    timings = {"prepare_ms": prepare_ms, "call_ms": (_time.perf_counter() - t1) * 1000.0, **timings}
    return ChartImage(data, width=w, height=h_, format=fmt, timings=timings)


def _renko_arg(prep: _Prepared) -> tuple[pl.Series, float] | None:
    if prep.bricks is None or prep.bricks[1] is not None:
        return None
    return prep.bricks[0], prep.box_sizes[0]


def _pnf_arg(prep: _Prepared, reversal: int) -> tuple[pl.Series, pl.Series, float, int] | None:
    if prep.bricks is None or prep.bricks[1] is None:
        return None
    return prep.bricks[0], prep.bricks[1], prep.box_sizes[0], reversal


class _Options(NamedTuple):
    """The checked options of one ``render`` call (names lower-cased, ``line`` + ``fill`` as ``line_filled``)."""

    kind: str
    width: int
    height: int
    theme: str
    format: str
    speed: str
    antialias: bool
    colors: dict[str, str] | None
    box_size: float | None
    reversal: int
    overlays: list[Any]
    panels: list[Any]


def _style(style: Any, colors: Any) -> tuple[str, Any]:
    """The theme and colours of an mplfinance style, with the keys of ``colors`` over the style's."""
    from . import mpf_options

    try:
        looks = mpf_options.style_colors(style)
    except ImportError as e:
        raise ImportError(f"{_FUNC}: style= reads mplfinance's style definitions; pip install mplfinance") from e
    if looks is None:
        raise ValueError(
            f"{_FUNC}: style must be a name from mplfinance's available_styles() or a make_mpf_style dict, "
            f"got {style!r}"
        )
    theme, found, _ = looks
    if colors is not None and not isinstance(colors, Mapping):
        return theme, colors  # reported by the colour check
    return theme, {**found, **(colors or {})}


def _check_options(
    *,
    kind: Any,
    fill: Any,
    width: Any,
    height: Any,
    theme: Any,
    format: Any,
    speed: Any,
    antialias: Any,
    colors: Any,
    title: Any,
    volume: Any,
    box_size: Any,
    reversal: Any,
    overlays: Any,
    panels: Any,
    scale: Any = 1.0,
    style: Any = None,
) -> _Options:
    """Every argument check that needs no frame, in the order the errors are reported."""
    kind = _choice("kind", kind, KINDS)
    if style is not None:
        theme, colors = _style(style, colors)
    if _flag("fill", fill) and kind == "line":
        kind = "line_filled"
    width, height = _size("width", width), _size("height", height)
    factor = _scale(scale)
    if factor != 1.0:
        width, height = _size("width * scale", round(width * factor)), _size("height * scale", round(height * factor))
    theme = _choice("theme", theme, THEMES)
    format = _choice("format", format, FORMATS)
    speed = _choice("speed", speed, SPEEDS)
    antialias = _flag("antialias", antialias)
    colors_ = _colors(colors)
    _text("title", title)
    if not isinstance(volume, (bool, str)):
        raise TypeError(f"{_FUNC}: volume must be True, False or a column name, got {volume!r}")
    if box_size is not None and (
        isinstance(box_size, bool) or not isinstance(box_size, Real) or not math.isfinite(box_size) or box_size <= 0
    ):
        raise ValueError(f"{_FUNC}: box_size must be a finite number > 0, got {box_size!r}")
    if isinstance(reversal, bool) or not isinstance(reversal, int) or reversal < 1:
        raise ValueError(f"{_FUNC}: reversal must be an integer >= 1, got {reversal!r}")
    overlay_specs, panel_specs = _as_list("overlays", overlays), _as_list("panels", panels)
    if kind in ("renko", "pnf") and (overlay_specs or panel_specs):
        raise ValueError(f"{_FUNC}: overlays and panels need time bars; kind {kind!r} draws bricks / columns")
    return _Options(
        kind,
        width,
        height,
        theme,
        format,
        speed,
        antialias,
        colors_,
        None if box_size is None else float(box_size),
        reversal,
        overlay_specs,
        panel_specs,
    )


# The binding's DecorArg without its `lines` (the chart's annotation lines, placed per chart).
Decor = dict[str, Any]


def _text(name: str, value: Any) -> str | None:
    """A title or label: None or a string that can be drawn (a lone surrogate has no character to draw)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{_FUNC}: {name} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(
            f"{_FUNC}: {name} has a lone surrogate {value[e.start]!r} at position {e.start}, which is not a "
            f"character; got {value!r}"
        ) from None
    return value


def _check_decorations(
    *,
    ylabel: Any,
    ylabel_lower: Any,
    title_align: Any,
    title_bold: Any,
    last_price: Any,
    legend: Any,
    volume_exponent: Any,
    datetime_format: Any = None,
    panel_ratios: Any = None,
    subtitle: Any = None,
    scale: Any = 1.0,
    yaxis: Any = "right",
    xrotation: Any = 0,
    xlabel: Any = None,
    main_panel: Any = 0,
    volume_panel: Any = 1,
    volume_yscale: Any = "linear",
    mco_faceonly: Any = False,
) -> Decor:
    """The title style, labels, axes and markers, checked, as the ``decor`` dict of ``_internal._render`` (the
    fields of the binding's ``DecorArg``)."""
    if volume_exponent is not None and (
        isinstance(volume_exponent, bool)
        or not isinstance(volume_exponent, Integral)
        or not 0 <= int(volume_exponent) <= 30
    ):
        raise ValueError(f"{_FUNC}: volume_exponent must be an integer from 0 to 30, got {volume_exponent!r}")
    if isinstance(xrotation, bool) or not isinstance(xrotation, Real) or not math.isfinite(xrotation):
        raise ValueError(f"{_FUNC}: xrotation must be a finite number of degrees, got {xrotation!r}")
    for name, value in (("main_panel", main_panel), ("volume_panel", volume_panel)):
        if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= int(value) <= 64:
            raise ValueError(f"{_FUNC}: {name} must be a panel position from 0 (the top), got {value!r}")
    return {
        "title_center": _choice("title_align", title_align, ("left", "center")) == "center",
        "title_bold": _flag("title_bold", title_bold),
        "ylabel": _text("ylabel", ylabel),
        "ylabel_lower": _text("ylabel_lower", ylabel_lower),
        "volume_exponent": None if volume_exponent is None else int(volume_exponent),
        "last_price": _flag("last_price", last_price),
        "legend": _flag("legend", legend),
        "datetime_format": _text("datetime_format", datetime_format),
        "panel_ratios": _ratios(panel_ratios),
        "subtitle": _text("subtitle", subtitle),
        "scale": _scale(scale),
        "yaxis": _choice("yaxis", yaxis, ("right", "left")),
        "xrotation": float(xrotation),
        "xlabel": _text("xlabel", xlabel),
        "main_panel": int(main_panel),
        "volume_panel": int(volume_panel),
        "volume_log_scale": _choice("volume_yscale", volume_yscale, ("linear", "log")) == "log",
        "mco_faceonly": _flag("mco_faceonly", mco_faceonly),
    }


def _ratios(value: Any) -> list[float] | None:
    if value is None:
        return None
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, Sequence)
        or not value
        or not all(isinstance(r, Real) and not isinstance(r, bool) and math.isfinite(r) and float(r) > 0 for r in value)
    ):
        raise ValueError(f"{_FUNC}: panel_ratios must be a list of numbers > 0, one per panel, got {value!r}")
    return [float(r) for r in value]


def _column_roles(
    df: pl.DataFrame, opts: _Options, overrides: dict[str, str | None], volume: bool | str
) -> tuple[dict[str, str], bool | None]:
    """The frame's column for each price role the kind reads (and ``volume`` when found), and whether the volume
    panel is drawn (``None``: when the chart has some volume)."""
    available = [c for c in df.columns if c != CHART_KEY]
    kind = opts.kind
    if kind in ("line", "line_filled"):
        roles = resolve_columns(_FUNC, available, ["close"], overrides)
        try:
            roles.update(resolve_columns(_FUNC, available, ["open", "high", "low"], overrides))
        except ValueError:
            if any(overrides[r] is not None for r in ("open", "high", "low")):
                raise
    elif kind == "renko":
        roles = resolve_columns(_FUNC, available, ["close"], overrides)
    elif kind == "pnf":
        roles = resolve_columns(_FUNC, available, ["high", "low"], overrides)
    else:
        roles = resolve_columns(_FUNC, available, ["open", "high", "low", "close"], overrides)
    for role, column in roles.items():
        _numeric(role, df, column)
    vcol = None
    if isinstance(volume, str):
        vcol = resolve_columns(_FUNC, available, ["volume"], {"volume": volume})["volume"]
    elif volume or opts.overlays or opts.panels:
        vcol = optional_column(_FUNC, df, ("volume",), None)
    if vcol is not None:
        _numeric("volume", df, vcol)
        roles["volume"] = vcol
    # True: the named column is drawn; None: a found column is drawn when the chart has some volume (decided by the
    # renderer per chart: an all-zero / null / NaN column, e.g. index data, would only draw an empty panel).
    draw_volume: bool | None = False
    if volume is not False and vcol is not None:
        draw_volume = True if isinstance(volume, str) else None
    return roles, draw_volume


def _time_series(df: pl.DataFrame, time: str | None) -> pl.Series | None:
    """The Date / Datetime column that labels the x axis, or None (the axis then shows bar numbers)."""
    if time is not None:
        tcol = time_column(_FUNC, df, time)
        dtype = df.schema[time]
        if not (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
            raise TypeError(f"{_FUNC}: time column {time!r} has dtype {dtype}; expected Date or Datetime")
    else:
        tcol = time_column(_FUNC, df, None)
        if tcol is not None and not (df.schema[tcol] == pl.Date or isinstance(df.schema[tcol], pl.Datetime)):
            tcol = None  # e.g. an unparsed date string: label bars by number
    return df.get_column(tcol) if tcol is not None else None


class _Prepared(NamedTuple):
    """What the renderer reads for one chart, or for many charts laid end to end (chart ``i`` = rows
    ``offsets[i]..offsets[i + 1]``): full-length columns, shared by ``_internal._render`` and
    ``_internal._render_batch``."""

    #: ``(time, open, high, low, close, volume)`` for the time-bar kinds.
    bars: tuple[pl.Series | None, pl.Series, pl.Series, pl.Series, pl.Series, pl.Series | None] | None
    #: Renko: ``(close, None)``; point-and-figure: ``(high, low)``.
    bricks: tuple[pl.Series, pl.Series | None] | None
    #: Per chart: the renko brick / point-and-figure box size (0.0 for other kinds).
    box_sizes: list[float]
    overlays: list[Line]
    panels: list[tuple[str, list[Any], pl.Series | None, list[float], PanelLook]]
    #: The volume panel: True, False, or None (drawn when the chart has some volume).
    volume: bool | None
    #: Charts that cannot be drawn (index -> exception), e.g. a bar with high < low before a Heikin-Ashi transform.
    failures: dict[int, Exception]
    #: Renko / point-and-figure: the time of each source row (dates on the x axis).
    brick_times: pl.Series | None = None
    #: Shaded regions, markers and the trend lines' source values, full length.
    marks: Marks = NO_MARKS


def _prepare(
    df: pl.DataFrame,
    opts: _Options,
    overrides: dict[str, str | None],
    volume: bool | str,
    time: str | None,
    offsets: list[int],
    key: str | None = None,
    ann: Annotations = NO_ANNOTATIONS,
) -> _Prepared:
    """The preparation of one chart (``offsets == [0, df.height]``) or of many charts laid end to end, told apart
    by the column ``key``: column roles, the time axis, and every overlay, panel and Heikin-Ashi value in one
    Polars query (``.over(key)`` for many charts)."""
    roles, draw_volume = _column_roles(df, opts, overrides, volume)
    tseries = _time_series(df, time)
    if key is not None and tseries is not None and tseries.null_count():
        # A null time takes the previous valid one (the first valid one at the start) within its own chart, as the
        # binding does for one chart; over the long column it would borrow the previous chart's times.
        tseries = df.select(pl.col(tseries.name).forward_fill().backward_fill().over(key)).to_series()
    kind = opts.kind
    if kind in ("renko", "pnf") and not ann.empty:
        raise ValueError(
            f"{_FUNC}: hlines, vlines, alines, tlines, fill_between and markers need time bars; kind {kind!r} draws "
            "bricks / columns"
        )
    failures: dict[int, Exception] = {}
    if kind in ("heikin_ashi", "pnf"):
        failures.update(_high_below_low(df, roles["high"], roles["low"], offsets))
    box_sizes = [0.0] * (len(offsets) - 1)
    if kind in ("renko", "pnf"):
        # Renko bricks and point-and-figure columns are computed by the Rust binding from these prices, with the
        # same kernels (and the same default box sizes) as df.kf.renko / df.kf.pnf.
        for i in range(len(box_sizes)):
            if i in failures:
                continue
            if opts.box_size is not None:
                box_sizes[i] = opts.box_size
                continue
            part = df.slice(offsets[i], offsets[i + 1] - offsets[i])
            try:
                if kind == "renko":
                    size = default_box_size("renko", "renko", part, overrides["high"], overrides["low"], roles["close"])
                else:
                    size = default_box_size(_FUNC, "pnf", part, roles["high"], roles["low"], overrides["close"])
            except ValueError as e:
                failures[i] = e
                continue
            box_sizes[i] = float(size)
        bricks: tuple[pl.Series, pl.Series | None]
        if kind == "renko":
            bricks = (df.get_column(roles["close"]), None)
        else:
            bricks = (df.get_column(roles["high"]), df.get_column(roles["low"]))
        return _Prepared(None, bricks, box_sizes, [], [], False, failures, tseries)

    columns = df.columns
    overlay_specs = [_spec("overlay", spec, columns, roles, i) for i, spec in enumerate(opts.overlays)]
    panel_groups = _panel_specs(opts.panels, columns, roles)
    panel_specs = [s for _, lines, hist, _, _ in panel_groups for s in [*lines, *([hist] if hist else [])]]
    if key is not None and any(s.series is not None for s in overlay_specs + panel_specs):
        raise TypeError(f"{_FUNC}: in a batch, overlays and panels are pl.Expr (per chart), not a Series")
    extra = []
    if kind == "heikin_ashi":
        extra.append(
            FUNCTIONS["heikin_ashi"](
                open=pl.col(roles["open"]),
                high=pl.col(roles["high"]),
                low=pl.col(roles["low"]),
                close=pl.col(roles["close"]),
            ).alias("__kf_ha")
        )
    extra += annotation_exprs(ann, columns, roles, df.height, key is not None)
    out = _evaluate(df, overlay_specs + panel_specs, extra, key) if overlay_specs or panel_specs or extra else df
    if kind == "heikin_ashi":
        ha = out.get_column("__kf_ha")
        o, h, lo, c = (ha.struct.field(f"ha_{r}") for r in ("open", "high", "low", "close"))
    else:
        o, h, lo, c = (df.get_column(roles.get(r, roles["close"])) for r in ("open", "high", "low", "close"))
    v = df.get_column(roles["volume"]) if draw_volume is not False else None
    overlay_lines = [(spec, _spec_lines(spec, out, df.height)) for spec in overlay_specs]
    overlays = [line for _, lines in overlay_lines for line in lines]
    band_fills = [fill for spec, lines in overlay_lines for fill in _band_fills(spec, lines)]
    panels = []
    for title, line_specs, hist_spec, levels, look in panel_groups:
        lines = [line for spec in line_specs for line in _spec_lines(spec, out, df.height)]
        hist: pl.Series | None
        if hist_spec is not None:
            hist = _spec_lines(hist_spec, out, df.height)[0][1]
        else:
            # The first field named like a histogram is drawn as one.
            hist = next((s for name, s, *_ in lines if _is_histogram(name)), None)
        kept: list[Any] = [line for line in lines if line[1] is not hist]
        panels.append((title, kept, hist, levels, look))
    marks = marks_of(ann, out)
    if band_fills:
        # Bands are shaded first, under the fill_between regions.
        marks = marks._replace(fills=band_fills + marks.fills)
    return _Prepared((tseries, o, h, lo, c, v), None, box_sizes, overlays, panels, draw_volume, failures, None, marks)


def _high_below_low(df: pl.DataFrame, high: str, low: str, offsets: list[int]) -> dict[int, Exception]:
    """For each chart with a bar whose high is below its low, the error naming its first such row."""
    rows = df.select((pl.col(high).cast(pl.Float64) < pl.col(low).cast(pl.Float64)).arg_true()).to_series()
    out: dict[int, Exception] = {}
    for row in rows:
        chart = bisect.bisect_right(offsets, row) - 1
        if chart not in out:
            h, lo = df[high][row], df[low][row]
            out[chart] = ValueError(
                f"{_FUNC}: high < low at row {row - offsets[chart]}: column {high!r} = {h}, column {low!r} = {lo}"
            )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Namespace methods.


def _needed_columns(lf: pl.LazyFrame, kwargs: dict[str, Any]) -> list[str]:
    """The columns ``render`` may read: OHLCV / time roles, temporal columns, columns named in ``kwargs`` and the
    roots of overlay / panel expressions."""
    schema = lf.collect_schema()
    named = {
        v for k, v in kwargs.items() if isinstance(v, str) and k in ("open", "high", "low", "close", "time", "volume")
    }
    for key in ("overlays", "panels"):
        specs = kwargs.get(key)
        for spec in _as_list(key, specs) if specs is not None else []:
            if isinstance(spec, tuple) and len(spec) >= 2 and isinstance(spec[1], pl.Expr):
                named.update(spec[1].meta.root_names())
            elif isinstance(spec, Mapping):
                named.update(_expr_roots([v for k, v in spec.items() if k != "title"]))
    for key in ("fill_between", "markers", "tlines", "marketcolor_overrides"):
        named.update(_expr_roots(kwargs.get(key)))
    roles = {"open", "high", "low", "close", "volume", *TIME_NAMES}
    return [
        c for c, t in schema.items() if c.lower() in roles or c in named or t == pl.Date or isinstance(t, pl.Datetime)
    ]


def _expr_roots(value: Any) -> set[str]:
    """Column names an annotation option reads: expression roots and strings inside it."""
    if isinstance(value, pl.Expr):
        return set(value.meta.root_names())
    if isinstance(value, str):
        return {value}
    if isinstance(value, Mapping):
        return set().union(*(_expr_roots(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_expr_roots(v) for v in value))
    return set()


def _dataframe_render(self: Any, kind: str = "candle", **kwargs: Any) -> ChartImage:
    return render(self._frame, kind, **kwargs)


def _lazyframe_render(self: Any, kind: str = "candle", **kwargs: Any) -> ChartImage:
    lf: pl.LazyFrame = self._frame
    return render(lf.select(_needed_columns(lf, kwargs)).collect(), kind, **kwargs)


_dataframe_render.__doc__ = render.__doc__
_lazyframe_render.__doc__ = "Collect only the columns the chart needs, then draw it.\n\n" + (render.__doc__ or "")
_dataframe_render.__name__ = _lazyframe_render.__name__ = "render"
_params = list(inspect.signature(render).parameters.values())
_method_sig = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *_params[1:]])
_dataframe_render.__signature__ = _lazyframe_render.__signature__ = _method_sig  # type: ignore[attr-defined]
setattr(DataFrameNamespace, "render", _dataframe_render)
setattr(LazyFrameNamespace, "render", _lazyframe_render)

__all__ = ["COLOR_KEYS", "FORMATS", "KINDS", "SPEEDS", "THEMES", "ChartImage", "render"]
