"""Chart annotations from Python: ``hlines``, ``vlines``, ``alines``, ``tlines``, ``fill_between``, ``markers``,
``yscale`` and ``datetime_format`` in ``render``, the batch API and the CLI.

Pixels are probed through ``ChartImage.to_numpy()`` with colours no theme uses; positions are checked against each
other (a line at the mean of two prices sits half way between them) and against a vertical line at the same bar, so
the tests need no knowledge of the layout.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import numpy as np
import polars as pl
import pytest

import polars_kimsfinance as kf
from polars_kimsfinance.chart import ChartImage

MAGENTA, CYAN, YELLOW = (255, 0, 255), (0, 255, 255), (255, 255, 0)
HEX = {MAGENTA: "#FF00FF", CYAN: "#00FFFF", YELLOW: "#FFFF00"}
W, H = 600, 360


def frame(n: int = 120) -> pl.DataFrame:
    """A daily random walk in a narrow positive range."""
    rng = np.random.default_rng(7)
    close = 100 + np.cumsum(rng.normal(0, 0.5, n))
    return pl.DataFrame(
        {
            "date": pl.date_range(
                date(2024, 1, 1), date(2024, 1, 1) + (n - 1) * (date(2024, 1, 2) - date(2024, 1, 1)), eager=True
            ),
            "open": close - 0.2,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.full(n, 1000.0),
        }
    )


def pixels(df: pl.DataFrame, **kwargs: object) -> np.ndarray:
    kwargs.setdefault("antialias", False)
    kwargs.setdefault("last_price", False)
    kwargs.setdefault("volume", False)
    return df.kf.render(width=W, height=H, theme="light", **kwargs).to_numpy()


def mask(px: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    return (px[..., :3].astype(int) == np.array(rgb)).all(axis=-1)


def line_row(px: np.ndarray, rgb: tuple[int, int, int]) -> float:
    """The row of a horizontal line: the mean row of the pixels of its colour, over rows where it spans most of
    the plot."""
    m = mask(px, rgb)
    rows = np.nonzero(m.sum(axis=1) > W // 2)[0]
    assert rows.size, f"no horizontal line of colour {rgb}"
    return float(rows.mean())


def line_col(px: np.ndarray, rgb: tuple[int, int, int]) -> float:
    m = mask(px, rgb)
    cols = np.nonzero(m.sum(axis=0) > H // 3)[0]
    assert cols.size, f"no vertical line of colour {rgb}"
    return float(cols.mean())


@pytest.fixture(scope="module")
def df() -> pl.DataFrame:
    return frame()


# ---------------------------------------------------------------------------------------------------------------
# Lines.


@pytest.mark.parametrize("yscale", ["linear", "log"])
def test_hlines_sit_at_their_prices_on_both_scales(df: pl.DataFrame, yscale: str) -> None:
    lo, hi = float(df["low"].min()) + 1, float(df["high"].max()) - 1
    mid = (lo + hi) / 2 if yscale == "linear" else math.sqrt(lo * hi)
    px = pixels(
        df,
        yscale=yscale,
        hlines=[{"y": lo, "color": HEX[MAGENTA]}, {"y": hi, "color": HEX[CYAN]}, {"y": mid, "color": HEX[YELLOW]}],
    )
    r_lo, r_hi, r_mid = line_row(px, MAGENTA), line_row(px, CYAN), line_row(px, YELLOW)
    assert r_hi < r_mid < r_lo  # higher prices higher up
    assert abs(r_mid - (r_lo + r_hi) / 2) <= 1.0


def test_log_scale_spaces_prices_by_ratio_not_difference(df: pl.DataFrame) -> None:
    lo, hi = float(df["low"].min()) + 1, float(df["high"].max()) - 1
    arith = (lo + hi) / 2
    lines = [{"y": lo, "color": HEX[MAGENTA]}, {"y": hi, "color": HEX[CYAN]}, {"y": arith, "color": HEX[YELLOW]}]
    linear, log = pixels(df, hlines=lines), pixels(df, hlines=lines, yscale="log")
    mid_linear = (line_row(linear, MAGENTA) + line_row(linear, CYAN)) / 2
    mid_log = (line_row(log, MAGENTA) + line_row(log, CYAN)) / 2
    assert abs(line_row(linear, YELLOW) - mid_linear) <= 1.0
    # On a log axis the arithmetic mean lies above the geometric one, so above the midpoint.
    assert line_row(log, YELLOW) < mid_log - 0.5


def test_line_styles_dashed_and_dotted_break_the_line(df: pl.DataFrame) -> None:
    price = float(df["close"].mean())
    counts = {}
    for style in ("solid", "dashed", "dotted"):
        px = pixels(df, hlines={"y": price, "color": HEX[MAGENTA], "style": style})
        m = mask(px, MAGENTA)
        counts[style] = int(m.sum(axis=1).max())
    assert counts["solid"] > counts["dashed"] > counts["dotted"] > 0


def test_vlines_by_row_time_string_and_datetime_agree(df: pl.DataFrame) -> None:
    day = df["date"][40]
    cols = []
    for x in (40, day, day.isoformat(), datetime(day.year, day.month, day.day), np.datetime64(day.isoformat())):
        px = pixels(df, vlines={"x": x, "color": HEX[MAGENTA]})
        cols.append(line_col(px, MAGENTA))
    assert len(set(cols)) == 1, cols
    # Later bars are further right.
    assert line_col(pixels(df, vlines={"x": 80, "color": HEX[MAGENTA]}), MAGENTA) > cols[0]


def test_vline_between_bars_goes_to_the_next_bar() -> None:
    weekdays = frame(30).filter(pl.col("date").dt.weekday() <= 5)
    saturday = next(d for d in frame(30)["date"] if d.weekday() == 5)
    monday_row = weekdays["date"].search_sorted(saturday)
    a = line_col(pixels(weekdays, vlines={"x": saturday, "color": HEX[MAGENTA]}), MAGENTA)
    b = line_col(pixels(weekdays, vlines={"x": int(monday_row), "color": HEX[MAGENTA]}), MAGENTA)
    assert a == b


def test_time_zoned_column_takes_naive_times_in_its_zone(df: pl.DataFrame) -> None:
    zoned = df.with_columns(pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("America/New_York"))
    day = df["date"][10]
    a = line_col(pixels(zoned, vlines={"x": datetime(day.year, day.month, day.day), "color": HEX[MAGENTA]}), MAGENTA)
    b = line_col(pixels(zoned, vlines={"x": 10, "color": HEX[MAGENTA]}), MAGENTA)
    aware = datetime(day.year, day.month, day.day, 5, tzinfo=timezone.utc)  # midnight in New York (EST)
    c = line_col(pixels(zoned, vlines={"x": aware, "color": HEX[MAGENTA]}), MAGENTA)
    assert a == b == c


def test_alines_and_tlines_draw_between_their_points(df: pl.DataFrame) -> None:
    p0, p1 = float(df["close"][10]), float(df["close"][100])
    a = mask(pixels(df, alines={"points": [(10, p0), (100, p1)], "color": HEX[MAGENTA], "width": 1}), MAGENTA)
    t = mask(pixels(df, tlines={"between": (10, 100), "use": "close", "color": HEX[MAGENTA], "width": 1}), MAGENTA)
    # A trend line from close to close is the free line through the same two points.
    assert a.sum() > 50
    assert (a == t).all()
    cols = np.nonzero(a.any(axis=0))[0]
    v10 = line_col(pixels(df, vlines={"x": 10, "color": HEX[CYAN]}), CYAN)
    v100 = line_col(pixels(df, vlines={"x": 100, "color": HEX[CYAN]}), CYAN)
    assert abs(cols.min() - v10) <= 1 and abs(cols.max() - v100) <= 1


def test_least_squares_trend_line_fits_the_values(df: pl.DataFrame) -> None:
    x = np.arange(20, 91)
    slope, intercept = np.polyfit(x, df["close"].to_numpy()[20:91], 1)
    fitted = {"points": [(20, slope * 20 + intercept), (90, slope * 90 + intercept)], "color": HEX[MAGENTA]}
    a = mask(pixels(df, alines=fitted), MAGENTA)
    t = mask(
        pixels(df, tlines={"between": (20, 90), "method": "least-squares", "color": HEX[MAGENTA]}),
        MAGENTA,
    )
    assert a.sum() > 50 and (a == t).all()


def test_tline_from_an_expression() -> None:
    df = frame(60)
    shifted = mask(
        pixels(df, tlines={"between": (5, 50), "use": pl.col("close") + 1.0, "color": HEX[MAGENTA]}), MAGENTA
    )
    by_high = mask(pixels(df, tlines={"between": (5, 50), "use": "high", "color": HEX[MAGENTA]}), MAGENTA)
    assert shifted.sum() > 30 and (shifted == by_high).all()  # high = close + 1 in this frame


# ---------------------------------------------------------------------------------------------------------------
# Shading and markers.


def test_fill_between_where_shades_only_its_rows(df: pl.DataFrame) -> None:
    where = (pl.int_range(pl.len()) >= 30) & (pl.int_range(pl.len()) < 70)
    fill = {"y1": "high", "y2": "low", "where": where, "color": HEX[MAGENTA], "alpha": 1.0}
    px = pixels(df, fill_between=fill, kind="line")
    cols = np.nonzero(mask(px, MAGENTA).any(axis=0))[0]
    assert cols.size
    v30 = line_col(pixels(df, kind="line", vlines={"x": 30, "color": HEX[CYAN]}), CYAN)
    v69 = line_col(pixels(df, kind="line", vlines={"x": 69, "color": HEX[CYAN]}), CYAN)
    assert abs(cols.min() - v30) <= 2 and abs(cols.max() - v69) <= 2
    # Without the mask the whole width is shaded.
    full = np.nonzero(mask(pixels(df, kind="line", fill_between={**fill, "where": None}), MAGENTA).any(axis=0))[0]
    assert full.min() < cols.min() - 50 and full.max() > cols.max() + 50


def test_fill_between_a_series_and_a_constant_with_alpha(df: pl.DataFrame) -> None:
    level = float(df["close"].mean())
    px = pixels(df, kind="line", fill_between={"y1": df["close"], "y2": level, "color": "#0000FF", "alpha": 0.5})
    # Half-transparent blue over the white background.
    assert mask(px, (127, 127, 255)).sum() + mask(px, (128, 128, 255)).sum() > 100


def test_fill_between_on_the_volume_panel_and_a_sub_panel(df: pl.DataFrame) -> None:
    volume = df["volume"] * (1 + np.arange(df.height) / 100)
    frame = df.with_columns(volume=volume)
    fills = [
        {"y1": "volume", "y2": pl.col("volume").mean(), "color": HEX[MAGENTA], "alpha": 1.0, "panel": "volume"},
        {"y1": -5.0, "y2": 5.0, "color": HEX[CYAN], "alpha": 1.0, "panel": 0},
    ]
    panels = [("diff", pl.col("close").diff())]
    px = pixels(frame, volume=True, panels=panels, fill_between=fills)
    magenta, cyan = np.nonzero(mask(px, MAGENTA).any(axis=1))[0], np.nonzero(mask(px, CYAN).any(axis=1))[0]
    assert magenta.size > 5 and cyan.size > 5
    # Top to bottom: price, volume (its shading), the sub-panel (its band): each in its own panel's rows.
    price_rows = np.nonzero(
        mask(
            pixels(
                frame,
                volume=True,
                panels=panels,
                fill_between={**fills[0], "panel": "price", "y1": "close", "y2": "low"},
            ),
            MAGENTA,
        ).any(axis=1)
    )[0]
    assert price_rows.max() < magenta.min() and magenta.max() < cyan.min()
    # The same shading in SVG and in a batch.
    svg = frame.kf.render(width=W, height=H, format="svg", volume=True, panels=panels, fill_between=fills).decode()
    assert svg.count(HEX[CYAN].upper()) + svg.count(HEX[CYAN].lower()) >= 1
    [batch] = kf.render_many(
        [frame],
        width=W,
        height=H,
        theme="light",
        antialias=False,
        last_price=False,
        volume=True,
        panels=panels,
        fill_between=fills,
    )
    assert np.array_equal(batch.to_numpy(), px)


def test_markers_sit_at_their_bars_and_prices(df: pl.DataFrame) -> None:
    signal = pl.int_range(pl.len()) == 60
    price = float(df["high"].max()) + 2
    px = pixels(df, markers={"signal": signal, "at": price, "shape": "square", "size": 9, "color": HEX[MAGENTA]})
    ys, xs = np.nonzero(mask(px, MAGENTA))
    assert xs.size >= 25
    v60 = line_col(pixels(df, vlines={"x": 60, "color": HEX[CYAN]}), CYAN)
    h = line_row(pixels(df, hlines={"y": price, "color": HEX[CYAN]}, markers={"signal": signal, "at": price}), CYAN)
    assert abs(xs.mean() - v60) <= 1.0 and abs(ys.mean() - h) <= 1.0


@pytest.mark.parametrize("shape", kf.MARKER_SHAPES)
def test_every_marker_shape_draws(df: pl.DataFrame, shape: str) -> None:
    signal = pl.col("close") > pl.col("close").shift(1)
    px = pixels(df, markers={"signal": signal, "shape": shape, "size": 8, "color": HEX[MAGENTA]})
    assert mask(px, MAGENTA).sum() > df.height // 4


def test_marker_forms_boolean_column_list_and_series_agree(df: pl.DataFrame) -> None:
    flags = (df["close"] > df["close"].shift(1)).fill_null(False)
    with_col = df.with_columns(buy=flags)
    ref = pixels(with_col, markers="buy")
    assert (pixels(df, markers=flags) == ref).all()
    assert (pixels(df, markers=flags.to_list()) == ref).all()
    assert (pixels(df, markers=pl.col("close") > pl.col("close").shift(1)) == ref).all()
    assert not (ref == pixels(df)).all()


def test_legend_names_labelled_annotations(df: pl.DataFrame) -> None:
    svg = df.kf.render(
        width=W,
        height=H,
        format="svg",
        hlines={"y": float(df["close"].mean()), "label": "pivot", "color": "#FF00FF"},
        markers={"signal": pl.col("close") > 101, "label": "breakout"},
        fill_between={"y1": "high", "y2": "low", "label": "range"},
    ).decode()
    for label in ("pivot", "breakout", "range"):
        assert f">{label}<" in svg
    assert "#ff00ff" in svg.lower()


def test_svg_draws_the_same_elements(df: pl.DataFrame) -> None:
    opts = dict(
        hlines={"y": 100.0, "color": "#FF00FF", "style": "dashed"},
        vlines={"x": 30, "color": "#00FFFF"},
        markers={"signal": pl.int_range(pl.len()) == 50, "shape": "diamond", "color": "#FFFF00"},
        fill_between={"y1": "high", "y2": "low", "color": "#0000FF"},
    )
    plain = df.kf.render(width=W, height=H, format="svg").decode().lower()
    svg = df.kf.render(width=W, height=H, format="svg", **opts).decode().lower()
    for color in ("#ff00ff", "#00ffff", "#ffff00", "#0000ff"):
        assert color in svg and color not in plain


# ---------------------------------------------------------------------------------------------------------------
# Axis labels.


def test_years_appear_on_a_daily_axis_within_one_year() -> None:
    svg = frame(180).kf.render(width=900, height=400, format="svg").decode()
    assert "2024" in svg


def test_datetime_format(df: pl.DataFrame) -> None:
    svg = df.kf.render(width=900, height=400, format="svg", datetime_format="%d/%m/%Y").decode()
    assert "/2024<" in svg and "Jan" not in svg


# ---------------------------------------------------------------------------------------------------------------
# Batches and laziness.


def test_batch_draws_each_chart_as_render_does(df: pl.DataFrame) -> None:
    long = pl.concat([df.with_columns(sym=pl.lit("A")), df.with_columns(sym=pl.lit("B"), close=pl.col("close") + 5)])
    long = long.with_columns(high=pl.max_horizontal("high", "close"), low=pl.min_horizontal("low", "close"))
    opts = dict(
        width=400,
        height=240,
        markers={"signal": pl.col("close") > pl.col("close").rolling_mean(5), "at": "high"},
        fill_between={"y1": pl.col("close").rolling_max(10), "y2": pl.col("close").rolling_min(10)},
        tlines=[(0, 100)],
        vlines=[pl.Series([20]).item()],
    )
    many = long.kf.render_by("sym", hlines=lambda k: [100.0 if k == "A" else 105.0], **opts)
    for key, level in (("A", 100.0), ("B", 105.0)):
        one = long.filter(pl.col("sym") == key).drop("sym").kf.render(hlines=[level], **opts)
        assert bytes(many[key]) == bytes(one)


def test_batch_annotation_failure_is_that_charts_own(df: pl.DataFrame) -> None:
    short, full = df.head(20), df
    out = kf.render_many([full, short], width=300, height=200, vlines=[50], errors="collect")
    assert isinstance(out[0], ChartImage)
    assert isinstance(out[1], ValueError) and "vlines[0] row 50 is outside the 20 bars" in str(out[1])


def test_lazy_render_reads_the_columns_annotations_name(df: pl.DataFrame) -> None:
    lf = df.with_columns(signal=pl.col("close") > 100, band=pl.col("close") + 2).lazy()
    opts = dict(width=300, height=200, markers="signal", fill_between={"y1": pl.col("band"), "y2": "close"})
    assert bytes(lf.kf.render(**opts)) == bytes(lf.collect().kf.render(**opts))


def test_input_is_not_modified(df: pl.DataFrame) -> None:
    before = df.clone()
    series = df["close"].clone()
    df.kf.render(width=300, height=200, fill_between={"y1": series, "y2": 99.0}, markers=pl.col("close") > 100)
    assert df.equals(before) and series.equals(before["close"])


# ---------------------------------------------------------------------------------------------------------------
# Bad input: a clear error naming the option and the value.

BAD = [
    (dict(hlines="x"), TypeError, r"hlines must be a price, a dict or a list of them, got 'x'"),
    (dict(hlines=["x"]), ValueError, r"hlines\[0\] must be a finite number, got 'x'"),
    (dict(hlines=float("nan")), ValueError, r"hlines\[0\] must be a finite number"),
    (dict(hlines={"price": 1}), ValueError, r"hlines\[0\] needs the price as 'y'"),
    (dict(hlines={"y": 100, "colour": "#fff"}), ValueError, r"hlines\[0\] has an unknown key 'colour'"),
    (dict(hlines={"y": 100, "color": "bluish"}), ValueError, r"hlines\[0\] color must be a colour.*'bluish'"),
    (dict(hlines={"y": 100, "width": -1}), ValueError, r"hlines\[0\] width must be a number from 0 to 2000"),
    (dict(hlines={"y": 100, "style": "wavy"}), ValueError, r"hlines\[0\] style must be one of solid.*'wavy'"),
    (dict(vlines=10_000), ValueError, r"vlines\[0\] row 10000 is outside the 120 bars"),
    (dict(vlines=-1), ValueError, r"vlines\[0\] must be a row number >= 0, got -1"),
    (dict(vlines="2030-01-01"), ValueError, r"vlines\[0\] time '2030-01-01' is outside the data"),
    (dict(vlines="not a date"), ValueError, r"vlines\[0\] could not be read as a Date time"),
    (dict(vlines=1.5), TypeError, r"vlines must be a row number, a time, a dict or a list of them, got 1.5"),
    (dict(vlines=[1.5]), ValueError, r"vlines\[0\] must be a row number or a time"),
    (dict(alines=[(0, 100.0)]), ValueError, r"alines\[0\] must be a list of at least 2"),
    (dict(alines=5), TypeError, r"alines must be a list of \(time or row, price\) points"),
    (dict(alines={"points": [(0, 100.0)]}), ValueError, r"alines\[0\] must be a list of at least 2"),
    (dict(alines=[(0, 100.0), (500, 101.0)]), ValueError, r"alines\[0\] point 1 row 500 is outside the 120 bars"),
    (dict(alines=[(0, 100.0), (5, math.inf)]), ValueError, r"alines\[0\] point 1 price must be a finite number"),
    (dict(tlines=[(0, 10, 20)]), ValueError, r"tlines\[0\] must give two times or rows"),
    (dict(tlines={"between": (0, 10), "use": "vwap"}), ValueError, r"tlines\[0\] use must be one of close"),
    (dict(tlines={"between": (0, 10), "method": "spline"}), ValueError, r"tlines\[0\] method must be one of"),
    (dict(fill_between={"y2": 1.0}), ValueError, r"fill_between\[0\] needs 'y1'"),
    (dict(fill_between={"y1": "nope"}), ValueError, r"fill_between\[0\] y1 names no column of the frame: 'nope'"),
    (dict(fill_between={"y1": "close", "alpha": 2}), ValueError, r"fill_between\[0\] alpha must be a number from 0"),
    (dict(fill_between={"y1": "close", "where": pl.col("close")}), TypeError, r"fill_between\[0\] where has dtype"),
    (dict(fill_between={"y1": pl.Series([1.0, 2.0])}), ValueError, r"fill_between\[0\] y1 has 2 values, expected 120"),
    (
        dict(fill_between={"y1": "volume", "panel": "vol"}),
        ValueError,
        r"fill_between\[0\] panel must be 'price', 'volume'",
    ),
    (dict(fill_between={"y1": "volume", "panel": -1}), ValueError, r"fill_between\[0\] panel must be .* got -1"),
    (
        dict(fill_between={"y1": "close", "panel": 0}),
        ValueError,
        r"fill_between\[0\] panel: the chart draws no sub-panel 0",
    ),
    (dict(markers=pl.col("close")), TypeError, r"markers\[0\] signal has dtype Float64; expected Boolean"),
    (dict(markers=pl.Series([True] * 3)), ValueError, r"markers\[0\] signal has 3 values, expected 120"),
    (dict(markers={"signal": "close", "shape": "star"}), ValueError, r"markers\[0\] shape must be one of.*'star'"),
    (dict(markers={"signal": "close", "at": "mid"}), ValueError, r"markers\[0\] at must be one of close"),
    (dict(markers={"signal": "close", "size": math.inf}), ValueError, r"markers\[0\] size must be a number"),
    (dict(markers={"buy": "close"}), ValueError, r"markers\[0\] has an unknown key 'buy'"),
    (dict(yscale="ln"), ValueError, r"yscale must be 'linear' or 'log', got 'ln'"),
    (dict(yscale="log", hlines=[-5.0]), ValueError, r"yscale: 'log' needs every price.*above 0; the lowest is -5"),
    (dict(datetime_format=5), TypeError, r"datetime_format must be a string"),
    (dict(kind="renko", hlines=[100.0]), ValueError, r"hlines, vlines, .* need time bars; kind 'renko'"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD, ids=[str(k) for k, _, _ in BAD])
def test_bad_annotations_name_the_option_and_value(df: pl.DataFrame, kwargs: dict, error: type, message: str) -> None:
    before = df.clone()
    with pytest.raises(error, match=f"^render: {message}"):
        df.kf.render(width=300, height=200, **kwargs)
    assert df.equals(before)


def test_log_scale_with_non_positive_prices_is_refused(df: pl.DataFrame) -> None:
    bad = df.with_columns(low=pl.when(pl.int_range(pl.len()) == 5).then(0.0).otherwise(pl.col("low")))
    with pytest.raises(ValueError, match="^render: yscale: 'log' needs every price.*the lowest is 0"):
        bad.kf.render(width=300, height=200, yscale="log")
    bad.kf.render(width=300, height=200)  # fine on a linear axis


# ---------------------------------------------------------------------------------------------------------------
# Colours per bar and per part.


def test_marketcolor_overrides_recolour_only_their_bars(df: pl.DataFrame) -> None:
    colors = [None] * df.height
    colors[60] = HEX[MAGENTA]
    px = pixels(df, marketcolor_overrides=colors, volume=True)
    xs = np.nonzero(mask(px, MAGENTA).any(axis=0))[0]
    v60 = line_col(pixels(df, vlines={"x": 60, "color": HEX[CYAN]}), CYAN)
    assert xs.size and abs(xs.mean() - v60) <= 1.5 and xs.max() - xs.min() < W / df.height + 2
    # Same picture from a String column and from an expression; other bars keep their colours.
    by_column = pixels(df.with_columns(c=pl.Series(colors, dtype=pl.String)), marketcolor_overrides="c", volume=True)
    by_expr = pixels(
        df,
        marketcolor_overrides=pl.when(pl.int_range(pl.len()) == 60).then(pl.lit(HEX[MAGENTA])),
        volume=True,
    )
    assert (by_column == px).all() and (by_expr == px).all()
    plain = pixels(df, volume=True)
    outside = np.ones(W, dtype=bool)
    outside[xs.min() - 1 : xs.max() + 2] = False
    assert (plain[:, outside] == px[:, outside]).all()


def test_face_only_overrides_leave_wicks_edges_and_volume_alone(df: pl.DataFrame) -> None:
    colors = [None] * df.height
    colors[60] = HEX[MAGENTA]
    full = pixels(df, marketcolor_overrides=colors, volume=True)
    face = pixels(df, marketcolor_overrides=colors, volume=True, mco_faceonly=True)
    rows_full = np.nonzero(mask(full, MAGENTA).any(axis=1))[0]
    rows_face = np.nonzero(mask(face, MAGENTA).any(axis=1))[0]
    # The whole bar (body, wick, volume bar, far down) against the body alone, which spans fewer rows.
    assert rows_face.size and rows_face.size < rows_full.size and rows_face.max() < rows_full.max()
    assert set(rows_face) <= set(rows_full)
    with pytest.raises(TypeError, match="mco_faceonly must be True or False"):
        df.kf.render(width=W, height=H, mco_faceonly="yes")


def test_wick_and_volume_colours_apart_from_the_body(df: pl.DataFrame) -> None:
    colors = {"wick_up": HEX[MAGENTA], "wick_down": HEX[MAGENTA], "volume_up": HEX[CYAN], "volume_down": HEX[CYAN]}
    px = pixels(df, colors=colors, volume=True)
    wick_rows = np.nonzero(mask(px, MAGENTA).any(axis=1))[0]
    volume_rows = np.nonzero(mask(px, CYAN).any(axis=1))[0]
    assert wick_rows.size and volume_rows.size
    assert wick_rows.max() < volume_rows.min()  # wicks in the price panel, volume bars below it
    assert mask(pixels(df, volume=True), MAGENTA).sum() == 0


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (["#12345"] * 120, ValueError, r"marketcolor_overrides must hold colours .* got '#12345'"),
        (5, TypeError, r"marketcolor_overrides must be a column name, expression, Series or list"),
        ("nope", ValueError, r"marketcolor_overrides names no column of the frame: 'nope'"),
        (pl.col("close"), TypeError, r"marketcolor_overrides has dtype Float64; expected String colours"),
        (["#FF0000"] * 3, ValueError, r"marketcolor_overrides has 3 values, expected 120"),
    ],
)
def test_bad_marketcolor_overrides(df: pl.DataFrame, value: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^render: {message}"):
        df.kf.render(width=300, height=200, marketcolor_overrides=value)


def test_unknown_colour_key_lists_the_new_keys(df: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="wick_up, wick_down, edge_up, edge_down, volume_up, volume_down"):
        df.kf.render(width=300, height=200, colors={"edge": "#000000"})


def test_cli_draws_lines_and_the_log_scale(tmp_path) -> None:
    from polars_kimsfinance.cli import main as cli_main

    plain, marked = tmp_path / "plain.svg", tmp_path / "marked.svg"
    assert cli_main(["render", "-o", str(plain), "--width", "600", "--height", "300"]) == 0
    args = ["render", "-o", str(marked), "--width", "600", "--height", "300", "--hline", "200", "--vline", "5"]
    assert cli_main([*args, "--yscale", "log", "--datetime-format", "%d/%m/%y"]) == 0
    a, b = plain.read_text(), marked.read_text()
    assert b.count("<line") + b.count("<polyline") > a.count("<line") + a.count("<polyline")
    assert "/17<" in b and "/17<" not in a
    assert cli_main(["render", "-o", str(marked), "--vline", "1999-01-01"]) == 2


def test_panel_reference_levels(df: pl.DataFrame) -> None:
    rsi = kf.rsi("close", 14)
    default = pixels(df, panels=["rsi"])
    same = pixels(df, panels=[{"title": "rsi_14", "lines": [("rsi_14", rsi)], "levels": [30, 70]}])
    none = pixels(df, panels=[{"title": "rsi_14", "lines": [("rsi_14", rsi)], "levels": []}])
    assert (default == same).all()
    assert not (default == none).all()
    # The levels are dashed: along their row, drawn and skipped pixels alternate.
    diff_rows = np.nonzero((default != none).any(axis=(1, 2)))[0]
    assert diff_rows.size >= 2
    with pytest.raises(ValueError, match=r"^render: panels\[0\] levels must be a list of finite numbers"):
        df.kf.render(width=300, height=200, panels=[{"lines": [("r", rsi)], "levels": ["x"]}])


# ---------------------------------------------------------------------------------------------------------------
# Panel kinds and fixed ranges.


def probe_panel(df: pl.DataFrame, values: object, **panel: object) -> np.ndarray:
    """The chart with one sub-panel drawing ``values`` in magenta, without the volume panel or legends."""
    entry = {"lines": [("probe", values, HEX[MAGENTA])], **panel}
    return pixels(df, panels=[entry], legend=False)


def test_step_panel_is_level_between_its_bars(df: pl.DataFrame) -> None:
    square = pl.Series([0.0 if (i // 10) % 2 == 0 else 10.0 for i in range(df.height)])
    step, line = probe_panel(df, square, kind="step"), probe_panel(df, square)

    # A staircase has pixels at the two levels only, apart from its vertical risers; the joined line also crosses
    # the rows in between on its diagonal segments.
    def rows_of_flat_runs(px: np.ndarray) -> set[int]:
        m = mask(px, MAGENTA)
        single = [c for c in range(W) if 0 < m[:, c].sum() <= 2]
        return {int(r) for c in single for r in np.nonzero(m[:, c])[0]}

    assert len(rows_of_flat_runs(step)) == 2
    assert len(rows_of_flat_runs(line)) > 2


def test_step_kinds_rise_at_the_later_bar_the_earlier_bar_or_halfway(df: pl.DataFrame) -> None:
    square = pl.Series([0.0 if (i // 10) % 2 == 0 else 10.0 for i in range(df.height)])

    def first_riser(kind: str) -> float:
        m = mask(probe_panel(df, square, kind=kind), MAGENTA)
        tall = np.nonzero(m.sum(axis=0) > 5)[0]  # the columns of vertical risers
        first = tall[tall <= tall[0] + 3]  # the first riser, an antialiased line one or two columns wide
        return float(np.average(first, weights=m[:, first].sum(axis=0)))

    post, pre, mid = first_riser("step"), first_riser("step_pre"), first_riser("step_mid")
    slot = (W - 100) / df.height  # the plot is a little narrower than the image: a slot is at most this wide
    assert pre < mid < post
    assert 0.5 * slot < post - pre <= slot + 1.0
    assert abs(mid - (pre + post) / 2) <= 1.0
    with pytest.raises(
        ValueError,
        match=r"panels\[0\] kind must be one of line, step, step_pre, step_mid, scatter, histogram; got 'steps'",
    ):
        probe_panel(df, square, kind="steps")


def test_scatter_panel_draws_a_dot_per_bar(df: pl.DataFrame) -> None:
    short = df.head(30)
    values = pl.Series([float(i % 5) for i in range(30)])
    m = mask(probe_panel(short, values, kind="scatter"), MAGENTA)
    columns = m.any(axis=0).astype(int)
    groups = int((np.diff(np.concatenate([[0], columns])) == 1).sum())
    assert groups == 30
    joined = mask(probe_panel(short, values), MAGENTA).any(axis=0).astype(int)
    assert int((np.diff(np.concatenate([[0], joined])) == 1).sum()) == 1


def test_histogram_kind_draws_as_the_histogram_key(df: pl.DataFrame) -> None:
    diff = pl.col("close").diff()
    by_kind = pixels(df, panels=[{"title": "d", "lines": [("d", diff)], "kind": "histogram"}])
    by_key = pixels(df, panels=[{"title": "d", "histogram": ("d", diff)}])
    assert (by_kind == by_key).all()


def test_ylim_fixes_the_panel_range_and_clips(df: pl.DataFrame) -> None:
    fifty = pl.Series([50.0] * df.height)
    half = line_row(probe_panel(df, fifty, ylim=(0, 100)), MAGENTA)
    quarter = line_row(probe_panel(df, fifty, ylim=(0, 200)), MAGENTA)
    centred = line_row(probe_panel(df, fifty, ylim=(25, 75)), MAGENTA)
    top = line_row(probe_panel(df, fifty, ylim=(40, 50)), MAGENTA)
    # 50 is at the top edge of (40, 50), half way up (0, 100) and (25, 75), and a quarter up (0, 200).
    assert quarter > half > top
    assert abs(centred - half) <= 1
    assert abs((quarter - half) - (half - top) / 2) <= 2
    # A line wholly outside the range is clipped away; it never spills into the price panel.
    assert not mask(probe_panel(df, pl.Series([150.0] * df.height), ylim=(0, 100)), MAGENTA).any()


def test_batch_draws_panel_kinds_as_render_does(df: pl.DataFrame) -> None:
    long = pl.concat([df.with_columns(sym=pl.lit("A")), df.with_columns(sym=pl.lit("B"))])
    panels = [{"lines": ["rsi"], "kind": "step", "ylim": (20, 80)}, {"lines": ["mom:5"], "kind": "scatter"}]
    many = long.kf.render_by("sym", width=400, height=300, panels=panels)
    one = df.kf.render(width=400, height=300, panels=panels)
    assert bytes(many["A"]) == bytes(one) == bytes(many["B"])


@pytest.mark.parametrize(
    ("panel", "message"),
    [
        ({"lines": ["rsi"], "kind": "area"}, r"panels\[0\] kind must be one of .*'area'"),
        ({"lines": ["rsi"], "ylim": (70, 30)}, r"panels\[0\] ylim must be \(low, high\).*\(70, 30\)"),
        ({"lines": ["rsi"], "ylim": (0, float("inf"))}, r"panels\[0\] ylim must be"),
        ({"lines": ["rsi"], "ylim": "0-100"}, r"panels\[0\] ylim must be"),
        ({"lines": ["rsi", "mom"], "kind": "histogram"}, r"panels\[0\] kind 'histogram' draws one series"),
    ],
)
def test_bad_panel_kind_or_range(df: pl.DataFrame, panel: dict, message: str) -> None:
    with pytest.raises(ValueError, match="^render: " + message):
        df.kf.render(width=300, height=200, panels=[panel])


# ---------------------------------------------------------------------------------------------------------------
# Filled bands.


def test_filled_band_shades_between_its_upper_and_lower_lines(df: pl.DataFrame) -> None:
    band = {"band": "bbands:20,2", "fill": HEX[CYAN], "alpha": 1.0}
    px = pixels(df, overlays=[band])
    bb = df.select(kf.bbands("close", 20).alias("bb")).unnest("bb")
    plain = pixels(df, overlays=["bbands:20,2"])
    shaded = mask(px, CYAN)
    assert shaded.any() and not mask(plain, CYAN).any()
    # The same region as fill_between on the band's two lines, drawn under the bars and lines.
    same = pixels(
        df,
        overlays=["bbands:20,2"],
        fill_between={"y1": bb["bb_upper"], "y2": bb["bb_lower"], "color": HEX[CYAN], "alpha": 1.0},
    )
    assert (px == same).all()
    # Only the rows with both bands: nothing is shaded left of the 20th bar.
    first = int(np.nonzero(shaded.any(axis=0))[0].min())
    assert first > line_col(pixels(df, vlines=[{"x": 18, "color": HEX[MAGENTA]}]), MAGENTA)


def test_filled_band_default_colour_and_off(df: pl.DataFrame) -> None:
    plain = pixels(df, overlays=["keltner"])
    assert not (pixels(df, overlays=[{"band": "keltner"}]) == plain).all()
    assert (pixels(df, overlays=[{"band": "keltner", "fill": False}]) == plain).all()
    # A struct expression with upper / lower fields is a band too.
    struct = pl.struct(upper=pl.col("high").rolling_max(5), lower=pl.col("low").rolling_min(5))
    # At the default alpha (0.12) the fill is blended with the background: no pixel is pure cyan, until opaque.
    assert not mask(pixels(df, overlays=[{"band": ("channel", struct), "fill": HEX[CYAN]}]), CYAN).any()
    opaque = pixels(df, overlays=[{"band": ("channel", struct), "fill": HEX[CYAN], "alpha": 1.0}])
    assert mask(opaque, CYAN).any()


def test_filled_band_in_a_batch_as_alone(df: pl.DataFrame) -> None:
    long = pl.concat([df.with_columns(sym=pl.lit("A")), df.with_columns(sym=pl.lit("B"))])
    band = [{"band": "bbands", "fill": "#2962FF"}]
    many = long.kf.render_by("sym", width=400, height=300, overlays=band)
    assert bytes(many["A"]) == bytes(df.kf.render(width=400, height=300, overlays=band))


@pytest.mark.parametrize(
    ("band", "error", "message"),
    [
        ({"fill": True}, ValueError, r"overlays\[0\] must have a 'band'"),
        ({"band": "bbands", "shade": 1}, ValueError, r"overlays\[0\] must have a 'band'"),
        (
            {"band": "sma:20"},
            ValueError,
            r"overlay 'sma:20': a filled band needs one line named \*upper and one \*lower",
        ),
        ({"band": "bbands", "alpha": 2}, ValueError, r"overlays\[0\] alpha must be a number in 0\.\.1, got 2"),
        ({"band": "bbands", "fill": "blue"}, ValueError, r"overlays\[0\] fill must be a colour"),
        ({"band": "bbands", "fill": 3}, TypeError, r"overlays\[0\] fill must be True, False or a colour, got 3"),
    ],
)
def test_bad_filled_band(df: pl.DataFrame, band: dict, error: type, message: str) -> None:
    with pytest.raises(error, match="^render: " + message):
        df.kf.render(width=300, height=200, overlays=[band])


# ---------------------------------------------------------------------------------------------------------------
# Subtitle and scale.


def test_scale_draws_the_same_chart_at_a_higher_resolution(df: pl.DataFrame) -> None:
    marks = dict(hlines=[{"y": 100.0, "color": HEX[MAGENTA]}], vlines=[{"x": 60, "color": HEX[CYAN]}])
    one = df.kf.render(width=W, height=H, theme="light", volume=False, antialias=False, **marks)
    two = df.kf.render(width=W, height=H, theme="light", volume=False, antialias=False, scale=2, **marks)
    assert (two.width, two.height) == (2 * W, 2 * H)
    a, b = one.to_numpy(), two.to_numpy()
    rows = [np.nonzero(mask(px, MAGENTA).sum(axis=1) > px.shape[1] // 2)[0].mean() for px in (a, b)]
    cols = [np.nonzero(mask(px, CYAN).sum(axis=0) > px.shape[0] // 3)[0].mean() for px in (a, b)]
    assert abs(rows[1] - 2 * rows[0]) <= 3 and abs(cols[1] - 2 * cols[0]) <= 3
    # The lines are twice as thick, as the text is twice as large.
    thick = [int((mask(px, MAGENTA).sum(axis=1) > px.shape[1] // 2).sum()) for px in (a, b)]
    assert thick[1] == 2 * thick[0]


def test_subtitle_pushes_the_chart_down_under_the_title(df: pl.DataFrame) -> None:
    level = {"y": 100.0, "color": HEX[MAGENTA]}
    plain = line_row(pixels(df, title="T", hlines=[level]), MAGENTA)
    sub = line_row(pixels(df, title="T", subtitle="a subtitle", hlines=[level]), MAGENTA)
    two = line_row(pixels(df, title="T", subtitle="line one\nline two", hlines=[level]), MAGENTA)
    assert plain < sub < two


def test_subtitle_and_scale_vary_per_chart_in_a_batch(df: pl.DataFrame) -> None:
    long = pl.concat([df.with_columns(sym=pl.lit("A")), df.with_columns(sym=pl.lit("B"))])
    many = long.kf.render_by("sym", width=300, height=200, subtitle=lambda k: f"{k} daily", scale=[1, 1.5])
    assert (many["B"].width, many["B"].height) == (450, 300)
    for key, scale in (("A", 1), ("B", 1.5)):
        one = df.kf.render(width=300, height=200, subtitle=f"{key} daily", scale=scale)
        assert bytes(many[key]) == bytes(one)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scale": 0}, ValueError, r"scale must be a finite number > 0, got 0"),
        ({"scale": float("nan")}, ValueError, r"scale must be a finite number > 0, got nan"),
        ({"scale": "2"}, ValueError, r"scale must be a finite number > 0, got '2'"),
        ({"scale": 100}, ValueError, r"width \* scale must be an integer between 64 and 16384, got 30000"),
        ({"subtitle": 5}, TypeError, r"subtitle must be a string, got int"),
    ],
)
def test_bad_scale_or_subtitle(df: pl.DataFrame, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match="^render: " + message):
        df.kf.render(width=300, height=200, **kwargs)


def test_cli_subtitle_and_scale(tmp_path) -> None:
    from polars_kimsfinance.cli import main as cli_main

    out = tmp_path / "scaled.png"
    args = ["render", "-o", str(out), "--width", "300", "--height", "200", "--title", "T", "--subtitle", "S"]
    assert cli_main([*args, "--scale", "2"]) == 0
    png = out.read_bytes()
    # The PNG header's IHDR chunk: width and height as big-endian 32-bit integers.
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (600, 400)
    assert cli_main([*args, "--scale", "0"]) == 2
