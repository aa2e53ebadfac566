"""The infinity rule, for every catalogue entry: a bar with +-inf in any input is a missing bar, exactly like null
or NaN (README "Missing bars", docs/engine.md). Its output row is null, the kernel never sees it, and every other
row equals the indicator computed on the series with that bar removed: the infinity leaves no trace once it has
left the window (before, ``sma(20)`` stayed null for thousands of rows, since ``inf - inf`` is NaN, and rolling
deviations gave 0.0).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference import outputs, random_walk

import polars_kimsfinance as kf

ENTRIES = list(kf.CATALOGUE)
ROWS, AT = 5_000, 50


def _expr(ind):
    return kf.FUNCTIONS[ind.name](**ind.example_params)


@pytest.fixture(scope="module")
def series() -> pl.DataFrame:
    return random_walk(ROWS, 23).with_columns(session=pl.int_range(pl.len()) // 500)


CASES = [
    (ind, column, sign)
    for ind in ENTRIES
    for column in ind.inputs
    if column != "session"
    for sign in ((1.0, -1.0) if column == ind.primary else (1.0,))
]


@pytest.mark.parametrize(
    ("ind", "column", "sign"),
    CASES,
    ids=[f"{ind.name}-{column}-{'+' if sign > 0 else '-'}inf" for ind, column, sign in CASES],
)
def test_one_infinite_bar_is_a_missing_bar(ind, column: str, sign: float, series: pl.DataFrame) -> None:
    values = series[column].to_numpy().copy()
    values[AT] = sign * np.inf
    poisoned = series.with_columns(pl.Series(column, values))
    ours = outputs(poisoned, _expr(ind))
    removed = outputs(series.filter(pl.int_range(pl.len()) != AT), _expr(ind))
    for got, want in zip(ours, removed):
        assert got[AT] is None, f"{ind.name}: the infinite bar's row is not null"
        expected = pl.concat([want.head(AT), pl.Series([None], dtype=want.dtype), want.slice(AT)])
        assert got.is_nan().sum() == 0 and got.is_infinite().sum() == 0
        # The same valid bars in the same order: the same bits, and the outputs recover after the window.
        assert got.equals(expected), f"{ind.name}: differs first at row {_first_difference(got, expected)}"
        assert got.slice(AT + 1000).null_count() == 0


def _first_difference(a: pl.Series, b: pl.Series) -> int:
    x, y = a.fill_null(np.nan).to_numpy(), b.fill_null(np.nan).to_numpy()
    same = (x == y) | (np.isnan(x) & np.isnan(y))
    return int(np.flatnonzero(~same)[0]) if (~same).any() else -1


def test_sma_recovers_right_after_the_window() -> None:
    close = np.linspace(1.0, 2.0, ROWS)
    close[AT] = np.inf
    out = pl.DataFrame({"close": close}).kf.sma(20)["sma_20"]
    # Null for the warm-up and the infinite bar only: 19 + 1 rows.
    assert out.null_count() == 20
