"""Hypothesis over random frames, dtypes, chunkings and parameters, beyond tests/test_properties.py (which checks a few
rolling kernels against numpy on one Float64 column):

* every catalogue entry with random valid parameters on a random frame stored as Float32, Float64 or an integer
  dtype and cut into random chunks gives, bit for bit, what it gives on the same values as one Float64 chunk (the
  kernels see float64 whatever the storage); a parameter combination an entry refuses is refused the same way;
* every TA-Lib case of tests/cases_*.py on random walks (random length, price level and missing bars) equals TA-Lib
  on the compacted series;
* render over random OHLCV frames and options raises only its documented errors (``ValueError`` / ``TypeError``
  starting ``render: ``) and otherwise returns an image of the requested size.
"""

from __future__ import annotations

import io
import math

import numpy as np
import polars as pl
import pytest
from cases_averages import CASES as AVERAGES
from cases_core import CASES as CORE
from cases_momentum import CASES as MOMENTUM
from cases_trend import CASES as TREND
from cases_volatility import CASES as VOLATILITY
from cases_volume import CASES as VOLUME
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reference import outputs, random_walk, with_missing

import polars_kimsfinance as kf
from polars_kimsfinance import _internal

talib = pytest.importorskip("talib")

DTYPES = [pl.Float64, pl.Float32, pl.Int64, pl.Int32, pl.UInt16]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def param_value(kind: str):
    """Valid values of a parameter kind (small windows, so that they fit the frames)."""
    return {
        "window": st.integers(1, 40),
        "count": st.integers(0, 6),
        "positive": st.floats(0.01, 10.0),
        "non_negative": st.floats(0.0, 10.0),
        "fraction": st.floats(0.01, 1.0),
        "real": st.floats(-5.0, 5.0),
        "flag": st.booleans(),
    }[kind]


@st.composite
def indicator_call(draw):
    ind = draw(st.sampled_from(kf.CATALOGUE))
    params = dict(ind.example_params)
    for p in ind.params:
        if p.default is None:
            continue  # resolved by prepare from the others (ewm_mean's com / span / half_life / alpha)
        if draw(st.booleans()):
            params[p.name] = draw(param_value(p.kind))
    return ind, params


@st.composite
def stored_frame(draw):
    """(the frame as stored: dtype and chunks drawn, the same values as one Float64 chunk)."""
    n = draw(st.integers(0, 150))
    dtype = draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    base = random_walk(max(n, 1), seed % 1000, level=draw(st.sampled_from([1.0, 100.0, 5e4])))[:n]
    if dtype.is_integer():
        base = base.with_columns(pl.all().round(0).clip(0, 60_000))
    elif dtype == pl.Float32:
        base = base.with_columns(pl.all().cast(pl.Float32).cast(pl.Float64))
    base = base.with_columns(session=pl.Series(np.sort(rng.integers(0, 4, n)), dtype=pl.Float64))
    missing = draw(st.sampled_from([0.0, 0.05, 0.3]))
    if missing and n:
        base = with_missing(base, seed % 1000, fraction=missing)
        if dtype.is_integer():  # integer columns have nulls, not NaN
            base = base.with_columns(pl.all().fill_nan(None))
    stored = base.with_columns(pl.all().cast(dtype))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=6)))
    if cuts:
        bounds = [0, *cuts, n]
        stored = pl.concat([stored[a:b] for a, b in zip(bounds, bounds[1:])], rechunk=False)
    return base.with_columns(pl.all().cast(pl.Float64)).rechunk(), stored


def outcome(df: pl.DataFrame, ind, params):
    try:
        return "ok", outputs(df, kf.FUNCTIONS[ind.name](**params))
    except (ValueError, TypeError) as e:
        return "error", str(e)


@SETTINGS
@given(indicator_call(), stored_frame())
def test_dtype_and_chunking_do_not_change_any_result(call, frames) -> None:
    ind, params = call
    reference, stored = frames
    before = stored.clone()
    want, got = outcome(reference, ind, params), outcome(stored, ind, params)
    assert want[0] == got[0], (ind.name, params, want, got)
    if want[0] == "error":
        assert want[1] == got[1] and want[1].startswith(f"{ind.name}: ")
    else:
        # Float32 in every input gives Float32 out (the float64 result rounded once), anything else Float64.
        out_dtype = pl.Float32 if all(stored.schema[c] == pl.Float32 for c in ind.inputs) else pl.Float64
        for w, g in zip(want[1], got[1]):
            w = w.cast(out_dtype)
            assert g.dtype == out_dtype
            assert w.len() == g.len() == stored.height
            # Bit for bit, NaN and null included.
            assert w.fill_nan(math.inf).equals(g.fill_nan(math.inf)), (ind.name, params)
    assert stored.equals(before)


TALIB_CASES = [*CORE, *AVERAGES, *MOMENTUM, *TREND, *VOLATILITY, *VOLUME]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(TALIB_CASES),
    st.integers(1, 400),
    st.integers(0, 10_000),
    st.sampled_from([1e-2, 1.0, 100.0, 1e6]),
    st.sampled_from([0.0, 0.02, 0.2]),
)
def test_talib_cases_on_random_walks(case, n, seed, level, missing) -> None:
    df = random_walk(n, seed, level=level)
    if missing:
        df = with_missing(df, seed, fraction=missing)
    # The walks at 1e-2 and 1e6 keep TA-Lib's own zero tolerance out of the way at these tolerances.
    case.check(df, f"walk n={n} seed={seed} level={level} missing={missing}", rtol=max(case.rtol, 1e-7))


def test_talib_case_list_is_the_full_set() -> None:
    # The sampled set above is every case the fixed-data TA-Lib tests run.
    names = {c.name for c in TALIB_CASES}
    assert len(TALIB_CASES) > 100 and len(names) > 40, (len(TALIB_CASES), len(names))


OVERLAYS = ["sma:10", "ema:5", "bbands:20", "vwap", "nonsense:3", "sma:0", "rsi"]
PANELS = ["rsi:14", "macd", "atr:5", "volume", "stoch", "rsi:0", "bogus"]


@st.composite
def render_call(draw):
    n = draw(st.integers(0, 120))
    seed = draw(st.integers(0, 10_000))
    df = random_walk(max(n, 1), seed, level=draw(st.sampled_from([1e-8, 1.0, 100.0, 1e12])))[:n]
    damage = draw(st.sampled_from(["none", "missing", "high<low", "flat", "negative-volume", "inf"]))
    if damage == "missing" and n:
        df = with_missing(df, seed)
    elif damage == "high<low":
        df = df.with_columns(high=pl.col("low"), low=pl.col("high"))
    elif damage == "flat":
        df = df.with_columns(open=pl.lit(5.0), high=pl.lit(5.0), low=pl.lit(5.0), close=pl.lit(5.0))
    elif damage == "negative-volume":
        df = df.with_columns(volume=-pl.col("volume"))
    elif damage == "inf" and n:
        df = df.with_columns(close=pl.when(pl.int_range(pl.len()) == n // 2).then(math.inf).otherwise("close"))
    dtype = draw(st.sampled_from([pl.Float64, pl.Float32]))
    df = df.with_columns(pl.all().cast(dtype))
    if draw(st.booleans()):
        df = df.with_columns(time=pl.Series(np.arange(n) * 3_600_000_000, dtype=pl.Datetime("us")))
    options = {
        "width": draw(st.integers(_internal.MIN_SIZE, 300)),
        "height": draw(st.integers(_internal.MIN_SIZE, 220)),
        "theme": draw(st.sampled_from(list(_internal.THEMES))),
        "format": draw(st.sampled_from(["png", "svg", "rgba"])),
        "volume": draw(st.booleans()),
        "title": draw(st.one_of(st.none(), st.text(max_size=30))),
    }
    if draw(st.booleans()):
        options["overlays"] = draw(st.lists(st.sampled_from(OVERLAYS), max_size=2))
    if draw(st.booleans()):
        options["panels"] = draw(st.lists(st.sampled_from(PANELS), max_size=2))
    kind = draw(st.sampled_from(list(_internal.KINDS)))
    if kind in ("renko", "pnf"):
        options["box_size"] = draw(st.sampled_from([0.5, 1.0, 1e-3, 1e9]))
    return df, kind, options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(render_call())
def test_render_random_frames_and_options(call) -> None:
    df, kind, options = call
    before = df.clone()
    try:
        chart = df.kf.render(kind, **options)
    except (ValueError, TypeError) as e:
        assert str(e).startswith("render: "), (kind, options, e)
    else:
        assert (chart.width, chart.height) == (options["width"], options["height"])
        if options["format"] == "rgba":
            assert len(bytes(chart)) == chart.width * chart.height * 4
    assert df.equals(before)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    render_call(),
    st.integers(600, 2600),
    st.integers(_internal.MIN_SIZE, 700),
    st.sampled_from([1.0, 1.5]),
    st.sampled_from([0, 30, 90]),
    st.booleans(),
)
def test_a_fast_png_holds_the_pixels_of_the_raw_image(call, width, height, scale, rotation, annotate):
    # A fast PNG drawn on the CPU is drawn and encoded strip by strip (src/render/tiles.rs), the raw image whole:
    # wide images make strips of a few dozen rows, so lines, shading, text and candles cross their edges.
    df, kind, options = call
    options = {**options, "width": width, "height": height, "format": "png", "scale": scale}
    options.update(xrotation=rotation, engine="cpu")
    if annotate and kind not in ("renko", "pnf") and df.height:
        options.update(
            hlines=[float(df["close"].median() or 0.0)],
            fill_between={"y1": "high", "y2": "low", "alpha": 0.3},
            markers=pl.col("close") > pl.col("open"),
        )
    try:
        png = df.kf.render(kind, **options)
    except (ValueError, TypeError) as e:
        assert str(e).startswith("render: "), (kind, options, e)
        return
    raw = df.kf.render(kind, **{**options, "format": "rgba"})
    decoded = np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGBA"))
    assert np.array_equal(decoded, raw.to_numpy()), (kind, options)
