"""The Python chart API: ``df.kf.render`` / ``lf.kf.render``, ``ChartImage`` and the ``kimsfinance render`` CLI.

Pixels are probed through ``ChartImage.to_numpy()``; the renderer's own layout and golden images are tested in Rust.
"""

from __future__ import annotations

import base64
import math
import os
import pickle
import re
from datetime import date, datetime

import numpy as np
import polars as pl
import pytest
from reference import DATA_DIR

import polars_kimsfinance as kf
from polars_kimsfinance import BY_NAME
from polars_kimsfinance.chart import FORMATS, KINDS, THEMES, ChartImage
from polars_kimsfinance.cli import main as cli_main
from polars_kimsfinance.cli import read_ohlcv

# Theme palettes (background, up, down) as the renderer defines them.
PALETTES = {
    "classic": ((0, 0, 0), (0, 255, 0), (255, 0, 0)),
    "modern": ((0x1E, 0x1E, 0x1E), (0x26, 0xA6, 0x9A), (0xEF, 0x53, 0x50)),
    "tradingview": ((0x13, 0x17, 0x22), (0x08, 0x99, 0x81), (0xF2, 0x36, 0x45)),
    "light": ((0xFF, 0xFF, 0xFF), (0x26, 0xA6, 0x9A), (0xEF, 0x53, 0x50)),
}
W, H = 480, 270


def bars(n: int, up: bool = True, volume: bool = True) -> pl.DataFrame:
    """``n`` identical bars, all rising (or all falling): body 10..20, wicks 9..21."""
    o, c = (10.0, 20.0) if up else (20.0, 10.0)
    data = {
        "date": [datetime(2024, 1, 1 + i) for i in range(n)],
        "open": [o] * n,
        "high": [21.0] * n,
        "low": [9.0] * n,
        "close": [c] * n,
    }
    if volume:
        data["volume"] = [1000.0] * n
    return pl.DataFrame(data)


def has_color(px: np.ndarray, rgb: tuple[int, int, int], tol: int = 0) -> np.ndarray:
    """Boolean mask of pixels within ``tol`` of ``rgb`` on every channel."""
    return (np.abs(px[..., :3].astype(int) - np.array(rgb)) <= tol).all(axis=-1)


def blend(fg: tuple[int, int, int], bg: tuple[int, int, int], alpha: int) -> tuple[int, ...]:
    return tuple(round((f * alpha + b * (255 - alpha)) / 255) for f, b in zip(fg, bg))


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return kf.sample_ohlcv(300, seed=3)


# ---------------------------------------------------------------------------------------------------------------
# Pixels.


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("up", [True, False])
def test_candle_body_has_theme_colour(theme: str, up: bool) -> None:
    bg, up_rgb, down_rgb = PALETTES[theme]
    px = bars(12, up=up, volume=False).kf.render(width=W, height=H, theme=theme).to_numpy()
    assert px.shape == (H, W, 4)
    assert has_color(px[0:2, 0:2], bg).all(), "corner is the background"
    mid = px[H // 2]  # the bodies span 10..20 of a 9..21 range: the middle row crosses every body
    want, other = (up_rgb, down_rgb) if up else (down_rgb, up_rgb)
    assert has_color(mid, want).sum() >= 12 * 3
    assert not has_color(px, other).any()


def test_volume_panel_below_price_panel() -> None:
    bg, up_rgb, _ = PALETTES["tradingview"]
    px = bars(12).kf.render(width=W, height=H, theme="tradingview", antialias=False).to_numpy()
    candle_rows = np.flatnonzero(has_color(px, up_rgb).any(axis=1))
    volume_rows = np.flatnonzero(has_color(px, blend(up_rgb, bg, 0x99), tol=2).any(axis=1))
    assert candle_rows.size and volume_rows.size
    assert volume_rows.min() > candle_rows.max(), "volume bars lie below every candle"
    assert volume_rows.max() > H * 0.75
    no_volume = bars(12).kf.render(width=W, height=H, theme="tradingview", volume=False, antialias=False).to_numpy()
    assert not has_color(no_volume, blend(up_rgb, bg, 0x99), tol=2).any()
    # Without the volume panel the candles take the freed height.
    assert np.flatnonzero(has_color(no_volume, up_rgb).any(axis=1)).max() > candle_rows.max()


def test_custom_colours() -> None:
    px = (
        bars(8, volume=False)
        .kf.render(width=W, height=H, colors={"up": "#123456", "background": "#FFFFFF"}, antialias=False)
        .to_numpy()
    )
    assert has_color(px[H // 2], (0x12, 0x34, 0x56)).sum() > 0
    assert has_color(px[0:2, 0:2], (255, 255, 255)).all()


def test_overlay_line_uses_series_colour() -> None:
    df = kf.sample_ohlcv(60)
    first_series = (0x29, 0x62, 0xFF)
    plain = df.kf.render(width=W, height=H, volume=False, antialias=False).to_numpy()
    with_sma = df.kf.render(width=W, height=H, volume=False, antialias=False, overlays=["sma:5"]).to_numpy()
    assert not has_color(plain, first_series).any()
    assert has_color(with_sma, first_series).sum() > 100


def test_missing_bars_draw_as_gaps() -> None:
    df = bars(10, volume=False)
    gappy = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(None).otherwise(pl.col("close")).alias("close"),
        pl.when(pl.int_range(pl.len()) == 6).then(float("nan")).otherwise(pl.col("open")).alias("open"),
    )
    up_rgb = PALETTES["tradingview"][1]
    full = has_color(df.kf.render(width=W, height=H).to_numpy()[H // 2], up_rgb).sum()
    holes = has_color(gappy.kf.render(width=W, height=H).to_numpy()[H // 2], up_rgb).sum()
    assert 0 < holes < full
    assert math.isclose(holes / full, 0.8, abs_tol=0.05)


@pytest.mark.parametrize(
    "frame",
    [
        pl.DataFrame({"open": [5.0] * 20, "high": [5.0] * 20, "low": [5.0] * 20, "close": [5.0] * 20}),
        bars(20).with_columns(volume=pl.lit(0.0)),
        bars(1),
        pl.DataFrame(
            {
                "open": [1.0, None, 2.0],
                "high": [2.0, None, 3.0],
                "low": [0.5, None, 1.5],
                "close": [1.5, None, 2.5],
                "volume": [None, 3.0, None],
            }
        ),
    ],
    ids=["flat-prices", "zero-volume", "one-bar", "nulls"],
)
def test_degenerate_frames_render(frame: pl.DataFrame) -> None:
    img = frame.kf.render(width=W, height=H)
    assert img.to_numpy().shape == (H, W, 4)


# ---------------------------------------------------------------------------------------------------------------
# Determinism and zero-copy inputs.


def test_deterministic(sample: pl.DataFrame) -> None:
    kwargs = dict(width=W, height=H, overlays=["sma:20", "ema:50"], panels=["rsi"], title="t")
    a, b = sample.kf.render(**kwargs), sample.kf.render(**kwargs)
    assert bytes(a) == bytes(b)
    assert a.to_numpy().tobytes() == b.to_numpy().tobytes()


def test_dtypes_and_chunks_give_the_same_image(sample: pl.DataFrame) -> None:
    ref = bytes(sample.kf.render(width=W, height=H))
    two_chunks = pl.concat([sample[:100], sample[100:]], rechunk=False)
    assert two_chunks["close"].n_chunks() == 2
    assert bytes(two_chunks.kf.render(width=W, height=H)) == ref
    as_float_volume = sample.with_columns(pl.col("volume").cast(pl.Float64))
    assert bytes(as_float_volume.kf.render(width=W, height=H)) == ref
    f32 = sample.with_columns(pl.col("open", "high", "low", "close").cast(pl.Float32))
    assert f32.kf.render(width=W, height=H).to_numpy().shape == (H, W, 4)
    ints = pl.DataFrame({"open": [1, 3, 2], "high": [4, 5, 6], "low": [0, 1, 1], "close": [3, 2, 5]})
    floats = ints.with_columns(pl.all().cast(pl.Float64))
    assert bytes(ints.kf.render(width=W, height=H)) == bytes(floats.kf.render(width=W, height=H))


def test_time_units_agree() -> None:
    df = bars(30).with_columns(pl.col("date").cast(pl.Date))
    ref = bytes(df.kf.render(width=W, height=H))
    for dtype in (pl.Datetime("us"), pl.Datetime("ms"), pl.Datetime("ns")):
        assert bytes(df.with_columns(pl.col("date").cast(dtype)).kf.render(width=W, height=H)) == ref
    utc = df.with_columns(pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
    assert bytes(utc.kf.render(width=W, height=H)) == ref
    # A null time is filled from the previous bar's (the bar itself is still drawn).
    holes = df.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("date")).alias("date"))
    assert holes.kf.render(width=W, height=H).to_numpy().shape == (H, W, 4)
    # Time labels change the picture compared to bar numbers.
    assert bytes(df.drop("date").kf.render(width=W, height=H)) != ref


def test_callers_frame_untouched(sample: pl.DataFrame) -> None:
    df = sample.with_columns(pl.col("close").cast(pl.Float32))
    before = df.clone()
    df.kf.render("heikin_ashi", width=W, height=H, overlays=["sma:20"], panels=["rsi"])
    df.kf.render("renko", width=W, height=H)
    assert df.equals(before) and df.schema == before.schema


# ---------------------------------------------------------------------------------------------------------------
# Kinds, themes, formats.


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_and_theme(sample: pl.DataFrame, kind: str, theme: str) -> None:
    img = sample.kf.render(kind, width=320, height=200, theme=theme)
    assert (img.format, img.width, img.height) == ("png", 320, 200)
    px = img.to_numpy()
    assert px.shape == (200, 320, 4)
    assert has_color(px[0:2, 0:2], PALETTES[theme][0]).all()
    assert len(np.unique(px.reshape(-1, 4), axis=0)) > 4, "something was drawn"


def test_line_fill_option(sample: pl.DataFrame) -> None:
    filled = sample.kf.render("line", fill=True, width=W, height=H)
    assert bytes(filled) == bytes(sample.kf.render("line_filled", width=W, height=H))
    assert bytes(filled) != bytes(sample.kf.render("line", width=W, height=H))
    close_only = sample.select("date", "close")
    assert close_only.kf.render("line", width=W, height=H).to_numpy().shape == (H, W, 4)


def test_formats_share_pixels(sample: pl.DataFrame) -> None:
    imgs = {fmt: sample.kf.render(width=W, height=H, format=fmt) for fmt in FORMATS}
    assert imgs["png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert imgs["webp"][:4] == b"RIFF" and imgs["webp"][8:12] == b"WEBP"
    assert b"<svg" in imgs["svg"][:200]
    assert len(imgs["rgba"]) == W * H * 4
    ref = imgs["rgba"].to_numpy()
    assert (imgs["png"].to_numpy() == ref).all()
    assert (imgs["webp"].to_numpy() == ref).all()
    with pytest.raises(ValueError, match="SVG"):
        imgs["svg"].to_numpy()


def test_speed_presets(sample: pl.DataFrame) -> None:
    imgs = {s: sample.kf.render(width=W, height=H, speed=s) for s in ("fast", "balanced", "best")}
    ref = imgs["fast"].to_numpy()
    for img in imgs.values():
        assert (img.to_numpy() == ref).all()
    assert len(imgs["best"]) <= len(imgs["fast"])


def test_timings(sample: pl.DataFrame) -> None:
    t = sample.kf.render(width=W, height=H).timings
    for key in ("prepare_ms", "call_ms", "bind_ms", "scene_ms", "draw_ms", "convert_ms", "encode_ms", "total_ms"):
        assert t[key] >= 0
    assert t["call_ms"] >= t["total_ms"]
    assert t["slots"] == sample.height


# ---------------------------------------------------------------------------------------------------------------
# Overlays and panels.


def test_overlays_and_panels(sample: pl.DataFrame) -> None:
    base = sample.kf.render(width=W, height=H)
    multi = sample.kf.render(width=W, height=H, overlays=["sma:20", "ema:50", "keltner"])
    expr = sample.kf.render(width=W, height=H, overlays=[("mid", (pl.col("high") + pl.col("low")) / 2, "#FFFFFF")])
    panel = sample.kf.render(width=W, height=H, panels=["rsi:14", ("range", pl.col("high") - pl.col("low"))])
    level = sample.kf.render(width=W, height=H, overlays=[("mean", pl.col("close").mean()), ("100", pl.lit(100.0))])
    assert len({bytes(base), bytes(multi), bytes(expr), bytes(panel), bytes(level)}) == 5
    # The same overlay as an expression or a catalogue string draws the same picture.
    assert bytes(sample.kf.render(width=W, height=H, overlays=[("sma_20", pl.col("close").kf.sma(20))])) == bytes(
        sample.kf.render(width=W, height=H, overlays=["sma:20"])
    )


def test_histogram_panel(sample: pl.DataFrame) -> None:
    bg, up_rgb, down_rgb = PALETTES["tradingview"]
    hist = pl.struct(line=pl.col("close") - 100.0, line_hist=pl.col("close") - pl.col("open"))
    px = sample.kf.render(width=W, height=H, volume=False, panels=[("custom", hist)], antialias=False).to_numpy()
    lower = px[int(H * 0.7) :]
    assert has_color(lower, blend(up_rgb, bg, 0xB3), tol=2).any()
    assert has_color(lower, blend(down_rgb, bg, 0xB3), tol=2).any()


@pytest.mark.skipif("macd" not in BY_NAME, reason="macd is not in this catalogue yet")
def test_macd_panel(sample: pl.DataFrame) -> None:
    img = sample.kf.render(width=W, height=H, panels=["rsi", "macd"])
    assert img.to_numpy().shape == (H, W, 4)


def test_overlays_accept_a_single_spec(sample: pl.DataFrame) -> None:
    assert bytes(sample.kf.render(width=W, height=H, overlays="sma:20")) == bytes(
        sample.kf.render(width=W, height=H, overlays=["sma:20"])
    )


# ---------------------------------------------------------------------------------------------------------------
# LazyFrame.


def test_lazyframe_matches_dataframe(sample: pl.DataFrame) -> None:
    kwargs = dict(width=W, height=H, overlays=["sma:20", ("x", pl.col("extra") * 0 + pl.col("close"))], panels=["rsi"])
    df = sample.with_columns(extra=pl.col("close"), note=pl.lit("text"), blob=pl.lit(b"\x00"))
    assert bytes(df.lazy().kf.render(**kwargs)) == bytes(df.kf.render(**kwargs))


def test_lazyframe_collects_only_needed_columns(sample: pl.DataFrame) -> None:
    lf = (
        sample.with_columns(pl.lit("x").alias("note"))
        .lazy()
        .with_columns(
            pl.col("note").str.to_integer(strict=True).alias("boom")  # fails if ever computed
        )
    )
    assert lf.kf.render(width=W, height=H).format == "png"


def test_lazyframe_renko(sample: pl.DataFrame) -> None:
    assert bytes(sample.lazy().kf.render("renko", width=W, height=H)) == bytes(
        sample.kf.render("renko", width=W, height=H)
    )


# ---------------------------------------------------------------------------------------------------------------
# Bad input.


def bad(exc: type[Exception], match: str, df: pl.DataFrame | pl.LazyFrame, *args: object, **kwargs: object) -> None:
    with pytest.raises(exc, match=match):
        df.kf.render(*args, **kwargs)


def test_empty_frame() -> None:
    bad(ValueError, "empty", bars(0))
    bad(ValueError, "empty", bars(0).lazy())


def test_missing_and_ambiguous_columns(sample: pl.DataFrame) -> None:
    bad(ValueError, r"no 'high' column.*\['date', 'open', 'low', 'close', 'volume'\]", sample.drop("high"))
    bad(ValueError, r"several columns match 'close': \['close', 'Close'\]", sample.with_columns(Close=pl.col("close")))
    bad(ValueError, "column 'nope' given for close not found", sample, close="nope")
    bad(ValueError, "column 'nope' given for volume not found", sample, volume="nope")


def test_non_numeric_columns(sample: pl.DataFrame) -> None:
    bad(TypeError, r"close column 'close' has dtype String", sample.with_columns(pl.col("close").cast(pl.String)))
    bad(TypeError, r"volume column 'volume' has dtype String", sample.with_columns(pl.col("volume").cast(pl.String)))
    bad(TypeError, r"time column 'note' has dtype String", sample.with_columns(note=pl.lit("x")), time="note")
    bad(TypeError, r"overlay 'word' has dtype String", sample, overlays=[("word", pl.col("close").cast(pl.String))])


@pytest.mark.parametrize("kind", ["candle", "ohlc", "hollow", "line", "heikin_ashi", "pnf"])
def test_high_below_low_names_the_row(sample: pl.DataFrame, kind: str) -> None:
    broken = sample.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(pl.col("low") - 50).otherwise(pl.col("high")).alias("high")
    )
    bad(ValueError, r"high < low at row 7: column 'high'", broken, kind, box_size=1.0)


@pytest.mark.parametrize("value", [63, 16385, 0, -5, 100.0, True, "800"])
def test_bad_sizes(sample: pl.DataFrame, value: object) -> None:
    bad(ValueError, r"width must be an integer between 64 and 16384, got", sample, width=value)
    bad(ValueError, r"height must be an integer between 64 and 16384, got", sample, height=value)


def test_numpy_integer_sizes_accepted(sample: pl.DataFrame) -> None:
    img = sample.kf.render(width=np.int64(320), height=np.int32(200))
    assert (img.width, img.height) == (320, 200)


@pytest.mark.parametrize("engine", [5, "tpu", b"cpu"])
def test_bad_engine_names_render_and_the_value(sample: pl.DataFrame, engine: object) -> None:
    bad(ValueError, rf"render: engine must be one of 'auto', 'cpu', 'gpu', got {engine!r}", sample, engine=engine)


def test_size_limits_accepted(sample: pl.DataFrame) -> None:
    assert sample.kf.render(width=64, height=64).to_numpy().shape == (64, 64, 4)
    assert sample.kf.render(width=16384, height=64, format="rgba").width == 16384


def test_unknown_names(sample: pl.DataFrame) -> None:
    bad(
        ValueError,
        r"kind must be one of candle, ohlc, line, line_filled, hollow, renko, pnf, heikin_ashi; got 'bar'",
        sample,
        "bar",
    )
    bad(ValueError, r"theme must be one of classic, modern, tradingview, light; got 'dark'", sample, theme="dark")
    bad(ValueError, r"format must be one of png, svg, webp, rgba; got 'jpeg'", sample, format="jpeg")
    bad(ValueError, r"speed must be one of fast, balanced, best; got 'max'", sample, speed="max")
    bad(ValueError, r"overlay 'smaa:20': unknown indicator 'smaa'", sample, overlays=["smaa:20"])
    bad(ValueError, r"panel 'rsi:x': parameter 'x' is not a number", sample, panels=["rsi:x"])
    bad(ValueError, r"rsi takes at most 1 parameters", sample, panels=["rsi:14,2"])
    bad(ValueError, r"rsi: window must be", sample, panels=["rsi:0"])


def test_bad_colours(sample: pl.DataFrame) -> None:
    bad(
        ValueError,
        r"colors\['up'\] must be a colour '#RGB', '#RRGGBB' or '#RRGGBBAA', got 'green'",
        sample,
        colors={"up": "green"},
    )
    bad(ValueError, r"colors\['down'\] must be a colour.*got '#12345'", sample, colors={"down": "#12345"})
    bad(
        ValueError,
        r"colors has an unknown key 'wick'; valid keys: background, up, down",
        sample,
        colors={"wick": "#FFF"},
    )
    bad(TypeError, r"colors must be a dict", sample, colors="#FFF")
    bad(ValueError, r"overlay 'm' colour must be a colour", sample, overlays=[("m", pl.col("close"), "blue")])


def test_other_bad_arguments(sample: pl.DataFrame) -> None:
    bad(ValueError, r"overlay 's' has 3 values, expected 300", sample, overlays=[("s", pl.Series([1.0, 2.0, 3.0]))])
    bad(ValueError, r"panel 'p' must give one value per bar \(300\)", sample, panels=[("p", pl.col("close").head(2))])
    bad(TypeError, r"each overlay must be a string", sample, overlays=[42])
    bad(TypeError, r"overlay 'x' must be a polars Expr or Series", sample, overlays=[("x", [1, 2])])
    bad(ValueError, r"overlays and panels need time bars", sample, "renko", overlays=["sma"])
    bad(ValueError, r"box_size must be a finite number > 0, got -1", sample, "renko", box_size=-1)
    bad(ValueError, r"reversal must be an integer >= 1, got 0", sample, "pnf", reversal=0)
    bad(ValueError, r"no renko bricks; pass a smaller box_size", sample, "renko", box_size=1e9)
    bad(TypeError, r"antialias must be True or False", sample, antialias="yes")
    with pytest.raises(TypeError, match="expected a polars DataFrame"):
        kf.chart.render({"open": [1.0]})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# The image object.


def test_jupyter_repr(sample: pl.DataFrame) -> None:
    png = sample.kf.render(width=W, height=H)
    assert png._repr_png_()[:4] == b"\x89PNG"
    bundle = png._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == bytes(png)
    assert repr(png) == f"ChartImage(format='png', width={W}, height={H}, bytes={len(png)})"
    rgba = sample.kf.render(width=W, height=H, format="rgba")
    assert (ChartImage(rgba._repr_png_(), width=W, height=H, format="png").to_numpy() == rgba.to_numpy()).all()
    svg = sample.kf.render(width=W, height=H, format="svg")
    assert set(svg._repr_mimebundle_()) == {"image/svg+xml", "text/plain"}
    assert svg._repr_png_() is None and svg._repr_svg_().lstrip().startswith("<")
    webp = sample.kf.render(width=W, height=H, format="webp")
    assert base64.b64decode(webp._repr_mimebundle_()["image/webp"]) == bytes(webp)
    assert (ChartImage(webp.to_png(), width=W, height=H, format="png").to_numpy() == webp.to_numpy()).all()


def test_save_and_pickle(sample: pl.DataFrame, tmp_path) -> None:
    img = sample.kf.render(width=W, height=H)
    path = img.save(tmp_path / "chart.png")
    assert path.read_bytes() == bytes(img)
    back = pickle.loads(pickle.dumps(img))
    assert isinstance(back, ChartImage) and bytes(back) == bytes(img)
    assert (back.width, back.height, back.format, back.timings) == (img.width, img.height, img.format, img.timings)
    px = img.to_numpy()
    px[0, 0] = 0  # writable
    assert px.dtype == np.uint8


# ---------------------------------------------------------------------------------------------------------------
# Loader and CLI.


def test_read_ohlcv_shared_formats() -> None:
    jpy = read_ohlcv(DATA_DIR / "jpyusd_barchartdotcom.csv")
    assert {"open", "high", "low", "close", "volume"} <= set(jpy.columns)
    assert jpy["time"].dtype == pl.Date and jpy["time"].is_sorted()
    assert jpy["time"][0] == date(2018, 3, 12)
    intraday = read_ohlcv(DATA_DIR / "SP500_NOV2019_IDay.csv")
    assert intraday["date"].dtype == pl.Datetime("us") and intraday["date"][0] == datetime(2019, 11, 5, 9, 30)
    spy = read_ohlcv(DATA_DIR / "yahoofinance-SPY-20080101-20180101.csv")
    assert spy["date"].dtype == pl.Date and spy.height == 2519
    for frame in (jpy, intraday, spy):
        assert frame.kf.render(width=W, height=H).format == "png"


def test_cli_render_file(tmp_path, capsys) -> None:
    out = tmp_path / "jpy.png"
    args = [
        "render",
        str(DATA_DIR / "jpyusd_barchartdotcom.csv"),
        "-o",
        str(out),
        "--width",
        "640",
        "--height",
        "360",
        "--overlay",
        "sma:20",
        "--panel",
        "rsi",
        "--title",
        "JPY",
        "--no-volume",
    ]
    assert cli_main(args) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert "640x360" in capsys.readouterr().out


def test_cli_render_sample_and_errors(tmp_path, capsys) -> None:
    out = tmp_path / "sample.svg"
    assert cli_main(["render", "-o", str(out), "--kind", "renko", "--width", "400", "--height", "300"]) == 0
    assert b"<svg" in out.read_bytes()[:200]
    assert cli_main(["render", "-o", str(tmp_path / "x.png"), "--width", "10"]) == 2
    assert "width must be" in capsys.readouterr().err
    parquet = tmp_path / "bars.parquet"
    kf.sample_ohlcv(50).rename({"close": "Close"}).write_parquet(parquet)
    assert cli_main(["render", str(parquet), "-o", str(tmp_path / "p.webp")]) == 0
    assert (tmp_path / "p.webp").read_bytes()[:4] == b"RIFF"


def test_cli_demo_renders(tmp_path, capsys) -> None:
    out = tmp_path / "demo.png"
    assert cli_main(["demo", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "rsi_14" in text and str(out) in text
    img = ChartImage(out.read_bytes(), width=1920, height=1080, format="png")
    assert img.to_numpy().shape == (1080, 1920, 4)


def test_all_zero_volume_hides_the_panel() -> None:
    zero = bars(20).with_columns(volume=pl.lit(0.0))
    assert bytes(zero.kf.render(width=W, height=H)) == bytes(zero.kf.render(width=W, height=H, volume=False))
    named = zero.kf.render(width=W, height=H, volume="volume")
    assert bytes(named) != bytes(zero.kf.render(width=W, height=H, volume=False))


def test_nan_or_null_volume_hides_the_panel() -> None:
    no_panel = bytes(bars(20).kf.render(width=W, height=H, volume=False))
    for volume in (pl.lit(float("nan")), pl.lit(None, dtype=pl.Float64), pl.lit(None, dtype=pl.Int64)):
        frame = bars(20).with_columns(volume=volume)
        assert bytes(frame.kf.render(width=W, height=H)) == no_panel
    # One real volume among NaNs still draws the panel.
    some = bars(20).with_columns(volume=pl.Series([float("nan")] * 19 + [5.0]))
    assert bytes(some.kf.render(width=W, height=H)) != no_panel


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_render_in_a_forked_child() -> None:
    """The threads of the extension's pool (the PNG encoder's helpers) do not survive a fork; a child must still
    render the same bytes and not keep the images it queued for threads that do not exist (1920x1080 is 8 MB of
    pixels per chart)."""
    frame = kf.sample_ohlcv(500, seed=1)
    expected = bytes(frame.kf.render())  # starts the helpers in this process
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return into pytest
        code = 1
        try:
            with open("/proc/self/statm") as f:
                before = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            same = all(bytes(frame.kf.render()) == expected for _ in range(30))
            with open("/proc/self/statm") as f:
                grown = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") - before
            code = 0 if same and grown < 100 * 2**20 else (2 if not same else 3)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "2: different bytes in the child, 3: memory kept growing"


# ---------------------------------------------------------------- titles, labels and markers


def svg_texts(img: ChartImage) -> list[str]:
    """The text of every ``<text>`` element, after checking the SVG is well-formed XML."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(bytes(img).decode("utf-8"))
    return [el.text or "" for el in root.iter() if el.tag.endswith("text")]


def test_title_lines_tabs_and_control_characters(sample):
    img = sample.kf.render(width=W, height=H, title="\nINTC\tDaily\x00\x07\x1b\r\nline 3", format="svg")
    texts = svg_texts(img)  # parses: no control character reached the XML
    assert "INTC    Daily" in texts and "line 3" in texts
    assert not any(ch in "".join(texts) for ch in "\x00\x07\x1b\t")
    one = sample.kf.render(width=W, height=H, title="INTC Daily", format="rgba").to_numpy()
    three = sample.kf.render(width=W, height=H, title="a\nb\nc", format="rgba").to_numpy()

    # Three lines take more room above the price panel: the first candle row moves down.
    def first_bar_row(px: np.ndarray) -> int:
        _, up, down = PALETTES["tradingview"]
        rows = np.where((has_color(px, up, 2) | has_color(px, down, 2)).any(axis=1))[0]
        return int(rows[0])

    assert first_bar_row(three) > first_bar_row(one)


def test_labels_and_symbols_outside_ascii_are_drawn(sample):
    euro = sample.kf.render(width=W, height=H, title="\u20ac \u00a3 \u00a5 \u2192 \u00e9", format="rgba").to_numpy()
    question = sample.kf.render(width=W, height=H, title="? ? ? ? ?", format="rgba").to_numpy()
    assert not np.array_equal(euro, question), "symbols are drawn as themselves, not as '?'"
    texts = svg_texts(sample.kf.render(width=W, height=H, ylabel="Price \u20ac", ylabel_lower="Volume", format="svg"))
    assert "Price \u20ac" in texts and "Volume" in texts


def test_lone_surrogate_is_a_clear_error(sample):
    with pytest.raises(ValueError, match=r"render: title has a lone surrogate '\\ud800' at position 3"):
        sample.kf.render(title="abc\ud800")
    with pytest.raises(ValueError, match="render: ylabel has a lone surrogate"):
        sample.kf.render(ylabel="\udfff")
    with pytest.raises(ValueError, match="render: overlay label has a lone surrogate"):
        sample.kf.render(overlays=[("x\ud800", pl.col("close"))])


def test_last_price_legend_and_centred_bold_title_are_options(sample):
    last = f"{sample['close'][-1]:.2f}"
    default = svg_texts(sample.kf.render(width=W, height=H, overlays=["sma:20"], format="svg"))
    assert last in default and any("sma" in t for t in default)
    bare = svg_texts(
        sample.kf.render(width=W, height=H, overlays=["sma:20"], last_price=False, legend=False, format="svg")
    )
    assert last not in bare and not any("sma" in t for t in bare)
    svg = bytes(sample.kf.render(width=W, height=H, title="T", title_align="center", title_bold=True, format="svg"))
    centred = [line for line in svg.decode().splitlines() if line.endswith(">T</text>")]
    assert len(centred) == 2 and all('text-anchor="middle"' in line for line in centred)


def test_volume_exponent_labels_ticks_in_units_of_a_power_of_ten(sample):
    df = sample.with_columns(pl.col("volume") * 1000)  # about 1e9
    compact = svg_texts(df.kf.render(width=800, height=600, format="svg"))
    scaled = svg_texts(df.kf.render(width=800, height=600, volume_exponent=6, format="svg"))
    (tick,) = [t for t in compact if t[-1:] == "B"]  # the volume tick, compact: "2B"
    assert float(tick[:-1]) * 1e9 / 1e6 == float(scaled[compact.index(tick)])  # "2000" (x 10^6)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(volume_exponent=-1), ValueError, "render: volume_exponent must be an integer from 0 to 30, got -1"),
        (dict(volume_exponent=2.0), ValueError, "volume_exponent must be an integer"),
        (dict(title_align="right"), ValueError, "render: title_align must be one of left, center; got 'right'"),
        (dict(title_bold=1), TypeError, "render: title_bold must be True or False, got 1"),
        (dict(last_price="no"), TypeError, "render: last_price must be True or False"),
        (dict(legend=None), TypeError, "render: legend must be True or False"),
        (dict(ylabel=5), TypeError, "render: ylabel must be a string, got int"),
    ],
)
def test_bad_label_options(sample, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        sample.kf.render(**kwargs)


def test_renko_and_pnf_show_dates_and_renko_the_last_close(sample):
    last = f"{sample['close'][-1]:.2f}"
    months = {d.strftime("%b") for d in sample["date"].to_list()}
    for kind in ("renko", "pnf"):
        texts = svg_texts(sample.kf.render(kind, width=800, height=450, format="svg"))
        if kind == "renko":
            assert last in texts, f"{kind}: the tag shows the last close {last}"
        assert any(t.split(" ")[0] in months or t[:4].isdigit() for t in texts if not t.replace(".", "").isdigit())
        undated = svg_texts(sample.drop("date").kf.render(kind, width=800, height=450, format="svg"))
        assert not any(t.split(" ")[0] in months for t in undated)
