"""Steady memory: public calls leave no reference cycles holding frames, and chained frame methods stay flat.

A cycle is freed only when Python's cyclic collector runs, which it schedules by object count, not bytes: a cycle
through a 100,000-row frame kept megabytes alive per call until then.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import polars as pl
import pytest

import polars_kimsfinance as kf


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    close = 100 + np.cumsum(np.random.default_rng(3).normal(size=2_000))
    return pl.DataFrame(
        {
            "symbol": ["A", "B"] * 1_000,
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": np.ones(2_000),
        }
    )


CALLS = {
    "frame methods chained": lambda df: df.kf.rsi(14).kf.macd(12, 26, 9),
    "lazy methods chained": lambda df: df.lazy().kf.rsi(14).kf.macd(12, 26, 9).collect(),
    "series methods chained": lambda df: df["close"].kf.sma(20).kf.rsi(3),
    "expression methods chained": lambda df: df.select(pl.col("close").kf.sma(20).kf.rsi(3)),
    "render with overlays and panels": lambda df: df.kf.render(
        width=300, height=200, overlays=["sma:20"], panels=["rsi:14"]
    ),
    "render_many": lambda df: kf.render_many([df, df], width=200, height=150),
    "render_by": lambda df: df.kf.render_by("symbol", width=200, height=150),
    "stream update": lambda df: df.kf.stream(kf.rsi("close", 14), by="symbol").update(df.tail(2)),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_call_leaves_no_cycle_holding_frames(name: str, frame: pl.DataFrame) -> None:
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector would free goes to gc.garbage instead
    try:
        for _ in range(3):
            CALLS[name](frame)
        gc.collect()
        cyclic = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == [], f"{name}: left {len(cyclic)} objects in reference cycles, e.g. {sorted(set(cyclic))[:8]}"


def test_intermediate_frame_of_a_chain_is_freed_at_once(frame: pl.DataFrame) -> None:
    gc.disable()
    try:
        middle = frame.kf.rsi(14)
        alive = weakref.ref(middle)
        middle.kf.macd(12, 26, 9)
        del middle
        assert alive() is None, "the frame between two chained kf calls outlived its last reference"
    finally:
        gc.enable()


def test_namespace_is_still_reachable_from_the_class() -> None:
    # Reading kf from the class gives the namespace class: help(pl.DataFrame.kf) and introspection keep working.
    assert pl.DataFrame.kf.__name__ == "DataFrameNamespace"
    assert pl.LazyFrame.kf.rsi.__doc__ and pl.Series.kf.sma.__doc__ and pl.Expr.kf.macd.__doc__


CHAIN = """
import numpy as np, polars as pl, polars_kimsfinance
close = 100 + np.cumsum(np.random.default_rng(0).normal(size=100_000))
df = pl.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": np.ones(100_000)})
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
for _ in range(200):
    df.kf.rsi(14).kf.macd(12, 26, 9)
base = peak = rss()
for _ in range(1_000):
    df.kf.rsi(14).kf.macd(12, 26, 9)
    peak = max(peak, rss())
print(peak - base)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_chained_frame_methods_keep_memory_flat() -> None:
    # In a fresh interpreter, so what this suite allocated before does not blur the reading.
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(CHAIN)], capture_output=True, text=True, check=True)
    grown = int(out.stdout.strip())
    assert grown < 20 * 2**20, f"1,000 chained calls on 100,000 rows grew RSS by {grown / 2**20:.1f} MB after warm-up"
