"""Chaikin money flow, force index, ease of movement and VWAP (cumulative and anchored) against plain numpy float64
references written here, on real data and on random walks with missing bars, including the warm-up rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference import check_reference, kf, outputs, random_walk, reference_datasets, valid_rows

DATASETS = reference_datasets(50_000)
NAN = np.nan


def mfv(h, lo, c, v):
    rng = h - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rng > 0, ((c - lo) - (h - c)) / rng * v, 0.0)


def rolling_sum(x, n):
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        out[i] = x[i - n + 1 : i + 1].sum()
    return out


def ref_cmf(d, window):
    flow = rolling_sum(mfv(d["high"], d["low"], d["close"], d["volume"]), window)
    vol = rolling_sum(d["volume"], window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return [np.where(vol != 0, flow / vol, np.where(np.isnan(vol), NAN, 0.0))]


def ref_force_index(d, window):
    c, v = d["close"], d["volume"]
    raw = (c[1:] - c[:-1]) * v[1:]
    out = np.full(len(c), NAN)
    if len(raw) >= window:
        e = raw[:window].mean()
        out[window] = e
        alpha = 2.0 / (window + 1)
        for i in range(window, len(raw)):
            e = e + alpha * (raw[i] - e)
            out[i + 1] = e
    return [out]


def ref_emv(d, window, scale):
    h, lo, v = d["high"], d["low"], d["volume"]
    mid = (h + lo) / 2
    raw = np.full(len(h), NAN)
    for i in range(1, len(h)):
        if v[i] == 0 or h[i] == lo[i]:
            raw[i] = 0.0
        else:
            raw[i] = (mid[i] - mid[i - 1]) / ((v[i] / scale) / (h[i] - lo[i]))
    out = np.full(len(h), NAN)
    for i in range(window, len(h)):
        out[i] = raw[i - window + 1 : i + 1].mean()
    return [out]


def ref_vwap(d, bands, session=None):
    tp = (d["high"] + d["low"] + d["close"]) / 3
    v = d["volume"]
    n = len(tp)
    out = [np.full(n, NAN) for _ in range(3)]
    start = 0
    for i in range(n):
        if session is not None and i > 0 and session[i] != session[i - 1]:
            start = i
        w, x = v[start : i + 1], tp[start : i + 1]
        total = w.sum()
        if total == 0:
            continue
        mean = (w * x).sum() / total
        sigma = np.sqrt((w * (x - mean) ** 2).sum() / total)
        out[0][i], out[1][i], out[2][i] = mean, mean + bands * sigma, mean - bands * sigma
    return out


def ref_vwap_anchored(d, bands):
    return ref_vwap(d, bands, d["session"])


def with_sessions(df: pl.DataFrame, length: int = 37) -> pl.DataFrame:
    """Adds a ``session`` key column that changes every ``length`` rows, with a few nulls (missing bars), some of
    them on a session's first row."""
    key = pl.Series("session", (np.arange(df.height) // length).astype(float))
    row = pl.int_range(pl.len())
    missing = (row % 101 == 50) | (row % (length * 5) == length)
    return df.with_columns(pl.when(missing).then(None).otherwise(key).alias("session"))


CASES = [
    ("cmf", {"window": 20}, ref_cmf, {"window": 20}),
    ("cmf", {"window": 3}, ref_cmf, {"window": 3}),
    ("force_index", {}, ref_force_index, {"window": 13}),
    ("force_index", {"window": 1}, ref_force_index, {"window": 1}),
    ("emv", {}, ref_emv, {"window": 14, "scale": 1e8}),
    ("emv", {"window": 3, "scale": 1e4}, ref_emv, {"window": 3, "scale": 1e4}),
    ("vwap", {}, ref_vwap, {"bands": 1.0}),
    ("vwap", {"bands": 2.5}, ref_vwap, {"bands": 2.5}),
    ("vwap_anchored", {"bands": 2.0}, ref_vwap_anchored, {"bands": 2.0}),
]


@pytest.mark.parametrize("data", sorted(DATASETS))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}({','.join(f'{k}={v}' for k, v in c[1].items())})")
def test_volume_indicators_match_reference(case, data):
    name, params, ref, ref_params = case
    ind = kf.BY_NAME[name]
    df = DATASETS[data]
    if name == "vwap_anchored":
        df = with_sessions(df)
    if name == "vwap" and data == "walk-1e6":
        df = df.head(5000)  # the reference is quadratic
    # a bar's value can be a difference of nearly equal large numbers: absolute tolerance scaled to the data
    atol = 1e-9 if data != "walk-1e6" else 1e-6
    if name in ("force_index", "emv") or (name == "cmf" and data == "walk-1e6"):
        ok = valid_rows(df, ind.inputs)
        expected = ref({k: df[k].cast(pl.Float64).to_numpy()[ok] for k in ind.inputs}, **ref_params)[0]
        atol = max(atol, 1e-12 * float(np.nanmax(np.abs(expected), initial=0.0)))
    check_reference(
        name, params, lambda compact: ref(compact, **ref_params), df, f"{name}{params} on {data}", atol=atol
    )


def test_warm_up_rows():
    df = random_walk(100, 4)
    assert outputs(df, kf.cmf())[0].null_count() == 19
    assert outputs(df, kf.force_index())[0].null_count() == 13
    assert outputs(df, kf.emv())[0].null_count() == 14
    assert [s.null_count() for s in outputs(df, kf.vwap())] == [0, 0, 0]
    assert outputs(df, kf.ad())[0].null_count() == 0
    assert outputs(df, kf.adosc())[0].null_count() == 9


def test_zero_volume_gives_zero_or_no_value_never_nan():
    df = random_walk(50, 6).with_columns(pl.lit(0.0).alias("volume"))
    for expr in (kf.cmf(window=5), kf.emv(window=5), kf.force_index(window=5), kf.ad(), kf.adosc()):
        s = outputs(df, expr)[0]
        assert s.is_nan().sum() == 0
        assert (s.drop_nulls() == 0).all()
    assert all(s.null_count() == 50 for s in outputs(df, kf.vwap()))


def test_vwap_anchored_equals_vwap_over_sessions():
    df = random_walk(500, 8).with_columns((pl.int_range(pl.len()) // 60).alias("day"))
    anchored = df.select(kf.vwap_anchored(session="day").alias("a")).unnest("a")
    over = df.select(kf.vwap().over("day").alias("a")).unnest("a")
    for name in ("vwap", "vwap_upper", "vwap_lower"):
        np.testing.assert_allclose(anchored[name].to_numpy(), over[name].to_numpy(), rtol=1e-12)


def test_vwap_anchored_on_a_date_key():
    ts = pl.datetime_range(pl.datetime(2024, 1, 1, 9), pl.datetime(2024, 1, 3, 17), "1h", eager=True)
    df = random_walk(ts.len(), 3).with_columns(ts.alias("ts"))
    out = df.select(kf.vwap_anchored(session=pl.col("ts").dt.date().to_physical()).alias("a")).unnest("a")
    first_of_day = (df["ts"].dt.date() != df["ts"].dt.date().shift()).fill_null(True)
    tp = (df["high"] + df["low"] + df["close"]) / 3
    np.testing.assert_allclose(out["vwap"].filter(first_of_day).to_numpy(), tp.filter(first_of_day).to_numpy())


def test_adosc_rejects_periods_below_two():
    with pytest.raises(ValueError, match="adosc: fastperiod must be an integer >= 2, got 1"):
        kf.adosc(fastperiod=1)
