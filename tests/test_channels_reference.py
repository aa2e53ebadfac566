"""Keltner, Donchian, squeeze, SuperTrend and Ichimoku against plain numpy float64 references written here, on real
data and on random walks with missing bars (compared on the compacted series), including the warm-up rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference import check_reference, kf, outputs, random_walk, reference_datasets

DATASETS = reference_datasets()
NAN = np.nan


# --- references -----------------------------------------------------------------------------------------------------


def ema_talib(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    if len(x) < n:
        return out
    out[n - 1] = x[:n].mean()
    alpha = 2.0 / (n + 1)
    for i in range(n, len(x)):
        out[i] = out[i - 1] + alpha * (x[i] - out[i - 1])
    return out


def true_range(h, lo, c) -> np.ndarray:
    tr = np.full(len(c), NAN)
    tr[1:] = np.maximum(h[1:], c[:-1]) - np.minimum(lo[1:], c[:-1])
    return tr


def atr_wilder(h, lo, c, n: int) -> np.ndarray:
    tr = true_range(h, lo, c)
    out = np.full(len(c), NAN)
    if len(c) <= n:
        return out
    out[n] = tr[1 : n + 1].mean()
    for i in range(n + 1, len(c)):
        out[i] = (out[i - 1] * (n - 1) + tr[i]) / n
    return out


def window_apply(x: np.ndarray, n: int, fn) -> np.ndarray:
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        w = x[i - n + 1 : i + 1]
        if not np.isnan(w).any():
            out[i] = fn(w)
    return out


def ref_keltner(d, window, multiplier, atr_window):
    mid = ema_talib(d["close"], window)
    atr = atr_wilder(d["high"], d["low"], d["close"], atr_window)
    ok = ~np.isnan(mid) & ~np.isnan(atr)
    mid = np.where(ok, mid, NAN)
    return [mid + multiplier * atr, mid, mid - multiplier * atr]


def ref_donchian(d, window):
    up = window_apply(d["high"], window, np.max)
    lo = window_apply(d["low"], window, np.min)
    return [up, (up + lo) / 2, lo]


def ref_squeeze(d, bb_window, bb_mult, kc_window, kc_mult):
    h, lo, c = d["high"], d["low"], d["close"]
    basis = window_apply(c, bb_window, np.mean)
    dev = bb_mult * window_apply(c, bb_window, lambda w: np.std(w))
    kc_mid = window_apply(c, kc_window, np.mean)
    kc_range = window_apply(true_range(h, lo, c), kc_window, np.mean)
    ok = ~np.isnan(basis) & ~np.isnan(kc_range)
    inside = (basis - dev > kc_mid - kc_mult * kc_range) & (basis + dev < kc_mid + kc_mult * kc_range)
    on = np.where(ok, inside.astype(float), NAN)
    hh = window_apply(h, kc_window, np.max)
    ll = window_apply(lo, kc_window, np.min)
    src = c - ((hh + ll) / 2 + kc_mid) / 2
    x = np.arange(kc_window, dtype=float)

    def line_end(y):
        if kc_window == 1:
            return y[0]
        slope, intercept = np.polyfit(x, y, 1)
        return intercept + slope * (kc_window - 1)

    return [on, window_apply(src, kc_window, line_end)]


def ref_supertrend(d, window, multiplier):
    h, lo, c = d["high"], d["low"], d["close"]
    atr = atr_wilder(h, lo, c, window)
    st, direction = np.full(len(c), NAN), np.full(len(c), NAN)
    up_f = lo_f = None
    for i in range(len(c)):
        if np.isnan(atr[i]):
            continue
        mid = (h[i] + lo[i]) / 2
        up_b, lo_b = mid + multiplier * atr[i], mid - multiplier * atr[i]
        if up_f is None:
            up_f, lo_f, dirn = up_b, lo_b, -1.0
        else:
            up_f = up_b if (up_b < up_f or c[i - 1] > up_f) else up_f
            lo_f = lo_b if (lo_b > lo_f or c[i - 1] < lo_f) else lo_f
            if dirn < 0:
                dirn = 1.0 if c[i] > up_f else -1.0
            else:
                dirn = -1.0 if c[i] < lo_f else 1.0
        direction[i] = dirn
        st[i] = lo_f if dirn > 0 else up_f
    return [st, direction]


def shift(x: np.ndarray, k: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    if k < len(x):
        out[k:] = x[: len(x) - k]
    return out


def ref_ichimoku(d, tenkan, kijun, senkou):
    h, lo, c = d["high"], d["low"], d["close"]

    def mid(n):
        return (window_apply(h, n, np.max) + window_apply(lo, n, np.min)) / 2

    t, k = mid(tenkan), mid(kijun)
    return [t, k, shift((t + k) / 2, kijun), shift(mid(senkou), kijun), c.copy()]


CASES = [
    ("keltner", {}, ref_keltner, {"window": 20, "multiplier": 2.0, "atr_window": 10}),
    ("keltner", {"window": 5, "multiplier": 1.5, "atr_window": 14}, ref_keltner, None),
    ("keltner", {"window": 1, "multiplier": 0.0, "atr_window": 1}, ref_keltner, None),
    ("donchian", {}, ref_donchian, {"window": 20}),
    ("donchian", {"window": 1}, ref_donchian, None),
    ("squeeze", {}, ref_squeeze, {"bb_window": 20, "bb_mult": 2.0, "kc_window": 20, "kc_mult": 1.5}),
    ("squeeze", {"bb_window": 10, "bb_mult": 1.0, "kc_window": 7, "kc_mult": 2.5}, ref_squeeze, None),
    ("supertrend", {}, ref_supertrend, {"window": 10, "multiplier": 3.0}),
    ("supertrend", {"window": 3, "multiplier": 1.0}, ref_supertrend, None),
    ("ichimoku", {}, ref_ichimoku, {"tenkan": 9, "kijun": 26, "senkou": 52}),
    ("ichimoku", {"tenkan": 5, "kijun": 3, "senkou": 8}, ref_ichimoku, None),
]


@pytest.mark.parametrize("data", sorted(DATASETS))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}({','.join(f'{k}={v}' for k, v in c[1].items())})")
def test_channels_match_reference(case, data):
    name, params, ref, defaults = case
    ref_params = defaults if defaults is not None else params
    df = DATASETS[data]
    atol = 1e-6 if data == "walk-1e6" else 1e-9
    check_reference(
        name, params, lambda compact: ref(compact, **ref_params), df, f"{name}{params} on {data}", atol=atol
    )


def test_warm_up_rows():
    df = random_walk(200, 5)
    out = outputs(df, kf.keltner())
    assert [s.null_count() for s in out] == [19, 19, 19]  # max(window - 1, atr_window)
    out = outputs(df, kf.keltner(window=5, atr_window=14))
    assert [s.null_count() for s in out] == [14, 14, 14]
    assert [s.null_count() for s in outputs(df, kf.donchian())] == [19] * 3
    assert [s.null_count() for s in outputs(df, kf.squeeze())] == [20, 38]
    assert [s.null_count() for s in outputs(df, kf.supertrend())] == [10, 10]
    assert [s.null_count() for s in outputs(df, kf.ichimoku())] == [8, 25, 51, 77, 0]


def test_flags_and_directions_take_only_their_values():
    df = random_walk(3000, 9)
    on, _ = outputs(df, kf.squeeze(bb_window=20, kc_window=20))
    assert set(on.drop_nulls().unique().to_list()) == {0.0, 1.0}
    _, direction = outputs(df, kf.supertrend())
    assert set(direction.drop_nulls().unique().to_list()) == {-1.0, 1.0}


def test_supertrend_follows_the_trend():
    close = np.concatenate([np.linspace(100, 150, 100), np.linspace(150, 90, 100)])
    df = pl.DataFrame({"high": close + 1, "low": close - 1, "close": close})
    st, direction = outputs(df, kf.supertrend(window=10, multiplier=3.0))
    d = direction.to_numpy()
    assert (d[30:100] == 1).all() and (d[130:] == -1).all()
    s = st.to_numpy()
    assert (s[30:100] < close[30:100]).all() and (s[130:] > close[130:]).all()


def test_parameter_errors_name_the_parameter():
    with pytest.raises(ValueError, match="keltner: atr_window must be an integer >= 1, got 0"):
        kf.keltner(atr_window=0)
    with pytest.raises(ValueError, match="supertrend: multiplier must be >= 0"):
        kf.supertrend(multiplier=-1.0)
