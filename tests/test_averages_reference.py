"""Moving averages TA-Lib lacks (hma, vwma, zlema) against independent numpy float64 references: real data, random
walks with missing bars (compared on the compacted series), warm-up rows, zero-volume windows and bad parameters."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from reference import check_missing_rule, outputs, random_walk, shared_frames, with_missing

import polars_kimsfinance as kf

FRAMES = shared_frames()


def wma_ref(x: np.ndarray, n: int) -> np.ndarray:
    """Linear weights 1..n, newest heaviest; NaN for the first n - 1 values."""
    out = np.full(len(x), np.nan)
    if len(x) >= n:
        weights = np.arange(1, n + 1, dtype=np.float64)
        windows = np.lib.stride_tricks.sliding_window_view(x, n)
        out[n - 1 :] = windows @ weights / weights.sum()
    return out


def hma_ref(data, n: int) -> list[np.ndarray]:
    x = data["close"]
    root = math.isqrt(n)
    diff = 2.0 * wma_ref(x, n // 2) - wma_ref(x, n)
    out = np.full(len(x), np.nan)
    if len(x) >= n:
        out[n - 1 :] = wma_ref(diff[n - 1 :], root)
    return [out]


def vwma_ref(data, n: int) -> list[np.ndarray]:
    c, v = data["close"], data["volume"]
    out = np.full(len(c), np.nan)
    if len(c) >= n:
        cv = np.lib.stride_tricks.sliding_window_view(c * v, n).sum(axis=1)
        vv = np.lib.stride_tricks.sliding_window_view(v, n)
        total = vv.sum(axis=1)
        no_volume = np.all(vv == 0, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[n - 1 :] = np.where(no_volume, np.nan, cv / np.where(no_volume, 1.0, total))
    return [out]


def zlema_ref(data, n: int) -> list[np.ndarray]:
    x = data["close"]
    lag = (n - 1) // 2
    out = np.full(len(x), np.nan)
    d = 2.0 * x[lag:] - x[: len(x) - lag]
    if len(d) < n:
        return [out]
    alpha = 2.0 / (n + 1.0)
    value = d[:n].sum() / n
    out[lag + n - 1] = value
    for i in range(n, len(d)):
        value = value + alpha * (d[i] - value)
        out[lag + i] = value
    return [out]


CASES = [
    ("hma", {"window": 9}, lambda d: hma_ref(d, 9)),
    ("hma", {"window": 2}, lambda d: hma_ref(d, 2)),
    ("hma", {"window": 3}, lambda d: hma_ref(d, 3)),
    ("hma", {"window": 16}, lambda d: hma_ref(d, 16)),
    ("hma", {"window": 20}, lambda d: hma_ref(d, 20)),
    ("vwma", {"window": 20}, lambda d: vwma_ref(d, 20)),
    ("vwma", {"window": 1}, lambda d: vwma_ref(d, 1)),
    ("vwma", {"window": 3}, lambda d: vwma_ref(d, 3)),
    ("zlema", {"window": 20}, lambda d: zlema_ref(d, 20)),
    ("zlema", {"window": 1}, lambda d: zlema_ref(d, 1)),
    ("zlema", {"window": 2}, lambda d: zlema_ref(d, 2)),
    ("zlema", {"window": 3}, lambda d: zlema_ref(d, 3)),
    ("zlema", {"window": 10}, lambda d: zlema_ref(d, 10)),
]
IDS = [f"{name}({params['window']})" for name, params, _ in CASES]


def _expr(name, params):
    return kf.FUNCTIONS[name](**params)


@pytest.mark.parametrize("frame", sorted(FRAMES))
@pytest.mark.parametrize("name,params,ref", CASES, ids=IDS)
def test_equals_reference_on_real_data(name, params, ref, frame):
    inputs = kf.BY_NAME[name].inputs
    check_missing_rule(lambda d: outputs(d, _expr(name, params)), ref, FRAMES[frame], inputs, f"{name} on {frame}")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name,params,ref", CASES, ids=IDS)
def test_equals_reference_with_missing_bars(name, params, ref, seed):
    df = with_missing(random_walk(3000, seed), seed, fraction=0.08)
    inputs = kf.BY_NAME[name].inputs
    check_missing_rule(lambda d: outputs(d, _expr(name, params)), ref, df, inputs, f"{name} seed {seed}")


@pytest.mark.parametrize("name,params,ref", CASES, ids=IDS)
def test_long_series_at_price_level_1e6(name, params, ref):
    df = random_walk(200_000, 11, level=1e6)
    inputs = kf.BY_NAME[name].inputs
    check_missing_rule(
        lambda d: outputs(d, _expr(name, params)), ref, df, inputs, f"{name} at 1e6", rtol=1e-8, atol=1e-6
    )


@pytest.mark.parametrize("name,params,ref", CASES, ids=IDS)
def test_float32_in_float32_out(name, params, ref):
    df = random_walk(2000, 7).select(pl.all().cast(pl.Float32))
    out = outputs(df, _expr(name, params))
    assert out[0].dtype == pl.Float32
    as64 = df.select(pl.all().cast(pl.Float64))
    check_missing_rule(
        lambda d: [s.cast(pl.Float64) for s in out],
        ref,
        as64,
        kf.BY_NAME[name].inputs,
        f"{name} float32",
        rtol=2e-6,
        atol=2e-5,
    )


@pytest.mark.parametrize("n", [2, 3, 4, 9, 10, 16, 25, 30])
def test_warm_up_rows(n):
    df = random_walk(200, 5)
    first = lambda expr: df.select(expr.alias("o")).to_series().null_count()  # noqa: E731
    assert first(kf.hma("close", n)) == n + math.isqrt(n) - 2
    assert first(kf.vwma("close", n)) == n - 1
    assert first(kf.zlema("close", n)) == (n - 1) // 2 + n - 1


def test_zlema_with_window_at_most_2_is_the_ema():
    df = random_walk(500, 9)
    for n in (1, 2):
        got = df.select(kf.zlema("close", n))["close"]
        want = df.select(kf.ema("close", n))["close"]
        assert got.equals(want)


def test_vwma_zero_volume_windows_are_null():
    rng = np.random.default_rng(3)
    close = 100 + rng.normal(size=400).cumsum()
    volume = np.floor(rng.lognormal(5, 1, 400))
    volume[50:80] = 0.0  # a long stretch without volume
    volume[200:203] = 0.0
    volume[300] = 0.5e-300  # tiny but not zero: still a value
    df = pl.DataFrame({"close": close, "volume": volume})
    out = df.select(kf.vwma("close", 5))["close"]
    assert out.is_nan().sum() == 0
    assert out[54:80].null_count() == 26 and out[53] is not None and out[80] is not None
    assert out[200:207].null_count() == 0  # 3 zero bars never fill a 5-bar window
    check_missing_rule(
        lambda d: outputs(d, kf.vwma("close", 5)), lambda d: vwma_ref(d, 5), df, ("close", "volume"), "vwma zero volume"
    )


def test_bad_parameters_name_function_parameter_and_value():
    with pytest.raises(ValueError, match=r"hma: window must be an integer >= 2, got 1"):
        kf.hma("close", 1)
    with pytest.raises(ValueError, match=r"vwma: window must be an integer >= 1, got 0"):
        kf.vwma("close", 0)
    with pytest.raises(ValueError, match=r"t3: vfactor must be in \[0, 1\], got 1.5"):
        kf.t3("close", 5, 1.5)
    with pytest.raises(ValueError, match=r"t3: vfactor must be >= 0, got -0.1"):
        kf.t3("close", 5, -0.1)


def trima_ref(x: np.ndarray, n: int) -> np.ndarray:
    """Direct triangular weights: odd n 1..(n+1)/2..1, even n 1..n/2, n/2..1."""
    half = (n + 1) // 2 if n % 2 else n // 2
    up = np.arange(1, half + 1, dtype=np.float64)
    weights = np.concatenate([up, up[::-1][1:] if n % 2 else up[::-1]])
    out = np.full(len(x), np.nan)
    out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n) @ weights / weights.sum()
    return out


@pytest.mark.parametrize("n", [2, 3, 5, 7, 30])
def test_wma_and_trima_do_not_drift_at_price_level_1e6(n):
    """TA-Lib's own TRIMA drifts here (see cases_averages.py); ours equals the direct weighted sums."""
    df = random_walk(200_000, 11, level=1e6)
    check_missing_rule(
        lambda d: outputs(d, kf.wma("close", n)),
        lambda d: [wma_ref(d["close"], n)],
        df,
        ("close",),
        f"wma({n}) exact",
        rtol=1e-12,
        atol=0,
    )
    check_missing_rule(
        lambda d: outputs(d, kf.trima("close", n)),
        lambda d: [trima_ref(d["close"], n)],
        df,
        ("close",),
        f"trima({n}) exact",
        rtol=1e-12,
        atol=0,
    )
