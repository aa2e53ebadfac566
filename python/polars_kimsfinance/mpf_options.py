"""mplfinance's ``plot`` keyword values as ``render`` options: styles (by name, or ``make_mpf_style`` /
``make_marketcolors`` dicts), ``hlines`` / ``vlines`` / ``alines`` / ``tlines``, ``fill_between``,
``make_addplot`` entries, ``marketcolor_overrides`` and the panel keywords.

Each translator returns the options, or ``None`` for a form it does not serve (the call then goes to mplfinance).
Colours go through matplotlib's own parser, so every colour mplfinance accepts is read as mplfinance reads it.
``style_colors`` is public as ``df.kf.render(style=...)``'s translation.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Mapping, Sequence
from typing import Any

from .annotations import line_style, marker_shape

_POINTS_PER_INCH = 72.0
#: matplotlib's default colour cycle, which mplfinance uses for moving averages when a style names none.
_DEFAULT_CYCLE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def hex_color(value: Any, alpha: float | None = None) -> str | None:
    """A colour matplotlib accepts as ``#RRGGBB`` (``#RRGGBBAA`` with an alpha below 1), or None."""
    import matplotlib.colors as mcolors

    if isinstance(value, (tuple, list)) and len(value) in (3, 4) and all(_is_real(v) for v in value):
        if any(v > 1 for v in value[:3]):  # mplfinance reads 0..255 components as 8-bit channels
            value = tuple(v / 255.0 for v in value[:3]) + tuple(value[3:])
    try:
        rgba = mcolors.to_rgba(value, alpha)
    except (ValueError, TypeError):
        return None
    return mcolors.to_hex(rgba, keep_alpha=rgba[3] < 1.0).upper()


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_dark(color: str) -> bool:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5


def _base_rc(style: Mapping[str, Any]) -> dict[str, Any]:
    """The matplotlib style an mplfinance style builds on, overlaid with the style's own rc settings."""
    import matplotlib.style

    base = style.get("base_mpl_style")
    library = matplotlib.style.library
    names = [
        base,
        f"seaborn-v0_8-{base[len('seaborn-') :]}" if isinstance(base, str) and base.startswith("seaborn-") else None,
    ]
    rc: dict[str, Any] = {}
    for name in names:
        if isinstance(name, str) and name in library:
            rc.update({str(k): v for k, v in library[name].items()})
            break
    own = style.get("rc") or {}
    rc.update(dict(own.items()) if isinstance(own, Mapping) else dict(own))
    return rc


@functools.lru_cache(maxsize=64)
def _named_style(name: str) -> Mapping[str, Any] | None:
    """mplfinance's style of that name, made once per process (a served call reads it several times), read-only."""
    import mplfinance as mpf

    if name not in mpf.available_styles():
        return None
    return types.MappingProxyType(mpf.make_mpf_style(base_mpf_style=name))


def _resolve_style(style: Any) -> Mapping[str, Any] | None:
    """An mplfinance style dict for a style name or dict (None when mplfinance would not know it)."""
    if isinstance(style, str):
        return _named_style(style)
    if isinstance(style, Mapping) and "marketcolors" in style:
        return style
    return None


def style_colors(style: Any) -> tuple[str, dict[str, str], list[str]] | None:
    """``(theme, colors, moving-average colours)`` for an mplfinance style name or ``make_mpf_style`` dict: the
    face, grid and text colours and the up / down body, wick, edge and volume colours it defines; None when it is
    not a style mplfinance knows."""
    found = _resolve_style(style)
    if found is None:
        return None
    rc = _base_rc(found)
    mc = found.get("marketcolors") or {}
    alpha = mc.get("alpha")
    background = hex_color(found.get("facecolor") or rc.get("axes.facecolor", "white"))
    if background is None:
        return None
    colors: dict[str, str] = {"background": background[:7]}
    grid = hex_color(found.get("gridcolor") or rc.get("grid.color", "#b0b0b0"))
    text = hex_color(rc.get("axes.labelcolor") or rc.get("ytick.color") or rc.get("text.color", "black"))
    if grid:
        colors["grid"] = grid[:7]
    if text:
        colors["text"] = text[:7]
    for part, prefix, part_alpha in (("candle", "", alpha), ("wick", "wick_", None), ("edge", "edge_", None)):
        for side in ("up", "down"):
            value = hex_color((mc.get(part) or {}).get(side), part_alpha if part == "candle" and alpha != 1 else None)
            if value is None:
                return None
            colors[f"{prefix}{side}"] = value
    for side in ("up", "down"):
        value = hex_color((mc.get("volume") or {}).get(side))
        if value:
            colors[f"volume_{side}"] = value
    # mplfinance draws its line chart in the first colour of matplotlib's colour cycle.
    cycle = rc.get("axes.prop_cycle")
    first: Any = next(iter(cycle), None) if cycle is not None else None
    first = first.get("color") if isinstance(first, dict) else None
    line = hex_color(first or _DEFAULT_CYCLE[0])
    if line:
        colors["line"] = line[:7]
    theme = "modern" if _is_dark(colors["background"]) else "light"
    mav = [c for c in (hex_color(v) for v in (found.get("mavcolors") or _DEFAULT_CYCLE)) if c]
    return theme, colors, mav


# ---------------------------------------------------------------------------------------------------------------
# Lines: hlines, vlines, alines, tlines.

_LINE_KEYS = {"colors", "linestyle", "linewidths", "alpha"}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _looks(spec: Mapping[str, Any], count: int, dpi: float) -> list[dict[str, Any]] | None:
    """The look of each of ``count`` lines from mplfinance's ``colors`` / ``linestyle`` / ``linewidths`` /
    ``alpha`` (a value or one per line)."""
    colors = _as_list(spec.get("colors", "k"))
    styles = _as_list(spec.get("linestyle", "-"))
    widths = _as_list(spec.get("linewidths", None))
    alpha = spec.get("alpha")
    out = []
    for i in range(count):
        color = hex_color(colors[i % len(colors)], alpha)
        given = styles[i % len(styles)]
        style = "solid" if given is None else line_style(given)
        width = widths[i % len(widths)]
        if color is None or style is None:
            return None
        look: dict[str, Any] = {"color": color, "style": style}
        if width is not None:
            if not (isinstance(width, (int, float)) and math.isfinite(width) and 0 <= width <= 500):
                return None
            look["width"] = round(float(width) * dpi / _POINTS_PER_INCH, 2)
        out.append(look)
    return out


def _split(value: Any, key: str, extra: frozenset[str] = frozenset()) -> tuple[Any, Mapping[str, Any]] | None:
    """mplfinance's ``hlines=dict(hlines=..., colors=...)`` form, or a bare value with the default look."""
    if isinstance(value, Mapping):
        if key not in value or not set(value) <= {key} | _LINE_KEYS | extra:
            return None
        return value[key], value
    return value, {}


def _position(value: Any) -> Any:
    """A date mplfinance accepts for a line (a string, datetime or Timestamp) as something render reads."""
    if isinstance(value, str):
        return value
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if callable(to_pydatetime):
        return to_pydatetime()
    import datetime as dt

    return value if isinstance(value, (dt.date, dt.datetime)) else None


def lines(kwargs: Mapping[str, Any], dpi: float) -> dict[str, Any] | None:
    """``hlines`` / ``vlines`` / ``alines`` / ``tlines`` as render options."""
    out: dict[str, Any] = {}
    if kwargs.get("hlines") is not None:
        split = _split(kwargs["hlines"], "hlines")
        if split is None:
            return None
        prices = _as_list(split[0])
        looks = _looks(split[1], len(prices), dpi)
        if looks is None or not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in prices):
            return None
        out["hlines"] = [{"y": float(p), **look} for p, look in zip(prices, looks)]
    if kwargs.get("vlines") is not None:
        split = _split(kwargs["vlines"], "vlines")
        if split is None:
            return None
        dates = [_position(d) for d in _as_list(split[0])]
        looks = _looks(split[1], len(dates), dpi)
        if looks is None or any(d is None for d in dates):
            return None
        out["vlines"] = [{"x": d, **look} for d, look in zip(dates, looks)]
    if kwargs.get("alines") is not None:
        split = _split(kwargs["alines"], "alines")
        if split is None:
            return None
        value = split[0]
        # One line is a sequence of (date, price) points; several lines are a sequence of those.
        many = (
            isinstance(value, (list, tuple))
            and value
            and isinstance(value[0], (list, tuple))
            and (len(value[0]) != 2 or isinstance(value[0][0], (list, tuple)))
        )
        segments = list(value) if many else [value]
        looks = _looks(split[1], len(segments), dpi)
        if looks is None:
            return None
        alines = []
        for points, look in zip(segments, looks):
            if not isinstance(points, (list, tuple)) or len(points) < 2:
                return None
            converted = [(_position(p[0]), p[1]) for p in points if isinstance(p, (list, tuple)) and len(p) == 2]
            if len(converted) != len(points) or any(d is None for d, _ in converted):
                return None
            alines.append({"points": converted, **look})
        out["alines"] = alines
    if kwargs.get("tlines") is not None:
        value = kwargs["tlines"]
        specs = (
            list(value)
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value)
            else [value]
        )
        tlines = []
        for spec_value in specs:
            found = _tlines(spec_value, dpi)
            if found is None:
                return None
            tlines += found
        out["tlines"] = tlines
    return out


def _tlines(value: Any, dpi: float) -> list[dict[str, Any]] | None:
    """One ``tlines`` value (date pairs, or a dict of them with its look, ``tline_use``, ``tline_method``)."""
    import polars as pl

    split = _split(value, "tlines", frozenset({"tline_use", "tline_method"}))
    if split is None:
        return None
    pairs, spec = split
    use = spec.get("tline_use", "close")
    method = spec.get("tline_method", "point-to-point")
    names = [u.lower() for u in _as_list(use) if isinstance(u, str)]
    if not names or len(names) != len(_as_list(use)) or not set(names) <= {"open", "high", "low", "close"}:
        return None
    # Several columns: mplfinance draws from their mean at each bar.
    source: Any = names[0] if len(names) == 1 else pl.mean_horizontal([pl.col(n) for n in names])
    if method not in ("point-to-point", "least-squares"):
        return None
    if not (isinstance(pairs, (list, tuple)) and pairs and isinstance(pairs[0], (list, tuple))):
        pairs = [pairs]
    looks = _looks(spec, len(pairs), dpi)
    if looks is None:
        return None
    out = []
    for pair, look in zip(pairs, looks):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return None
        start, end = _position(pair[0]), _position(pair[1])
        if start is None or end is None:
            return None
        out.append({"between": (start, end), "use": source, "method": method, **look})
    return out


# ---------------------------------------------------------------------------------------------------------------
# Shading.


def _values(value: Any, n: int) -> Any:
    """A number, or one float per bar as a numpy array (None when it is neither)."""
    import numpy as np

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.shape == (n,) else None


def fills(
    value: Any, n: int, places: Mapping[int, str | int], main: int = 0, *, panel_key: bool = True
) -> list[dict[str, Any]] | None:
    """``fill_between`` (a value, a dict or a list of dicts, on the main panel, number ``main``, unless its
    ``panel`` names another) as render options; ``places`` gives render's name of each mplfinance panel number
    (None for a panel the chart does not draw, which mplfinance refuses). A ``make_addplot`` entry's own
    ``fill_between`` shades its panel (``main`` here) and takes no ``panel`` key (``panel_key=False``)."""
    import numpy as np

    if isinstance(value, Mapping):
        entries = [value]
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value):
        entries = list(value)
    else:
        entries = [{"y1": value}]
    out = []
    for entry in entries:
        if not set(entry) <= {"y1", "y2", "where", "color", "alpha", "label", "facecolor", "panel"}:
            return None
        if not panel_key and "panel" in entry:
            return None  # matplotlib's own fill_between refuses the key
        panel = entry.get("panel", main)
        if not _is_int(panel) or panel not in places:
            return None
        y1, y2 = _values(entry.get("y1"), n), _values(entry.get("y2", 0.0), n)
        if y1 is None or y2 is None:
            return None
        # matplotlib's fill colour is the next in the colour cycle: the first for the first fill.
        color = hex_color(entry.get("facecolor", entry.get("color", _DEFAULT_CYCLE[0])))
        alpha = entry.get("alpha", 1.0)
        if color is None or not (isinstance(alpha, (int, float)) and 0 <= alpha <= 1):
            return None
        fill: dict[str, Any] = {"y1": y1, "y2": y2, "color": color[:7], "alpha": float(alpha)}
        if places[panel] != "price":
            fill["panel"] = places[panel]
        if entry.get("where") is not None:
            where = np.asarray(entry["where"])
            if where.shape != (n,) or where.dtype != bool:
                return None
            fill["where"] = where
        if isinstance(entry.get("label"), str):
            fill["label"] = entry["label"]
        out.append(fill)
    return out


def bar_colors(value: Any, rising: Sequence[bool]) -> list[str | None] | None:
    """``marketcolor_overrides``: one colour (or ``make_marketcolors`` dict, or None) per bar; a dict gives its
    candle colour for the bar's direction (``rising``: open < close, as mplfinance decides it)."""
    if hasattr(value, "ndim") and getattr(value, "ndim", 0) == 1 and hasattr(value, "tolist"):
        value = value.tolist()  # a numpy array, e.g. a frame column's .values
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != len(rising):
        return None
    out: list[str | None] = []
    for entry, up in zip(value, rising):
        if entry is None:
            out.append(None)
            continue
        if isinstance(entry, (list, tuple)) and len(entry) == 1 and isinstance(entry[0], Mapping):
            entry = entry[0]
        if isinstance(entry, Mapping):
            entry = (entry.get("candle") or {}).get("up" if up else "down")
        color = hex_color(entry)
        if color is None:
            return None
        out.append(color)
    return out


# ---------------------------------------------------------------------------------------------------------------
# make_addplot.

_ADDPLOT_DEFAULTS = {
    "scatter": False, "type": "line", "mav": None, "panel": 0, "marker": "o", "markersize": 18, "color": None,
    "linestyle": None, "linewidths": None, "edgecolors": None, "width": None, "bottom": 0, "alpha": 1,
    "secondary_y": "auto", "y_on_right": None, "ylabel": None, "ylim": None, "title": None, "ax": None,
    "yscale": None, "stepwhere": "pre", "marketcolors": None, "fill_between": None, "label": None,
}  # fmt: skip
#: matplotlib's step positions as render's panel kinds.
_STEP_KINDS = {"pre": "step_pre", "post": "step", "mid": "step_mid"}
#: Keys whose non-default value changes the drawing in a way render does not follow.
_ADDPLOT_UNSERVED = ("edgecolors", "linewidths", "bottom", "y_on_right", "title", "ax", "marketcolors")


def _columns(data: Any, n: int) -> list[tuple[str | None, Any]] | None:
    """An addplot's data as ``(name, float array)`` columns: a Series / array is one column, a frame one per
    column."""
    import numpy as np

    frame_columns = getattr(data, "columns", None)
    parts: list[tuple[Any, Any]]
    if frame_columns is not None:
        parts = [(str(c), data[c]) for c in frame_columns]
    else:
        parts = [(getattr(data, "name", None), data)]
    out: list[tuple[str | None, Any]] = []
    for name, values in parts:
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if array.shape != (n,):
            return None
        out.append((name if isinstance(name, str) else None, array))
    return out


def _panel_axis(ap: Mapping[str, Any]) -> dict[str, Any] | None:
    """An addplot's ``yscale`` and ``ylim`` as render panel keys ({} when neither is set, None when not served)."""
    out: dict[str, Any] = {}
    yscale, ylim = ap.get("yscale"), ap.get("ylim")
    if yscale is not None:
        if yscale not in ("linear", "log"):
            return None
        out["yscale"] = yscale
    if ylim is not None:
        if not (
            isinstance(ylim, (list, tuple))
            and len(ylim) == 2
            and all(_is_real(v) and math.isfinite(v) for v in ylim)
            and ylim[0] < ylim[1]
        ):
            return None
        out["ylim"] = (float(ylim[0]), float(ylim[1]))
    return out


def _magnitude(lo: float, hi: float, pad: float) -> tuple[float, float]:
    """mplfinance's order-of-magnitude range of values from ``lo`` to ``hi``: their decades, widened by ``pad``."""
    return math.log10(max(abs(lo), 1e-7)) - pad, math.log10(max(abs(hi), 1e-7)) + pad


def _on_secondary_axis(mags: dict[int, tuple[float, float]], panel: int, values: Any, setting: Any) -> bool | None:
    """Whether mplfinance draws an addplot column on its panel's secondary y axis: ``secondary_y`` as given, or
    for ``"auto"`` when the column's decades fall outside those of what the panel drew first (None: an invalid
    setting or a column without values)."""
    import numpy as np

    if setting is True or setting is False:
        return setting
    if setting != "auto":
        return None
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return None
    lo, hi = _magnitude(float(np.min(finite)), float(np.max(finite)), 0.0)
    if panel not in mags:
        mags[panel] = (lo, hi)
        return False
    return lo < mags[panel][0] or hi > mags[panel][1]


def mav_periods(value: Any) -> list[int] | None:
    """mplfinance's mav/ema periods (at most 7, each >= 2); None when not a plain int or list of ints."""
    if _is_int(value):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(_is_int(v) and v >= 2 for v in value):
        return None
    return list(value)[:7]


def moving_averages(kind: str, prices: Any, periods: list[int]) -> list[Any] | None:
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


def _addplot_mavs(ap: Mapping[str, Any], values: Any) -> list[tuple[int, Any]] | None:
    """An addplot's ``mav`` lines as ``(period, average)``, the averages mplfinance draws over the entry's data;
    None for a form not served (shifts, data with gaps)."""
    if ap.get("mav") is None:
        return []
    periods = mav_periods(ap["mav"])
    averages = None if periods is None else moving_averages("sma", values, periods)
    return None if averages is None or periods is None else list(zip(periods, averages))


def addplots(
    value: Any,
    n: int,
    dpi: float,
    palette: list[str],
    *,
    main: int,
    prices: tuple[float, float],
    mavs_drawn: int = 0,
    volume_panel: int | None = None,
    volumes: tuple[float, float] | None = None,
) -> dict[str, Any] | None:
    """``addplot`` entries on the main panel (number ``main``: lines, scatter markers) and on the other panels
    (lines; bars as a histogram; steps at ``stepwhere``) as render ``overlays`` / ``markers`` / ``panels``, in
    mplfinance's panel order.
    ``prices`` is the lowest low and highest high, whose decades decide (as in mplfinance) which columns go to a
    secondary axis (drawn as render's second-axis lines); lines on the volume panel (number ``volume_panel``, whose
    decades are those of ``volumes``) as overlays there; each entry's ``fill_between`` under ``"fills"`` as
    ``(value, panel number)``. None for a form not served: steps on the main panel or beside lines, candle plots,
    markers or bars on a secondary axis, anything but lines on the volume panel."""
    import numpy as np
    import polars as pl

    entries = value if isinstance(value, (list, tuple)) else [value]
    overlays: list[Any] = []
    markers: list[Any] = []
    panels: dict[int, dict[str, Any]] = {}
    colors = iter(palette * 4)
    mags = {main: _magnitude(prices[0], prices[1], 0.5)}
    if volume_panel is not None and volumes is not None:
        mags[volume_panel] = _magnitude(volumes[0], volumes[1], 0.5)
    # Each entry's own fill_between, with its panel number, for the caller to place (it knows the panels).
    entry_fills: list[tuple[Any, int]] = []
    # mplfinance draws every moving average, the main panel's and the added plots', from one colour cycle.
    mav_index = mavs_drawn
    for k, ap in enumerate(entries):
        if not isinstance(ap, Mapping) or not set(ap) <= {"data", *_ADDPLOT_DEFAULTS} or "data" not in ap:
            return None
        if any(
            ap.get(key, default) != default for key, default in _ADDPLOT_DEFAULTS.items() if key in _ADDPLOT_UNSERVED
        ):
            return None
        kind = "scatter" if ap.get("scatter") else ap.get("type", "line")
        # A bar's width is its share of the slot; a line's, matplotlib's linewidth in points.
        width = ap.get("width")
        if width is not None and not (_is_real(width) and width > 0 and (kind != "bar" or width <= 1)):
            return None  # a bar wider than its slot
        line_px = float(width) * dpi / _POINTS_PER_INCH if width is not None and kind in ("line", "step") else 0.0
        panel = ap.get("panel", 0)
        if not _is_int(panel) or not 0 <= panel <= 31:
            return None
        style = "solid" if ap.get("linestyle") is None else line_style(ap["linestyle"])
        if style is None:
            return None
        columns = _columns(ap["data"], n)
        if columns is None:
            return None
        if ap.get("fill_between") is not None:
            # mplfinance shades it once per column of the entry's data.
            entry_fills.extend([(ap["fill_between"], panel)] * len(columns))
        axis = _panel_axis(ap)
        if axis is None or (panel == main and axis != {}):
            return None  # a y scale or range of its own on the main panel is not served
        color = ap.get("color")
        label = ap.get("label")
        for j, (name, values) in enumerate(columns):
            secondary = _on_secondary_axis(mags, panel, values, ap.get("secondary_y", "auto"))
            # Lines are served on a second axis, and bars on an added panel's; markers, shading, and a second axis's
            # own label, scale or range are not.
            drawn_there = kind in ("line", "step") or (kind == "bar" and panel not in (main, volume_panel))
            own_look = bool(axis) or bool(ap.get("ylabel")) or ap.get("fill_between") is not None
            if secondary is None or (secondary and (own_look or not drawn_there)):
                return None
            one_color = color[j % len(color)] if isinstance(color, (list, tuple)) else color
            alpha = ap.get("alpha", 1)
            hexed = hex_color(one_color if one_color is not None else next(colors), None if alpha == 1 else alpha)
            if hexed is None:
                return None
            title = label if isinstance(label, str) else (name or f"addplot {k}")
            series = pl.Series(title, values)
            look = {**({"secondary_y": True} if secondary else {}), **({"width": line_px} if line_px else {})}
            line: Any = {"line": (title, series, hexed, style), **look} if look else (title, series, hexed, style)
            mavs = _addplot_mavs(ap, values)
            if mavs is None or (mavs and not palette):
                return None
            mav_lines: list[Any] = []
            for period, mean in mavs:
                mav_color = hex_color(palette[mav_index % len(palette)])
                mav_index += 1
                if mav_color is None:
                    return None
                mav_line = (f"{title} mav {period}", pl.Series(mean), mav_color[:7], "solid")
                mav_lines.append({"line": mav_line, "secondary_y": True} if secondary else mav_line)
            if panel == volume_panel:
                if kind != "line" or axis or ap.get("ylabel"):
                    return None  # markers, bars, steps or an axis of their own on the volume panel
                lines = [line, *mav_lines]
                overlays.extend(
                    {**(one if isinstance(one, dict) else {"line": one}), "panel": "volume"} for one in lines
                )
            elif panel == main:
                if kind == "line":
                    overlays.append(line)
                elif kind == "scatter":
                    shape = marker_shape(ap.get("marker", "o"))
                    size = ap.get("markersize", 18)
                    if shape is None or not isinstance(size, (int, float)) or size <= 0:
                        return None
                    # matplotlib's scatter size is an area in points squared.
                    px = math.sqrt(float(size)) * dpi / _POINTS_PER_INCH
                    markers.append(
                        {"signal": pl.Series(~np.isnan(values)), "at": series, "shape": shape, "size": px,
                         "color": hexed, **({"label": label} if isinstance(label, str) else {})}
                    )  # fmt: skip
                else:
                    return None
                overlays.extend(mav_lines)
            else:
                if kind not in ("line", "bar", "step"):
                    return None
                slot = panels.setdefault(panel, {"lines": [], "hist": None, "kind": None, "ylabel": ap.get("ylabel")})
                # The panel's axis as the entries that set it leave it (matplotlib keeps the last setting).
                slot.update(axis)
                if kind == "bar":
                    if slot["hist"] is not None:
                        return None
                    # matplotlib's bars: 0.8 of a slot wide unless given, in the entry's one colour.
                    slot.update(
                        hist=series,
                        hist_width=0.8 if width is None else float(width),
                        hist_color=hexed,
                        hist_secondary=secondary,
                    )
                    line_kind: str | None = "line" if mav_lines else None  # what the entry's lines ask of the panel
                else:
                    line_kind = "line"
                    if kind == "step":
                        where = ap.get("stepwhere", "pre")
                        line_kind = _STEP_KINDS.get(where) if isinstance(where, str) else None
                    if line_kind is None or (mav_lines and line_kind != "line"):
                        return None  # an unknown step, or averages (lines) beside steps
                    slot["lines"].append(line)
                slot["lines"].extend(mav_lines)
                if line_kind is not None:
                    # A panel draws all its lines one way: lines and steps on one panel are not served.
                    if slot["kind"] not in (None, line_kind):
                        return None
                    slot["kind"] = line_kind
    return {"overlays": overlays, "markers": markers, "panels": panels, "fills": entry_fills}


# show_nontrading=True: the keywords that draw one value per bar (a line through the grid's empty bars would break at
# each of them, where matplotlib joins the points across the gap), and the grid's largest size per bar of data.
_PER_BAR_KEYWORDS = ("mav", "ema", "addplot", "fill_between", "tlines", "alines", "marketcolor_overrides")
_CALENDAR_GROWTH = 20


def calendar_frame(kwargs: Mapping[str, Any], kind: str, frame: Any) -> Any:
    """The bars of ``frame`` on a regular time grid, for ``show_nontrading=True``: mplfinance then places each bar
    at its time, so the times without bars (weekends, holidays, the night) stay empty. The grid steps by the
    shortest gap between bars, and its added rows have no prices: kf draws them as empty slots. None where kf does
    not serve the call: a close line or bricks, lines of one value per bar, a gap that is not a whole number of
    steps, or a grid more than 20 times the bars."""
    import polars as pl

    if kind in ("line", "renko", "pnf") or kwargs.get("tight_layout"):
        return None
    if any(kwargs.get(k) is not None for k in _PER_BAR_KEYWORDS):
        return None
    dates = frame["date"]
    if frame.height < 2:
        return frame
    gaps = dates.diff().drop_nulls().dt.total_microseconds()
    step = gaps.min()
    if not isinstance(step, int) or step <= 0 or (gaps % step != 0).any():
        return None
    rows = gaps.sum() // step + 1
    if rows > _CALENDAR_GROWTH * frame.height:
        return None
    grid = pl.datetime_range(dates[0], dates[-1], interval=f"{step}us", eager=True, time_unit=dates.dtype.time_unit)
    return pl.DataFrame({"date": grid}).join(frame, on="date", how="left").sort("date")
