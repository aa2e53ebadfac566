"""The mplfinance accelerator: :func:`activate` serves supported ``mpf.plot(...)`` calls with kf's renderer and
mplfinance's moving averages with kf's kernels; :func:`deactivate` puts mplfinance back exactly as it was.

mplfinance, matplotlib, pandas and numpy are imported only when used, so the package imports without them.
"""

from __future__ import annotations

import io
import math
import os
import threading
import time
import warnings
from typing import Any

from . import mpf_options
from .mpf_options import _is_int
from .stats import _track

__all__ = ["activate", "deactivate", "is_active"]

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
_PLOT_KWARGS = {
    "type", "volume", "mav", "ema", "style", "figsize", "figratio", "figscale", "title", "savefig", "returnfig",
    "closefig", "block", "warn_too_much_data", "tight_layout", "ylabel", "ylabel_lower", "renko_params",
    "pnf_params", "volume_exponent", "hlines", "vlines", "alines", "tlines", "fill_between", "addplot",
    "marketcolor_overrides", "panel_ratios", "main_panel", "volume_panel", "num_panels", "yscale", "xrotation",
    "datetime_format", "axtitle", "scale_padding", "show_nontrading", "width_adjuster_version",
    "scale_width_adjustment", "update_width_config", "linecolor", "return_width_config", "volume_yscale", "xlabel",
    "mco_faceonly",
}  # fmt: skip
# savefig dict keys that change nothing in the file mplfinance writes: pad_inches only pads a tight bounding box.
_SAVEFIG_KEYS = {"fname", "dpi", "format", "pad_inches"}
#: matplotlib's file formats kf writes, by the name render gives them. JPEG is written as matplotlib writes it:
#: Pillow's encoder (matplotlib's own dependency) over kf's pixels.
_FORMATS = {"png": "png", "webp": "webp", "svg": "svg", "jpg": "jpeg", "jpeg": "jpeg"}
_DEFAULT_XROTATION = 45.0
_DEFAULT_FIGRATIO = (8.00, 5.75)  # mplfinance: figure height 5.75 in at figscale 1


def is_active() -> bool:
    """Whether :func:`activate` has patched mplfinance."""
    return bool(_STATE)


def activate() -> None:
    """Serve supported ``mpf.plot(...)`` calls with kf's renderer, and mplfinance's moving averages with kf's kernels.

    Supported: a pandas frame with a DatetimeIndex and Open/High/Low/Close(/Volume) columns; ``type`` candle, ohlc,
    line, renko, pnf or hollow_and_filled; ``volume``; ``mav`` / ``ema`` as periods (not on renko; left out on pnf
    with a warning, as mplfinance does); ``style`` by built-in name; ``figsize`` or ``figratio``/``figscale`` with
    the savefig dpi giving the pixel size; ``title``;
    ``ylabel`` / ``ylabel_lower`` / ``volume_exponent``; ``renko_params`` / ``pnf_params`` (box sizes computed as
    mplfinance computes them, ATR included); ``savefig`` to a .png/.webp/.svg path, a BytesIO (PNG) or a dict with
    ``fname``/``dpi``/``format``/``pad_inches``; ``tight_layout`` (the file has the cropped size mplfinance
    writes, which matplotlib's layout of the figure gives); ``return_width_config``; and ``returnfig=False``.
    Served charts keep mplfinance's look where it is data: its axis labels, a centred bold title, a date axis for
    renko and point-and-figure charts, and no last-price marker or legend. Every other call runs mplfinance's own
    code unchanged. Activating twice does nothing. Code that did ``from mplfinance import plot`` before activating
    keeps the original.

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
    if spec["warning"] is not None:
        warnings.warn(spec["warning"], UserWarning, 2)
    payload = bytes(image) if spec["jpeg_dpi"] is None else _jpeg(image, spec["jpeg_dpi"])
    target = spec["target"]
    if isinstance(target, io.IOBase):
        target.write(payload)
    else:
        with open(target, "wb") as f:
            f.write(payload)
    _track("mplfinance", time.perf_counter_ns() - t0, spec["candles"], len(payload), "cpu")
    return None


def _jpeg(image: Any, dpi: float) -> bytes:
    """A raw RGBA chart as the JPEG file matplotlib's ``savefig`` writes: Pillow's encoder at its default quality,
    the figure's dpi in the header (the chart is opaque, so matplotlib's blend over white changes nothing)."""
    from PIL import Image

    pixels = Image.frombuffer("RGBA", (image.width, image.height), bytes(image), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    pixels.convert("RGB").save(out, format="jpeg", dpi=(dpi, dpi))
    return out.getvalue()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


# mplfinance leaves out moving averages on point-and-figure charts and warns that it did; so does a served call.
_PNF_AVERAGES = "moving averages (mav, ema) are not drawn on point-and-figure charts; they were ignored"


def _translate(data: Any, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """What kf should render for this ``mpf.plot`` call, or None when the call is not supported."""
    if not set(kwargs) <= _PLOT_KWARGS or kwargs.get("returnfig"):
        return None
    widths = kwargs.get("return_width_config")
    if widths is not None and not isinstance(widths, dict):
        return None
    # Bar widths are kf's own: mplfinance's width settings are accepted in the forms it accepts, and change nothing.
    if kwargs.get("width_adjuster_version", "v1") not in ("v0", "v1"):
        return None
    if any(not isinstance(kwargs.get(k, {}), dict) for k in ("update_width_config", "scale_width_adjustment")):
        return None
    from .namespaces import DataFrameNamespace

    if not hasattr(DataFrameNamespace, "render"):  # df.kf.render not in this build
        return None
    kind = _KINDS.get(kwargs.get("type", "ohlc"))
    volume = kwargs.get("volume", False)
    if kind is None or not isinstance(volume, bool):
        return None
    style = kwargs.get("style")
    looks = mpf_options.style_colors("default" if style is None else style)
    if looks is None:
        return None
    theme, colors, mav_colors = looks
    if kwargs.get("linecolor") is not None:
        line = mpf_options.hex_color(kwargs["linecolor"])
        if line is None:
            return None
        colors = {**colors, "line": line[:7]}
    from . import functions

    overlays: list[Any] = []
    ignored_averages = False
    for key, func in (("mav", functions.sma), ("ema", functions.ema)):
        if kwargs.get(key) is not None:
            periods = mpf_options.mav_periods(kwargs[key])
            if periods is not None and kind == "pnf":
                ignored_averages = True  # mplfinance draws none on a point-and-figure chart, and warns
                continue
            if periods is None or kind == "renko":
                return None
            for n in periods:
                color = mav_colors[len(overlays) % len(mav_colors)][:7] if mav_colors else None
                overlays.append((f"{func.__name__}_{n}", func("close", n), color) if color else f"{func.__name__}:{n}")
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
    # matplotlib truncates the figure's pixel size, after adding 1e-8 so that a product a floating-point tick below
    # an integer (5.75 in * 1.4 * 100 dpi = 804.9999999999999) counts as that integer.
    width, height = int(size[0] * dpi + 1e-8), int(size[1] * dpi + 1e-8)
    frame = _frame(data, volume)
    if frame is None:
        return None
    dates = frame["date"]
    if kwargs.get("show_nontrading"):
        frame = mpf_options.calendar_frame(kwargs, kind, frame)
        if frame is None:
            return None
    render = dict(kind=kind, width=width, height=height, theme=theme, colors=colors)
    render.update(volume=volume, overlays=overlays, title=title, format="rgba" if fmt == "jpeg" else fmt)
    look = _mplfinance_look(kwargs, frame, volume)
    if look is None:
        return None
    render.update(look)
    extras = _drawn_extras(kwargs, kind, frame, volume, dpi, mav_colors, len(overlays))
    if extras is None:
        return None
    extras["overlays"] = overlays + extras.get("overlays", [])
    render.update(extras)
    if kind in ("renko", "pnf"):
        boxes = _box_params(kind, kwargs, frame)
        if boxes is None:
            return None
        render.update(boxes)
    if kwargs.get("tight_layout"):
        if kind in ("renko", "pnf"):
            return None
        cropped = _tight_pixels(data, kwargs, dpi)
        if cropped is None:
            return None
        width, height = cropped
    if not (64 <= width <= 16384 and 64 <= height <= 16384):
        return None
    render.update(width=width, height=height)
    if widths is not None and not widths:
        widths.update(_width_config(kwargs, dates))  # mplfinance fills an empty dict, and only an empty one
    return {
        "frame": frame,
        "render": render,
        "target": fname,
        "candles": frame.height,
        "jpeg_dpi": dpi if fmt == "jpeg" else None,
        "warning": _PNF_AVERAGES if ignored_averages else None,
    }


# Keywords that draw inside the axes (or only colour): they leave the tight bounding box as it is.
_INSIDE_AXES = {
    "type", "mav", "ema", "savefig", "returnfig", "closefig", "block", "hlines", "vlines", "alines", "tlines",
    "fill_between", "marketcolor_overrides", "mco_faceonly", "linecolor", "return_width_config",
}  # fmt: skip


def _tight_pixels(data: Any, kwargs: dict[str, Any], dpi: float) -> tuple[int, int] | None:
    """The pixel size of the file ``tight_layout=True`` writes: mplfinance saves it cropped to the figure's tight
    bounding box (axes, tick labels, axis labels, title) plus ``pad_inches``, a size that only matplotlib's text
    layout decides. So matplotlib lays out the same figure as a line chart (no candles or bars to draw), and kf
    draws its chart at the size that figure's bounding box has."""
    import matplotlib
    import matplotlib.pyplot as plt

    save = kwargs.get("savefig")
    pad = save.get("pad_inches") if isinstance(save, dict) else None
    if pad is None:
        pad = matplotlib.rcParams["savefig.pad_inches"]
    if not isinstance(pad, (int, float)) or isinstance(pad, bool) or not math.isfinite(pad) or pad < 0:
        return None
    layout = {k: v for k, v in kwargs.items() if k not in _INSIDE_AXES}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig, _axes = _original("plot")(data, type="line", returnfig=True, **layout)
    except Exception:  # noqa: BLE001 - mplfinance decides how the call fails: let it draw the call itself
        return None
    try:
        fig.set_dpi(dpi)
        box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(pad)
        return int(box.width * dpi + 1e-8), int(box.height * dpi + 1e-8)
    finally:
        plt.close(fig)


def _width_config(kwargs: dict[str, Any], dates: Any) -> dict[str, Any]:
    """What mplfinance puts in an empty ``return_width_config`` dict, from its own width tables (which scale with
    the bars' spacing in days with ``show_nontrading=True``, where the x axis is matplotlib's dates)."""
    import numpy as np
    from matplotlib.dates import date2num
    from mplfinance._widths import _determine_width_config

    style = mpf_options._resolve_style(kwargs.get("style", "default"))
    nontrading = bool(kwargs.get("show_nontrading"))
    xdates = date2num(dates.to_numpy()) if nontrading else np.arange(len(dates))  # type: ignore[no-untyped-call]
    config = {
        "show_nontrading": nontrading,
        "width_adjuster_version": kwargs.get("width_adjuster_version", "v1"),
        "style": dict(style) if style is not None else {},
        "scale_width_adjustment": kwargs.get("scale_width_adjustment"),
        "update_width_config": kwargs.get("update_width_config"),
    }
    found: dict[str, Any] = _determine_width_config(xdates, config)
    return found


def _drawn_extras(
    kwargs: dict[str, Any], kind: str, frame: Any, volume: bool, dpi: float, palette: list[str], mavs_drawn: int
) -> dict[str, Any] | None:
    """Lines, shading, added plots, per-bar colours, panels and axis options, as render options (None: a form kf
    does not serve)."""
    out: dict[str, Any] = {}
    n = frame.height
    annotated = any(kwargs.get(k) is not None for k in ("hlines", "vlines", "alines", "tlines", "fill_between"))
    if kind in ("renko", "pnf") and (annotated or kwargs.get("addplot") is not None):
        return None
    found = mpf_options.lines(kwargs, dpi)
    if found is None:
        return None
    out.update(found)
    if kwargs.get("marketcolor_overrides") is not None:
        rising = (frame["open"] < frame["close"]).fill_null(False).to_list()
        colors = mpf_options.bar_colors(kwargs["marketcolor_overrides"], rising)
        if colors is None:
            return None
        out["marketcolor_overrides"] = colors
        faceonly = kwargs.get("mco_faceonly", False)
        if not isinstance(faceonly, bool):
            return None
        out["mco_faceonly"] = faceonly
    yscale, volume_yscale = kwargs.get("yscale", "linear"), kwargs.get("volume_yscale")
    if yscale not in ("linear", "log") or volume_yscale not in (None, "linear", "log"):
        return None  # the dict forms pass matplotlib's scale options on
    out["yscale"] = yscale
    if volume_yscale is not None:
        out["volume_yscale"] = volume_yscale
    for key in ("datetime_format", "axtitle", "xlabel"):
        if kwargs.get(key) is not None and not isinstance(kwargs[key], str):
            return None
    for key in ("datetime_format", "xlabel"):
        if kwargs.get(key) is not None:
            out[key] = kwargs[key]
    # The style's side for the price axis (mplfinance's "default" style and a few others put it on the left).
    style = mpf_options._resolve_style(kwargs.get("style", "default"))
    if style is not None and not style.get("y_on_right"):
        out["yaxis"] = "left"
    # mplfinance turns the time-axis labels by 45 degrees unless told otherwise.
    xrotation = kwargs.get("xrotation", _DEFAULT_XROTATION)
    if isinstance(xrotation, bool) or not isinstance(xrotation, (int, float)) or not math.isfinite(xrotation):
        return None
    out["xrotation"] = float(xrotation)
    if kwargs.get("axtitle") is not None and kwargs.get("title") is None:
        out.update(title=kwargs["axtitle"], title_bold=False)
    layout = _panel_layout(kwargs, frame, volume, dpi, palette, mavs_drawn)
    if layout is None:
        return None
    panels, places = layout
    out.update(panels)
    if kwargs.get("fill_between") is not None:
        fills = mpf_options.fills(kwargs["fill_between"], n, places, kwargs.get("main_panel", 0))
        if fills is None:
            return None
        # mplfinance shades the plot's own fill_between after the added plots' (the order they are drawn in).
        out["fill_between"] = out.get("fill_between", []) + fills
    return out


def _panel_layout(
    kwargs: dict[str, Any], frame: Any, volume: bool, dpi: float, palette: list[str], mavs_drawn: int
) -> tuple[dict[str, Any], dict[int, str | int]] | None:
    """Added plots and mplfinance's panel keywords as render ``overlays`` / ``markers`` / ``panels``,
    ``main_panel`` / ``volume_panel`` and ``panel_ratios``: panels numbered from the top as mplfinance numbers
    them, the added panels in the places the main and volume panels leave, in number order. ``mavs_drawn`` counts
    the main panel's ``mav`` / ``ema`` lines, whose colours the added plots' ``mav`` lines continue. With the
    options, each mplfinance panel number as render names the panel (``"price"``, ``"volume"``, an index of
    ``panels``)."""
    main, vpanel = kwargs.get("main_panel", 0), kwargs.get("volume_panel", 1)
    if not (_is_int(main) and 0 <= main <= 31 and _is_int(vpanel) and 0 <= vpanel <= 31):
        return None
    added: dict[str, Any] | None = {"overlays": [], "markers": [], "panels": {}, "fills": []}
    if kwargs.get("addplot") is not None:
        import numpy as np

        prices = (float(np.nanmin(frame["low"].to_numpy())), float(np.nanmax(frame["high"].to_numpy())))
        volumes = None
        if volume:
            values = frame["volume"].to_numpy()
            volumes = (float(np.nanmin(values)), float(np.nanmax(values)))
        added = mpf_options.addplots(
            kwargs["addplot"], frame.height, dpi, palette, main=main, prices=prices, mavs_drawn=mavs_drawn,
            volume_panel=vpanel if volume else None, volumes=volumes,
        )  # fmt: skip
    if added is None:
        return None
    numbers = sorted(added["panels"])
    if volume and vpanel == main:
        return None  # mplfinance's own error for one place taken twice
    count = 1 + int(volume) + len(numbers)
    num_panels = kwargs.get("num_panels", "infer")
    if num_panels not in ("infer", None, count):
        return None
    expected = set(range(count)) - {main} - ({vpanel} if volume else set())
    if set(numbers) != expected or main >= count:
        return None  # empty panels in between
    ratios = kwargs.get("panel_ratios")
    if ratios is None:
        ratios = [2.0] * count
        ratios[main] = 5.0
    elif isinstance(ratios, (list, tuple)) and len(ratios) == 2 and count > 2:
        ratios, main_ratio = [ratios[1]] * count, ratios[0]
        ratios[main] = main_ratio
    if not (isinstance(ratios, (list, tuple)) and len(ratios) == count):
        return None
    if not all(isinstance(r, (int, float)) and not isinstance(r, bool) and math.isfinite(r) and r > 0 for r in ratios):
        return None
    out: dict[str, Any] = {"panel_ratios": [float(r) for r in ratios] if count > 1 else None}
    if main != 0 or (volume and vpanel != 1):
        out.update(main_panel=main, volume_panel=vpanel if volume else 1)
    out["overlays"] = added["overlays"]
    if added["markers"]:
        out["markers"] = added["markers"]
    panels = []
    for number in numbers:
        slot = added["panels"][number]
        title = slot["ylabel"] if isinstance(slot["ylabel"], str) else ""
        entry: dict[str, Any] = {"title": title, "lines": slot["lines"]}
        if slot["kind"] not in (None, "line"):
            entry["kind"] = slot["kind"]
        if slot["hist"] is not None:
            bars = (slot["hist"].name, slot["hist"])
            entry["histogram"] = {"line": bars, "secondary_y": True} if slot["hist_secondary"] else bars
            entry.update(histogram_width=slot["hist_width"], histogram_color=slot["hist_color"])
        if slot.get("yscale") == "log":
            entry["yscale"] = "log"
        if slot.get("ylim") is not None:
            entry["ylim"] = slot["ylim"]
        panels.append(entry)
    out["panels"] = panels
    places: dict[int, str | int] = {main: "price", **{number: i for i, number in enumerate(numbers)}}
    if volume:
        places[vpanel] = "volume"
    entry_fills = []
    for value, number in added["fills"]:
        shaded = mpf_options.fills(value, frame.height, places, number, panel_key=False)
        if shaded is None:
            return None
        entry_fills += shaded
    if entry_fills:
        out["fill_between"] = entry_fills
    return out, places


def _mplfinance_look(kwargs: dict[str, Any], frame: Any, volume: bool) -> dict[str, Any] | None:
    """The parts of mplfinance's look that are data: its axis labels ("Price", and "Volume" with the power of ten
    its volume ticks are in), a centred bold title, and no last-price marker or legend, which it never draws."""
    ylabel = kwargs.get("ylabel", "Price")
    ylabel_lower = kwargs.get("ylabel_lower")
    exponent = kwargs.get("volume_exponent")
    if not isinstance(ylabel, str) or not (ylabel_lower is None or isinstance(ylabel_lower, str)):
        return None
    look: dict[str, Any] = dict(ylabel=ylabel, title_align="center", title_bold=True, last_price=False, legend=False)
    if volume and kwargs.get("volume_yscale") == "log":
        # A log axis has no power of ten in its label (matplotlib labels each decade instead).
        look.update(ylabel_lower="Volume" if ylabel_lower is None else ylabel_lower)
    elif volume:
        if exponent is None:
            exponent = _volume_exponent(frame["volume"].to_numpy())
        elif not _is_int(exponent) or exponent < 0 or exponent > 30:
            return None  # "legacy" and other forms: mplfinance's own formatter decides
        suffix = "" if exponent == 0 else "  \u00d710" + str(exponent).translate(_SUPERSCRIPTS)
        look.update(ylabel_lower=("Volume" if ylabel_lower is None else ylabel_lower) + suffix)
        if exponent:
            look.update(volume_exponent=exponent)
    return look


_SUPERSCRIPTS = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _volume_exponent(volumes: Any) -> int:
    """mplfinance's volume-axis power of ten: the largest of 30, 24, 18, 12, 6 not above 1.1 x the largest volume
    (matplotlib's default formatter limit is 10^6), else 0 (plain labels)."""
    import numpy as np

    top = 1.1 * float(np.nanmax(volumes)) if len(volumes) else 0.0
    return next((xp for xp in (30, 24, 18, 12, 6) if top >= 10.0**xp), 0)


def _mpf_atr(frame: Any, length: int) -> float | None:
    """mplfinance's average true range: the mean true range of the last ``length`` bars, each against the previous
    close; None where mplfinance raises (length < 1 or >= the number of bars)."""
    import numpy as np

    high, low, close = (frame[c].to_numpy() for c in ("high", "low", "close"))
    n = len(close)
    if length < 1 or length >= n:
        return None
    h, lo, prev = high[n - length :], low[n - length :], close[n - length - 1 : n - 1]
    tr = np.maximum(np.abs(h - lo), np.maximum(np.abs(h - prev), np.abs(lo - prev)))
    total = 0.0
    for value in tr:  # summed in order, as mplfinance does, so the box size has the same last bit
        total += float(value)
    return total / length


def _box_params(kind: str, kwargs: dict[str, Any], frame: Any) -> dict[str, Any] | None:
    """Renko / point-and-figure box size (and reversal) as mplfinance computes them from ``renko_params`` /
    ``pnf_params``; None for forms it would reject or that are not served."""
    params = kwargs.get("renko_params" if kind == "renko" else "pnf_params") or {}
    size_key, default_length = ("brick_size", 14) if kind == "renko" else ("box_size", "total")
    if not isinstance(params, dict) or not set(params) <= {size_key, "atr_length", "reversal"}:
        return None
    if kind == "renko" and "reversal" in params:
        return None
    size, length = params.get(size_key, "atr"), params.get("atr_length", default_length)
    n = frame.height
    if size == "atr":
        if length == "total":
            length = n - 1
        box = _mpf_atr(frame, length) if _is_int(length) else None
    elif _is_number(size):
        closes = frame["close"].to_numpy()
        total_atr = _mpf_atr(frame, n - 1)
        upper = (float(closes.max()) - float(closes.min())) / 2
        if total_atr is None or size > upper or size < 0.01 * total_atr:
            return None  # mplfinance raises its own error for these
        box = float(size)
    elif kind == "pnf" and isinstance(size, str) and size.endswith("%"):
        try:
            percent = float(size[:-1])
        except ValueError:
            return None
        box = percent / 100.0 * float(frame["close"][-1]) if 0 < percent < 50 else None
    else:
        box = None
    if box is None or not math.isfinite(box) or box <= 0:
        return None
    out: dict[str, Any] = {"box_size": box}
    if kind == "pnf":
        reversal = params.get("reversal", 3)
        if not _is_int(reversal) or not 1 <= reversal <= 9:
            return None
        out["reversal"] = reversal
    return out


def _savefig_target(save: Any) -> tuple[Any, str, float] | None:
    """(file name or buffer, format, dpi) for a supported ``savefig`` value."""
    import matplotlib

    dpi: Any = matplotlib.rcParams["savefig.dpi"]
    if dpi == "figure":
        dpi = matplotlib.rcParams["figure.dpi"]
    fmt: Any = None
    if isinstance(save, dict):
        if not set(save) <= _SAVEFIG_KEYS or "fname" not in save:
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
    """The figure size mplfinance would use: ``figsize``, else ``figratio`` scaled to 5.75 in tall, times
    ``figscale``."""
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
    periods = mpf_options.mav_periods(spec)
    if periods is None or (shift is not None and not isinstance(shift, (list, tuple))):
        return original(ax, cfg, xdates, prices, apmav, apwidth)
    try:
        averages = mpf_options.moving_averages(kind, prices, periods)
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
