"""A long run of a service's day for flat memory in 24/7 use: RSS and charts/s over time.

Batches of BATCH small charts (100 candles with volume, 800x450, sma:20 overlay) are drawn back to back for
``--minutes``. Beside each batch (unless ``--charts-only``) run the other two things a service does all day: the
indicator query of bench/stream.py (rsi, macd, atr, bbands ``.over("symbol")``) over SYMBOLS symbols x 100 bars, and
one ``Stream.update`` plus one ``Stream.peek`` of a new bar for each of those symbols on a stream of the same
indicators, primed once at the start. Every ``--every`` seconds a line gives the elapsed time, the charts so far,
the charts/s of the last interval, the RSS and its change since the end of the first minute's warm-up. At the end
the RSS curve is drawn by this package's own renderer (a line chart of RSS in MiB over time, the interval's charts
as the volume panel) and written to ``--png``.

    python bench/soak.py --minutes 15 [--every 10] [--charts-only] [--png docs/soak_rss.png]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

import numpy as np
import polars as pl
from stream import EXPRS, universe

import polars_kimsfinance as kf

BATCH = 500
SYMBOLS = 500


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--charts-only", action="store_true", help="render_many alone, no queries or stream")
    parser.add_argument("--png", default=str(Path(__file__).resolve().parent / "out" / "soak_rss.png"))
    args = parser.parse_args()

    frames = [kf.sample_ohlcv(100, seed=i) for i in range(BATCH)]
    options = dict(width=800, height=450, overlays=["sma:20"], workers=args.workers, progress=False)
    kf.configure(performance_tracking=True)
    stats_memory = kf.get_performance_stats()["memory_bytes"]
    history = universe(SYMBOLS, 100)
    live = history.kf.stream(EXPRS, by="symbol", time="t")
    stream_memory = live.memory_bytes()
    symbols = history["symbol"][:SYMBOLS]
    rng = np.random.default_rng(1)
    queries = updates = 0
    start = time.perf_counter()
    end = start + args.minutes * 60
    warm_until = start + min(60.0, args.minutes * 60 / 5)
    warm_rss: float | None = None
    samples: list[tuple[float, int, float, float]] = []  # (seconds, charts, charts/s, rss MiB)
    charts = last_charts = 0
    last = start
    work = (
        "charts only" if args.charts_only else f"with an indicator query and a stream update of {SYMBOLS} symbols each"
    )
    print(f"# bench/soak.py: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, batches of {BATCH}, {work}")
    print("| time (s) | charts | charts/s | RSS (MiB) | RSS - warm (MiB) |")
    print("|---:|---:|---:|---:|---:|")
    while True:
        kf.render_many(frames, **options)
        charts += BATCH
        if not args.charts_only:
            history.with_columns([e.over("symbol") for e in EXPRS])
            queries += 1
            close = 100 * np.exp(rng.normal(0, 0.01, SYMBOLS))
            bar = pl.DataFrame(
                {
                    "symbol": symbols,
                    "t": np.full(SYMBOLS, 100 + updates, dtype=np.int64),
                    "high": close * 1.002,
                    "low": close * 0.998,
                    "close": close,
                }
            )
            live.peek(bar)
            live.update(bar)
            updates += 1
        now = time.perf_counter()
        if warm_rss is None and now >= warm_until:
            warm_rss = rss_mib()
        if now - last >= args.every or now >= end:
            rate = (charts - last_charts) / (now - last)
            rss = rss_mib()
            samples.append((now - start, charts, rate, rss))
            delta = "" if warm_rss is None else f"{rss - warm_rss:+.2f}"
            print(f"| {now - start:.0f} | {charts:,} | {rate:,.0f} | {rss:.1f} | {delta} |", flush=True)
            last, last_charts = now, charts
        if now >= end:
            break
    stats = kf.get_performance_stats()
    after_warm = [s[3] for s in samples if warm_rss is not None and s[0] >= warm_until - start]
    total_s = time.perf_counter() - start
    print(
        f"\n{charts:,} charts in {total_s:.0f} s ({charts / total_s:,.0f}/s); "
        f"RSS after warm-up {warm_rss:.1f} MiB, at the end {samples[-1][3]:.1f} MiB "
        f"(max {max(after_warm or [samples[-1][3]]):.1f}); statistics memory {stats['memory_bytes']} bytes "
        f"(at the start {stats_memory}); renders counted {stats['operations']['render']['calls']:,}"
    )
    if not args.charts_only:
        print(
            f"{queries:,} indicator queries, {updates:,} stream updates (and as many peeks); stream memory "
            f"{live.memory_bytes():,} bytes (at the start {stream_memory:,})"
        )
    t0 = dt.datetime(2000, 1, 1)
    curve = pl.DataFrame(
        {
            "time": [t0 + dt.timedelta(seconds=s[0]) for s in samples],
            "close": [s[3] for s in samples],
            "volume": [float(s[2]) for s in samples],
        }
    )
    image = curve.kf.render(
        "line",
        width=1200,
        height=500,
        theme="light",
        title=f"RSS (MiB) over {args.minutes:g} min ({work}); volume panel: charts/s",
    )
    Path(args.png).parent.mkdir(parents=True, exist_ok=True)
    image.save(args.png)
    print(f"curve: {args.png}")


if __name__ == "__main__":
    main()
