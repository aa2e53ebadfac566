"""Trend indicators TA-Lib lacks (tsi, elder_ray, kst) against independent numpy float64 references, on real data
and on random walks with missing bars (compared on the compacted series), warm-up rows included."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference import check_missing_rule, outputs, random_walk, shared_frames, with_missing

import polars_kimsfinance as kf

FRAMES = shared_frames()


def ema_seeded(x: np.ndarray, n: int) -> np.ndarray:
    """EMA with alpha 2/(n+1) of the values after x's leading NaNs, seeded with the mean of the first n of them."""
    out = np.full(len(x), np.nan)
    start = int(np.argmax(~np.isnan(x))) if (~np.isnan(x)).any() else len(x)
    if len(x) - start < n:
        return out
    alpha = 2.0 / (n + 1.0)
    value = float(np.mean(x[start : start + n]))
    out[start + n - 1] = value
    for i in range(start + n, len(x)):
        value = value + alpha * (x[i] - value)
        out[i] = value
    return out


def sma(x: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average; NaN where the window holds a NaN or is incomplete."""
    out = np.full(len(x), np.nan)
    for i in range(n - 1, len(x)):
        out[i] = np.mean(x[i - n + 1 : i + 1])
    return out


def tsi_ref(d, long=25, short=13):
    c = d["close"]
    m = np.r_[np.nan, np.diff(c)]
    num = ema_seeded(ema_seeded(m, long), short)
    den = ema_seeded(ema_seeded(np.abs(m), long), short)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den == 0, 0.0, 100.0 * num / den)
    return [np.where(np.isnan(den), np.nan, out)]


def elder_ray_ref(d, window=13):
    e = ema_seeded(d["close"], window)
    return [d["high"] - e, d["low"] - e]


def kst_ref(d, rocs=(10, 15, 20, 30), smas=(10, 10, 10, 15), signal=9):
    c = d["close"]
    total = np.zeros(len(c))
    for weight, (r, s) in enumerate(zip(rocs, smas), start=1):
        past = np.r_[np.full(r, np.nan), c[:-r]] if r < len(c) else np.full(len(c), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            roc = np.where(past == 0, 0.0, (c / past - 1.0) * 100.0)
        roc[np.isnan(past)] = np.nan
        total = total + weight * sma(roc, s)
    return [total, sma(total, signal)]


KST_PARAMS = ("roc1", "roc2", "roc3", "roc4", "sma1", "sma2", "sma3", "sma4", "signal")
# (name, kwargs, reference, inputs, first valid row of each output on a clean series)
CASES = [
    ("tsi", {}, lambda d: tsi_ref(d), ("close",), [37]),
    ("tsi", {"long": 5, "short": 3}, lambda d: tsi_ref(d, 5, 3), ("close",), [7]),
    ("tsi", {"long": 1, "short": 1}, lambda d: tsi_ref(d, 1, 1), ("close",), [1]),
    ("elder_ray", {}, lambda d: elder_ray_ref(d), ("high", "low", "close"), [12, 12]),
    ("elder_ray", {"window": 2}, lambda d: elder_ray_ref(d, 2), ("high", "low", "close"), [1, 1]),
    ("kst", {}, lambda d: kst_ref(d), ("close",), [44, 52]),
    (
        "kst",
        dict(zip(KST_PARAMS, (3, 5, 8, 12, 2, 3, 4, 6, 4))),
        lambda d: kst_ref(d, (3, 5, 8, 12), (2, 3, 4, 6), 4),
        ("close",),
        [17, 20],
    ),
]
IDS = [f"{name}({','.join(f'{k}={v}' for k, v in kw.items())})" for name, kw, *_ in CASES]


@pytest.mark.parametrize("frame", sorted(FRAMES))
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_reference_on_real_data(case, frame):
    name, kwargs, ref, inputs, _ = case
    expr = kf.FUNCTIONS[name](**kwargs)
    check_missing_rule(lambda d: outputs(d, expr), ref, FRAMES[frame], inputs, f"{name} on {frame}")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_reference_on_compacted_series_with_missing_bars(case, seed):
    name, kwargs, ref, inputs, _ = case
    df = with_missing(random_walk(3000, seed), seed, fraction=0.08)
    expr = kf.FUNCTIONS[name](**kwargs)
    check_missing_rule(lambda d: outputs(d, expr), ref, df, inputs, f"{name} seed {seed}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_warm_up_rows(case):
    name, kwargs, _, _, first = case
    df = random_walk(200, 5)
    out = outputs(df, kf.FUNCTIONS[name](**kwargs))
    assert [s.null_count() for s in out] == first
    assert all(s[:k].is_null().all() and s[k:].is_not_null().all() for s, k in zip(out, first))


def test_at_price_level_1e6():
    df = random_walk(50_000, 11, level=1e6)
    for name, kwargs, ref, inputs, _ in CASES:
        expr = kf.FUNCTIONS[name](**kwargs)
        check_missing_rule(lambda d: outputs(d, expr), ref, df, inputs, f"{name} at 1e6", rtol=1e-8, atol=1e-6)


def test_tsi_of_a_flat_series_is_zero():
    df = pl.DataFrame({"close": [5.0] * 40})
    assert df.select(kf.tsi("close", 5, 3))["close"].drop_nulls().to_list() == [0.0] * 33


def test_kst_rate_of_change_against_zero_price_is_zero():
    df = pl.DataFrame({"close": [0.0, 0.0, 1.0, 2.0, 3.0]})
    out = df.select(kf.kst("close", 1, 1, 1, 1, 1, 1, 1, 1, 1)).unnest("close")["kst"].to_list()
    assert out[0] is None
    assert out[1:] == pytest.approx([0.0, 0.0, 1000.0, 500.0], rel=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kf.adx(window=1), "adx: window must be an integer >= 2, got 1"),
        (lambda: kf.aroon(window=1), "aroon: window must be an integer >= 2, got 1"),
        (lambda: kf.tsi(long=0), "tsi: long must be an integer >= 1, got 0"),
        (lambda: kf.parabolic_sar(acceleration=-0.1), "parabolic_sar: acceleration must be >= 0, got -0.1"),
        (lambda: kf.kst(signal=2.5), "kst: signal must be an integer >= 1, got 2.5"),
    ],
)
def test_parameter_errors_name_function_parameter_and_value(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()
