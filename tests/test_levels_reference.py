"""Pivot points, swing highs/lows and Heikin-Ashi against plain numpy float64 references written here, on real data
and on random walks with missing bars (compared on the compacted series), including the warm-up rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference import check_reference, kf, outputs, random_walk, reference_datasets

DATASETS = reference_datasets()
NAN = np.nan


def ref_pivots(d):
    h, lo, c = (np.concatenate([[NAN], d[k][:-1]]) for k in ("high", "low", "close"))
    pp = (h + lo + c) / 3
    return [pp, 2 * pp - lo, pp + (h - lo), h + 2 * (pp - lo), 2 * pp - h, pp - (h - lo), lo - 2 * (h - pp)]


def ref_swing(values: np.ndarray, left: int, right: int, sign: float) -> list[np.ndarray]:
    x = sign * values
    out = np.full(len(x), NAN)
    for i in range(left + right, len(x)):
        centre = i - right
        others = np.concatenate([x[centre - left : centre], x[centre + 1 : i + 1]])
        out[i] = 1.0 if (others < x[centre]).all() else 0.0
    return [out]


def ref_heikin_ashi(d):
    o, h, lo, c = d["open"], d["high"], d["low"], d["close"]
    ha_close = (o + h + lo + c) / 4
    ha_open = np.empty(len(o))
    if len(o):
        ha_open[0] = (o[0] + c[0]) / 2
    for i in range(1, len(o)):
        ha_open[i] = (ha_open[i - 1] + ha_close[i - 1]) / 2
    return [ha_open, np.maximum.reduce([h, ha_open, ha_close]), np.minimum.reduce([lo, ha_open, ha_close]), ha_close]


CASES = [
    ("pivot_points", {}, ref_pivots),
    ("swing_highs", {}, lambda d: ref_swing(d["high"], 2, 2, 1.0)),
    ("swing_highs", {"left": 5, "right": 1}, lambda d: ref_swing(d["high"], 5, 1, 1.0)),
    ("swing_highs", {"left": 0, "right": 3}, lambda d: ref_swing(d["high"], 0, 3, 1.0)),
    ("swing_lows", {}, lambda d: ref_swing(d["low"], 2, 2, -1.0)),
    ("swing_lows", {"left": 3, "right": 4}, lambda d: ref_swing(d["low"], 3, 4, -1.0)),
    ("heikin_ashi", {}, ref_heikin_ashi),
]


@pytest.mark.parametrize("data", sorted(DATASETS))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}({','.join(f'{k}={v}' for k, v in c[1].items())})")
def test_levels_match_reference(case, data):
    name, params, ref = case
    atol = 1e-6 if data == "walk-1e6" else 1e-9
    check_reference(name, params, ref, DATASETS[data], f"{name}{params} on {data}", atol=atol)


def test_warm_up_rows():
    df = random_walk(50, 2)
    assert [s.null_count() for s in outputs(df, kf.pivot_points())] == [1] * 7
    assert outputs(df, kf.swing_highs())[0].null_count() == 4
    assert outputs(df, kf.swing_lows(left=3, right=1))[0].null_count() == 4
    assert [s.null_count() for s in outputs(df, kf.heikin_ashi())] == [0] * 4


def test_swings_are_reported_right_bars_after_the_swing_bar():
    high = [1.0, 2.0, 5.0, 2.0, 1.0, 1.0, 3.0, 3.0, 1.0, 0.0]
    df = pl.DataFrame({"high": high, "low": [h - 1 for h in high]})
    flags = outputs(df, kf.swing_highs(left=2, right=2))[0].to_list()
    # bar 2 (5.0) confirmed at row 4; the tie at bars 6/7 is no swing
    assert flags == [None, None, None, None, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    # shifting back by `right` marks the swing bar itself
    assert pl.Series(flags).shift(-2).to_list()[2] == 1.0
    lows = outputs(df, kf.swing_lows(left=2, right=2))[0].to_list()
    assert lows == [None, None, None, None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_frame_method_names_columns():
    df = random_walk(30, 1)
    out = df.kf.swing_highs(left=3, right=1)
    assert "swing_highs_3_1" in out.columns
    assert {"ha_open", "ha_high", "ha_low", "ha_close"} <= set(df.kf.heikin_ashi().columns)
    assert {"pp", "r1", "r2", "r3", "s1", "s2", "s3"} <= set(df.kf.pivot_points().columns)


def test_parameter_errors_name_the_parameter():
    with pytest.raises(ValueError, match="swing_lows: right must be an integer >= 0, got -1"):
        kf.swing_lows(right=-1)
