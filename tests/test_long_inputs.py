"""Inputs long enough to be split across threads (the kernels' driver cuts columns of 2M+ rows into parts of 1M+
rows): results still equal TA-Lib with missing bars, and do not depend on how the column is chunked or which
engine collects it."""

from __future__ import annotations

import os
import signal

import numpy as np
import polars as pl
import pytest
from reference import collect_streaming, with_missing
from test_talib import CASES

ROWS = 3_300_000  # three parts
# The kernels that start mid-series (Kernel::restart in Rust); the others run as one part at any length.
SPLIT = {
    "sma",
    "rolling_mean",
    "rolling_max",
    "rolling_min",
    "ema",
    "dema",
    "tema",
    "wma",
    "rsi",
    "cmo",
    "macd",
    "stoch",
    "true_range",
    "atr",
    "natr",
    "bbands",
    "stddev",
}
SPLIT_CASES = [c for c in CASES if c.name in SPLIT]


def wandering_bars(n: int, seed: int) -> pl.DataFrame:
    """OHLCV bars whose log price is a random walk minus its own 5,000-bar moving average: as rough as a plain
    walk bar to bar, but over millions of bars the level stays within a few times 100. (A plain walk that long
    drifts over many orders of magnitude, where TA-Lib's never re-summed running sums lose every digit.)"""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(0, 0.01, n))
    sums = np.concatenate([[0.0], np.cumsum(walk)])
    window = 5000
    starts = np.maximum(np.arange(1, n + 1) - window, 0)
    trend = (sums[1:] - sums[starts]) / (np.arange(1, n + 1) - starts)
    close = 100 * np.exp(walk - trend)
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.002, n))
    spread = np.abs(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    volume = np.floor(rng.lognormal(13, 0.5, n)) + 1
    return pl.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume})


@pytest.fixture(scope="module")
def long_frame() -> pl.DataFrame:
    df = wandering_bars(ROWS, 5)
    assert 1 < df["close"].min() and df["close"].max() < 1e4
    return with_missing(df, 5, fraction=0.01)


def test_every_splitting_kernel_has_a_case():
    assert {c.name for c in SPLIT_CASES} == SPLIT


@pytest.mark.parametrize("case", SPLIT_CASES, ids=lambda c: c.id)
def test_long_series_equal_talib(case, long_frame):
    case.check(long_frame, f"on {ROWS:,} rows")


@pytest.mark.parametrize("name", ["ema", "macd", "bbands", "stoch", "atr"])
def test_chunking_and_engine_do_not_change_a_bit(name, long_frame):
    case = next(c for c in SPLIT_CASES if c.name == name)
    whole = long_frame.rechunk()
    cuts = [0, 1, 999_999, 1_000_001, 2_500_000, ROWS]
    chunked = pl.concat([whole.slice(a, b - a) for a, b in zip(cuts, cuts[1:])], rechunk=False)
    assert chunked.n_chunks() > 1
    expected = whole.select(case.expr().alias("out"))
    for got in (
        chunked.select(case.expr().alias("out")),
        collect_streaming(chunked.lazy().select(case.expr().alias("out"))),
    ):
        assert got.equals(expected), name


def test_long_groups_over_equal_each_group_alone(long_frame):
    # Two groups of 1.65M rows, interleaved in blocks so each group's rows are scattered through the frame.
    df = long_frame.with_columns((pl.int_range(pl.len()) // 100_000 % 2).alias("g"))
    got = df.select(pl.col("close").kf.rsi(14).over("g").alias("out"))["out"]
    for g in (0, 1):
        part = df.filter(pl.col("g") == g)
        alone = part.select(pl.col("close").kf.rsi(14).alias("out"))["out"]
        assert got.filter(df["g"] == g).equals(alone)


def test_indicators_computed_together_equal_each_alone(long_frame):
    # One with_columns: Polars may run the expressions at once, and their parts share the extension's one pool.
    names = ["ema", "rsi", "macd", "bbands", "stoch", "atr", "sma", "natr"]
    exprs = {name: next(c for c in SPLIT_CASES if c.name == name).expr() for name in names}
    together = long_frame.with_columns(**exprs)
    for name, expr in exprs.items():
        assert together[name].equals(long_frame.select(expr.alias(name))[name]), name


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_long_columns_in_a_forked_child(long_frame):
    """The pool's threads do not survive a fork: a child must build its own pool and give the same bits, rather than
    queue parts for threads that do not exist and wait for them for ever."""
    expr = next(c for c in SPLIT_CASES if c.name == "bbands").expr().alias("out")
    expected = long_frame.select(expr)  # the pool is started in this process
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return into pytest
        code = 1
        try:
            signal.alarm(600)  # a hang ends the child (status from SIGALRM) instead of the test run
            code = 0 if long_frame.select(expr).equals(expected) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "2: different bits in the child, -14: it hung"
