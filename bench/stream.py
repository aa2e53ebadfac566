"""Live streams side by side in one process: 5,000 symbols primed with 1,000 bars each, rsi(14) + macd(12, 26, 9) +
atr(14) + bbands(20, 2), then one new bar per symbol per update. Prints a Markdown table:

- ``Stream.update`` of one bar for every symbol, output frame included (goal <= 1.0 ms);
- TA-Lib's stream handles (``talib.stream``, one per symbol and indicator) updated from a Python loop, when the
  installed TA-Lib has them;
- recomputing the batch expressions ``.over("symbol")`` over the whole history, the alternative without streams;
- priming the stream against that batch (goal <= 1.5x);
- one symbol, one indicator, one bar: ``polars_kimsfinance.talib.stream.RSI`` against TA-Lib's handle;
- snapshot size and time, and the restore round trip (goal <= 50 ms).

    python bench/stream.py [--symbols 5000] [--bars 1000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time

import numpy as np
import polars as pl
from timing import median_ms as timed_median_ms

import polars_kimsfinance as kf
from polars_kimsfinance import talib as kf_talib

try:
    import talib
    from talib import stream as talib_stream
except ImportError:  # pragma: no cover - optional peer
    talib = talib_stream = None


def universe(symbols: int, bars: int, seed: int = 0) -> pl.DataFrame:
    """``bars`` bars per symbol, in time order, symbols interleaved as a live feed delivers them."""
    rng = np.random.default_rng(seed)
    n = symbols * bars
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (bars, symbols)), axis=0)).ravel()
    spread = np.abs(rng.normal(0, 0.005, n))
    return pl.DataFrame(
        {
            "symbol": np.tile(np.array([f"S{i:05d}" for i in range(symbols)]), bars),
            "t": np.repeat(np.arange(bars, dtype=np.int64), symbols),
            "high": close * (1 + spread),
            "low": close * (1 - spread),
            "close": close,
        }
    )


EXPRS = [
    kf.rsi("close", 14).alias("rsi"),
    kf.macd("close", 12, 26, 9).alias("macd"),
    kf.atr(window=14).alias("atr"),
    kf.bbands("close", 20, 2.0, 2.0).alias("bb"),
]


# Streams are timed from their first call: a warm-up would commit an extra update.
median_ms = functools.partial(timed_median_ms, warm_up=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--bars", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    s, b, r = args.symbols, args.bars, args.repeats
    history = universe(s, b)
    feed = universe(s, b + 200, seed=0)[s * b :]  # the bars that follow, one per symbol per minute
    minutes = [feed[i * s : (i + 1) * s] for i in range(200)]
    rows = []

    def row(what: str, ms: float, note: str = "") -> None:
        rows.append((what, ms, note))

    batch_ms = median_ms(lambda: history.with_columns([e.over("symbol") for e in EXPRS]), r)
    row("batch .over('symbol') over the whole history", batch_ms, f"{s * b:,} rows")
    prime_ms = median_ms(lambda: history.kf.stream(EXPRS, by="symbol", time="t"), r)
    row("prime a Stream on the history", prime_ms, f"{prime_ms / batch_ms:.2f}x the batch (goal <= 1.5x)")

    live = history.kf.stream(EXPRS, by="symbol", time="t")
    it = iter(minutes)
    update_ms = median_ms(lambda: live.update(next(it)), min(r * 10, 150))
    row(f"Stream.update: 1 bar x {s:,} symbols, output frame included", update_ms, "goal <= 1.0 ms")
    peek_ms = median_ms(lambda: live.peek(minutes[-1]), r * 3)
    row("Stream.peek of the same", peek_ms)

    if talib_stream is not None:
        cols = {c: history[c].to_numpy().reshape(b, s) for c in ("high", "low", "close")}
        handles = []
        for k in range(s):
            c, h, lo = cols["close"][:, k], cols["high"][:, k], cols["low"][:, k]
            handles.append(
                (
                    talib_stream.RSI(c, timeperiod=14),
                    talib_stream.MACD(c, 12, 26, 9),
                    talib_stream.ATR(h, lo, c, timeperiod=14),
                    talib_stream.BBANDS(c, 20, 2.0, 2.0),
                )
            )
        bar = minutes[0]
        bh, bl, bc = (bar[c].to_list() for c in ("high", "low", "close"))

        def talib_minute() -> None:
            for k, (rsi, macd, atr, bb) in enumerate(handles):
                rsi.update(bc[k])
                macd.update(bc[k])
                atr.update(bh[k], bl[k], bc[k])
                bb.update(bc[k])

        row(f"TA-Lib stream handles, {s:,} x 4 updates in a Python loop", median_ms(talib_minute, r), "no frame")
    else:
        row("TA-Lib stream handles", float("nan"), "the installed TA-Lib has no talib.stream")

    close = history.filter(pl.col("symbol") == "S00000")["close"].to_numpy()
    ours = kf_talib.stream.RSI(close, timeperiod=14)
    n = 200_000
    values = [float(v) for v in np.random.default_rng(1).normal(100, 1, n)]

    def per_update_ns(update) -> float:
        t0 = time.perf_counter()
        for v in values:
            update(v)
        return (time.perf_counter() - t0) / n * 1e9

    ours_ns = statistics.median(per_update_ns(ours.update) for _ in range(3))
    rows.append(("one symbol, one bar: polars_kimsfinance.talib.stream.RSI.update", ours_ns / 1e6, f"{ours_ns:.0f} ns"))
    if talib_stream is not None:
        theirs = talib_stream.RSI(close, timeperiod=14)
        theirs_ns = statistics.median(per_update_ns(theirs.update) for _ in range(3))
        rows.append(
            (
                "one symbol, one bar: TA-Lib's stream RSI.update",
                theirs_ns / 1e6,
                f"{theirs_ns:.0f} ns; ours {ours_ns / theirs_ns:.2f}x",
            )
        )

    blob = live.snapshot()
    snap_ms = median_ms(live.snapshot, r)
    row("snapshot", snap_ms, f"{len(blob) / 1e6:.2f} MB, {live.memory_bytes() / 1e6:.2f} MB in memory")
    restore_ms = median_ms(lambda: kf.Stream.restore(live.snapshot()), r)
    row("snapshot + restore round trip", restore_ms, "goal <= 50 ms")

    print(f"{s:,} symbols x {b:,} bars; rsi(14) + macd(12,26,9) + atr(14) + bbands(20,2); {os.cpu_count()} cores\n")
    print("| what | ms | note |")
    print("|---|---:|---|")
    for what, ms, note in rows:
        print(f"| {what} | {ms:.3f} | {note} |")


if __name__ == "__main__":
    main()
