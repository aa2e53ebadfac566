"""16 Python threads at once: indicator queries, renders and statistics reads. No deadlock, outputs identical to
the same work done on one thread, and exact statistics: the threaded run counts exactly 16 times the calls, rows
and candles of one thread's work (counted by running that work alone first, so no count is assumed)."""

from __future__ import annotations

import threading

import polars as pl
import pytest
from reference import random_walk

import polars_kimsfinance as kf

THREADS, ROUNDS = 16, 3


def work(df: pl.DataFrame, chart: pl.DataFrame) -> list[object]:
    out: list[object] = []
    for _ in range(ROUNDS):
        out.append(df.select(kf.sma("close", 20), kf.rsi("close", 14).alias("rsi")))
        out.append(df.kf.macd(12, 26, 9).kf.atr(14))
        out.append(bytes(chart.kf.render("candle", width=320, height=200, theme="light")))
        kf.get_performance_stats()  # read while others record
    return out


def counts() -> tuple[int, dict[str, tuple[int, int]]]:
    s = kf.get_performance_stats()
    ops = {name: (op["calls"], op.get("rows", op.get("candles", 0))) for name, op in s["operations"].items()}
    return s["total_calls"], ops


@pytest.fixture()
def tracking():
    previous = kf.get_config()["performance_tracking"]
    kf.configure(performance_tracking=True)
    kf.reset_performance_stats()
    yield
    kf.reset_performance_stats()
    kf.configure(performance_tracking=previous)


def test_sixteen_threads_match_one_thread_exactly(tracking: None) -> None:
    df = random_walk(20_000, 5)
    chart = kf.sample_ohlcv(200, seed=2)
    expected = work(df, chart)
    one_total, one_ops = counts()
    assert one_total > 0
    kf.reset_performance_stats()

    results: list[list[object] | None] = [None] * THREADS
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(df, chart)
        except BaseException as e:  # reported below, with the thread's result missing
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread is still running: deadlock?"
    assert not errors, errors
    for got in results:
        assert got is not None
        for a, b in zip(got, expected):
            if isinstance(a, pl.DataFrame):
                assert isinstance(b, pl.DataFrame) and a.equals(b)
            else:
                assert a == b
    total, ops = counts()
    assert total == THREADS * one_total
    for name, (calls, rows) in one_ops.items():
        assert ops[name] == (THREADS * calls, THREADS * rows), name
