"""Momentum oscillators beyond the shared TA-Lib tests: TA-Lib on edge-case prices (flat, zero, stepped, tiny) where
the zero-denominator rules show, independent numpy references for periods below TA-Lib's minimums, parameter
validation, and the DataFrame namespace."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from cases_momentum import CASES
from reference import check_missing_rule, kf, outputs, random_walk, with_missing

N = 300


def _frame(close, open_=None, high=None, low=None, volume=None) -> pl.DataFrame:
    close = np.asarray(close, dtype=np.float64)
    open_ = close if open_ is None else open_
    high = np.maximum(open_, close) if high is None else high
    low = np.minimum(open_, close) if low is None else low
    volume = np.full(close.size, 1000.0) if volume is None else volume
    return pl.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume})


def _stepped(seed: int) -> pl.DataFrame:
    """Prices on a coarse grid: many unchanged closes, bars with high == low and windows with a zero range."""
    rng = np.random.default_rng(seed)
    close = 20.0 + np.cumsum(rng.choice([-1.0, 0.0, 0.0, 0.0, 1.0], N))
    open_ = np.concatenate([[close[0]], close[:-1]])
    volume = rng.choice([0.0, 100.0, 250.0], N)
    return _frame(close, open_, volume=volume)


def _decimal(seed: int, base: float, tick: float) -> pl.DataFrame:
    """Decimal prices on a tick grid with flat runs: equal values reached by different sums differ in their last bits,
    which is where TA-Lib's relative zero tolerance decides."""
    rng = np.random.default_rng(seed)
    close = np.round(base / tick + np.cumsum(rng.choice([-1, 0, 0, 0, 0, 1], N))) * tick
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + tick * rng.choice([0, 0, 1], N)
    low = np.minimum(open_, close) - tick * rng.choice([0, 0, 1], N)
    return _frame(close, open_, high, low, np.round(rng.choice([0.0, 0.1, 0.3], N), 1))


EDGE_FRAMES = {
    "flat": _frame(np.full(N, 5.0)),
    "zeros": _frame(np.zeros(N), volume=np.zeros(N)),
    "flat_then_moving": _frame(np.concatenate([np.full(N // 2, 7.0), 7.0 + np.sin(np.arange(N - N // 2))])),
    "stepped": _stepped(1),
    "stepped_missing": with_missing(_stepped(2), 2, fraction=0.1),
    "decimal_1.1": _decimal(5, 1.1, 0.1),
    "decimal_0.0093": _decimal(6, 0.0093, 1e-6),
    "decimal_151.3": _decimal(7, 151.3, 0.01),
    # slow averages below TA-Lib's 1e-14 zero tolerance (PPO reports 0 there) but ranges far from exact zero
    "tiny": random_walk(N, 3, level=1e-15),
    "tiny_1e-13": random_walk(N, 4, level=1e-13),
}


@pytest.mark.parametrize("frame", sorted(EDGE_FRAMES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_equals_talib_on_edge_case_prices(case, frame):
    df = EDGE_FRAMES[frame]
    case.check(df, f"on {frame}")


def test_flat_prices_give_zero_not_nan():
    df = EDGE_FRAMES["flat"]
    exprs = {
        "stoch": kf.stoch(),
        "stochf": kf.stochf(),
        "stochrsi": kf.stochrsi(),
        "willr": kf.willr(),
        "cci": kf.cci(),
        "roc": kf.roc(),
        "cmo": kf.cmo(),
        "ppo": kf.ppo(),
        "trix": kf.trix(),
        "bop": kf.bop(),
        "mfi": kf.mfi(),
        "ultosc": kf.ultosc(),
        "rsi": kf.rsi(),
        "macd": kf.macd(),
    }
    for name, expr in exprs.items():
        for s in outputs(df, expr):
            assert s.drop_nulls().len() > 0 and (s.drop_nulls() == 0).all(), name


# ---- independent float64 references, for periods TA-Lib refuses (it wants >= 2 for these) --------------------------


def _ema(x: np.ndarray, n: int, start: int = 0) -> np.ndarray:
    """EMA with alpha 2 / (n + 1) whose SMA seed covers x[start : start + n]."""
    out = np.full(x.size, np.nan)
    if x.size < start + n:
        return out
    alpha = 2.0 / (n + 1.0)
    value = x[start : start + n].mean()
    out[start + n - 1] = value
    for i in range(start + n, x.size):
        value = value + alpha * (x[i] - value)
        out[i] = value
    return out


def _sma(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    for i in range(n - 1, x.size):
        out[i] = x[i + 1 - n : i + 1].mean()
    return out


def _wilder(x: np.ndarray, n: int) -> np.ndarray:
    """Wilder smoothing of x[1:] (x[0] is no change), seeded with the mean of the first n."""
    out = np.full(x.size, np.nan)
    if x.size <= n:
        return out
    value = x[1 : n + 1].mean()
    out[n] = value
    for i in range(n + 1, x.size):
        value = (value * (n - 1) + x[i]) / n
        out[i] = value
    return out


def ref_macd(c, fast, slow, signal):
    line = _ema(c, fast, slow - fast) - _ema(c, slow)
    sig = np.full(c.size, np.nan)
    start = slow - 1
    sig[start:] = _ema(line[start:], signal)
    line = np.where(np.isnan(sig), np.nan, line)
    return [line, sig, line - sig]


def ref_price_oscillator(c, fast, slow, matype, percent):
    f, s = (_sma(c, fast), _sma(c, slow)) if matype == 0 else (_ema(c, fast), _ema(c, slow))
    if not percent:
        return [f - s]
    with np.errstate(divide="ignore", invalid="ignore"):
        return [np.where(np.abs(s) < 1e-14, np.where(np.isnan(s), np.nan, 0.0), (f - s) / s * 100.0)]


def ref_cmo(c, n):
    change = np.diff(c, prepend=np.nan)
    up, down = _wilder(np.maximum(change, 0.0), n), _wilder(np.maximum(-change, 0.0), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return [np.where(up + down == 0, 0.0, 100.0 * (up - down) / (up + down))]


def ref_willr(h, lo, c, n):
    out = np.full(c.size, np.nan)
    for i in range(n - 1, c.size):
        hh, ll = h[i + 1 - n : i + 1].max(), lo[i + 1 - n : i + 1].min()
        out[i] = -100.0 * (hh - c[i]) / (hh - ll) if hh != ll else 0.0
    return [out]


def ref_cci(h, lo, c, n):
    tp = (h + lo + c) / 3.0
    out = np.full(c.size, np.nan)
    for i in range(n - 1, c.size):
        w = tp[i + 1 - n : i + 1]
        mad = np.abs(w - w.mean()).mean()
        out[i] = (tp[i] - w.mean()) / (0.015 * mad) if mad != 0 else 0.0
    return [out]


def ref_mfi(h, lo, c, v, n):
    tp = (h + lo + c) / 3.0
    flow = tp * v
    up = np.where(np.diff(tp, prepend=np.inf) > 0, flow, 0.0)
    down = np.where(np.diff(tp, prepend=-np.inf) < 0, flow, 0.0)
    out = np.full(c.size, np.nan)
    for i in range(n, c.size):
        u, d = up[i + 1 - n : i + 1].sum(), down[i + 1 - n : i + 1].sum()
        out[i] = 100.0 * u / (u + d) if u + d != 0 else 0.0
    return [out]


REFERENCE_CASES = [
    ("macd", {"fastperiod": 1, "slowperiod": 3, "signalperiod": 1}, lambda d: ref_macd(d["close"], 1, 3, 1)),
    ("macd", {"fastperiod": 1, "slowperiod": 6, "signalperiod": 3}, lambda d: ref_macd(d["close"], 1, 6, 3)),
    ("macd", {"fastperiod": 4, "slowperiod": 9, "signalperiod": 3}, lambda d: ref_macd(d["close"], 4, 9, 3)),
    ("ppo", {"fastperiod": 1, "slowperiod": 4, "matype": 0}, lambda d: ref_price_oscillator(d["close"], 1, 4, 0, True)),
    ("ppo", {"fastperiod": 1, "slowperiod": 4, "matype": 1}, lambda d: ref_price_oscillator(d["close"], 1, 4, 1, True)),
    (
        "apo",
        {"fastperiod": 1, "slowperiod": 1, "matype": 1},
        lambda d: ref_price_oscillator(d["close"], 1, 1, 1, False),
    ),
    (
        "apo",
        {"fastperiod": 3, "slowperiod": 7, "matype": 1},
        lambda d: ref_price_oscillator(d["close"], 3, 7, 1, False),
    ),
    ("cmo", {"window": 1}, lambda d: ref_cmo(d["close"], 1)),
    ("cmo", {"window": 6}, lambda d: ref_cmo(d["close"], 6)),
    ("willr", {"window": 1}, lambda d: ref_willr(d["high"], d["low"], d["close"], 1)),
    ("willr", {"window": 4}, lambda d: ref_willr(d["high"], d["low"], d["close"], 4)),
    ("cci", {"window": 1}, lambda d: ref_cci(d["high"], d["low"], d["close"], 1)),
    ("cci", {"window": 4}, lambda d: ref_cci(d["high"], d["low"], d["close"], 4)),
    ("mfi", {"window": 1}, lambda d: ref_mfi(d["high"], d["low"], d["close"], d["volume"], 1)),
    ("mfi", {"window": 4}, lambda d: ref_mfi(d["high"], d["low"], d["close"], d["volume"], 4)),
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    ("name", "params", "ref"), REFERENCE_CASES, ids=[f"{n}{sorted(p.values())}" for n, p, _ in REFERENCE_CASES]
)
def test_matches_numpy_reference_with_missing_bars(name, params, ref, seed):
    df = with_missing(random_walk(800, seed), seed, fraction=0.08)
    ind = kf.BY_NAME[name]
    check_missing_rule(lambda d: outputs(d, kf.FUNCTIONS[name](**params)), ref, df, ind.inputs, f"{name}{params}")


@pytest.mark.parametrize(("name", "params", "ref"), REFERENCE_CASES[:3] + REFERENCE_CASES[7:9])
def test_matches_numpy_reference_on_stepped_prices(name, params, ref):
    df = EDGE_FRAMES["stepped"]
    ind = kf.BY_NAME[name]
    check_missing_rule(lambda d: outputs(d, kf.FUNCTIONS[name](**params)), ref, df, ind.inputs, f"{name}{params}")


# ---- parameters ----------------------------------------------------------------------------------------------------

WINDOW_PARAMS = {
    "rsi": ["window"],
    "willr": ["window"],
    "cci": ["window"],
    "roc": ["window"],
    "mom": ["window"],
    "cmo": ["window"],
    "trix": ["window"],
    "mfi": ["window"],
    "macd": ["fastperiod", "slowperiod", "signalperiod"],
    "ppo": ["fastperiod", "slowperiod"],
    "apo": ["fastperiod", "slowperiod"],
    "stoch": ["fastk_period", "slowk_period", "slowd_period"],
    "stochf": ["fastk_period", "fastd_period"],
    "stochrsi": ["window", "fastk_period", "fastd_period"],
    "ultosc": ["timeperiod1", "timeperiod2", "timeperiod3"],
}


@pytest.mark.parametrize("bad", [0, -3, 2.5, float("nan"), float("inf")])
@pytest.mark.parametrize(("name", "param"), [(n, p) for n, ps in WINDOW_PARAMS.items() for p in ps])
def test_invalid_periods_raise_value_error_naming_the_parameter(name, param, bad):
    with pytest.raises(ValueError, match=rf"^{name}: {param} must be"):
        kf.FUNCTIONS[name](**{param: bad})


@pytest.mark.parametrize("name", ["macd", "ppo", "apo"])
def test_slow_period_below_fast_is_refused(name):
    with pytest.raises(ValueError, match=rf"^{name}: slowperiod must be >= fastperiod \(12\), got 5"):
        kf.FUNCTIONS[name](fastperiod=12, slowperiod=5)
    kf.FUNCTIONS[name](fastperiod=5, slowperiod=5)  # equal periods are fine


@pytest.mark.parametrize("name", ["ppo", "apo"])
@pytest.mark.parametrize("matype", [2, 8, -1, 0.5])
def test_matype_other_than_sma_or_ema_is_refused(name, matype):
    with pytest.raises(ValueError, match=rf"^{name}: matype must be"):
        kf.FUNCTIONS[name]("close", 12, 26, matype)


def test_periods_are_positional_in_talib_order():
    df = random_walk(200, 5)
    by_position = df.select(kf.macd("close", 5, 13, 4)).unnest("close")
    by_name = df.select(kf.macd(signalperiod=4, slowperiod=13, fastperiod=5)).unnest("close")
    assert by_position.equals(by_name)
    method = df.kf.macd(5, 13, 4)
    assert method.select("macd", "macd_signal", "macd_hist").equals(by_name)
    assert (
        df.kf.ppo(3, 7, 0)
        .select("ppo_3_7")
        .to_series()
        .equals(df.select(kf.ppo("close", fastperiod=3, slowperiod=7, matype=0))["close"], check_names=False)
    )
    assert "ultosc_7_14_28" in df.kf.ultosc().columns
    assert {"stoch_k", "stoch_d", "stochf_k", "stochf_d", "stochrsi_k", "stochrsi_d"} <= set(
        df.kf.stoch().kf.stochf().kf.stochrsi().columns
    )


def test_bop_reads_open_high_low_close():
    df = pl.DataFrame({"O": [1.0, 2.0, 3.0], "H": [3.0, 2.0, 4.0], "L": [1.0, 2.0, 2.0], "C": [2.5, 2.0, 2.0]})
    got = df.kf.bop(open="O", high="H", low="L", close="C")["bop"].to_list()
    assert got == [0.75, 0.0, -0.5]
