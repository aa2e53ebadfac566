"""Prices whose range overflows a float (1e308 both ways, high = f64::MAX with low = 0, Heikin-Ashi's mean of
prices near f64::MAX) still draw their candles: the scale is computed on halved values and the padded range kept
finite. Before, the span was inf, every pixel row NaN, and the price panel silently blank. Pixels are probed."""

from __future__ import annotations

import sys
from datetime import datetime

import numpy as np
import polars as pl
import pytest

import polars_kimsfinance as kf

W, H = 480, 270
UP = (0x26, 0xA6, 0x9A)  # the modern theme's rising colour
DOWN = (0xEF, 0x53, 0x50)
MAX = sys.float_info.max


def frame(rows: list[tuple[float, float, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": [datetime(2024, 1, 1 + i) for i in range(len(rows))],
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
        }
    )


def coloured(px: np.ndarray, rgb: tuple[int, int, int]) -> int:
    return int((np.abs(px[..., :3].astype(int) - np.array(rgb)) <= 2).all(axis=-1).sum())


CASES = {
    # rising and falling candles spanning -1e308 .. 1e308
    "plus-minus-1e308": [(-1e308, 1e308, -1e308, 1e308), (1e308, 1e308, -1e308, -1e308)] * 6,
    # high at the largest float, low at 0
    "max-and-zero": [(MAX / 4, MAX, 0.0, MAX / 2), (MAX / 2, MAX, 0.0, MAX / 4)] * 6,
    "near-max": [(1e308, 1.7e308, 9e307, 1.6e308), (1.6e308, 1.7e308, 9e307, 1e308)] * 6,
}


@pytest.mark.parametrize("kind", ["candle", "heikin_ashi", "ohlc"])
@pytest.mark.parametrize("case", list(CASES))
def test_overflowing_price_ranges_are_drawn(kind: str, case: str) -> None:
    df = frame(CASES[case])
    px = df.kf.render(kind, width=W, height=H, volume=False, theme="modern").to_numpy()
    # Both directions appear for candles and bars; Heikin-Ashi may smooth them into one colour, but draws.
    drawn = coloured(px, UP) + coloured(px, DOWN)
    assert drawn > 100, f"{kind} {case}: price panel blank ({drawn} coloured pixels)"
    if kind == "candle":
        assert coloured(px, UP) > 50 and coloured(px, DOWN) > 50


def test_heikin_ashi_of_prices_near_max_is_finite() -> None:
    df = frame(CASES["near-max"])
    ha = df.select(kf.heikin_ashi().alias("ha")).unnest("ha")
    for name in ha.columns:
        assert ha[name].is_finite().all(), name
    # The same bits as (o + h + l + c) / 4 where that does not overflow.
    small = frame([(1.0, 3.0, 0.5, 2.0), (2.0, 2.5, 1.5, 1.75)])
    got = small.select(kf.heikin_ashi().alias("ha")).unnest("ha")["ha_close"].to_list()
    assert got == [(1.0 + 3.0 + 0.5 + 2.0) / 4, (2.0 + 2.5 + 1.5 + 1.75) / 4]


def test_huge_tick_labels_are_scientific() -> None:
    svg = frame(CASES["plus-minus-1e308"]).kf.render(width=W, height=H, volume=False, format="svg")
    svg = bytes(svg).decode()
    assert "e307" in svg or "e308" in svg
    assert "0" * 30 not in svg  # no 309-digit label
