"""Throughput of kf.ray at 1 and 2 Ray workers, next to the same work on one machine without Ray.

python bench/ray_batch.py [--symbols 400] [--bars 100] [--repeats 3] [--workers 1,2]

For each worker count a local Ray cluster is started with that many CPUs (each worker's Polars and helper-thread
pool limited to one thread, so that workers = cores in use), warmed up once, and timed: ``kf.ray.render_by``
(800x450 candle charts with volume, PNG, written to a temporary folder) and ``kf.ray.with_indicators`` (RSI-14,
SMA-20, MACD). The baseline is a Python loop of ``df.kf.render`` + file write per symbol, and one
``with_columns(e.over("symbol"))`` query, in this process. Times are medians of ``--repeats`` runs, start-up
excluded.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import polars_kimsfinance as kf  # noqa: E402

CHART = {"width": 800, "height": 450, "volume": True}


def universe(symbols: int, bars: int) -> pl.DataFrame:
    return pl.concat(
        kf.sample_ohlcv(bars, seed=i).with_columns(symbol=pl.lit(f"S{i:05d}")) for i in range(symbols)
    ).sort("date", "symbol")


def exprs() -> list[pl.Expr]:
    return [kf.rsi("close", 14).alias("rsi"), kf.sma("close", 20).alias("sma"), kf.macd("close").alias("macd")]


def median_seconds(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def one_machine(df: pl.DataFrame, repeats: int) -> tuple[float, float]:
    groups = df.partition_by("symbol", maintain_order=True, as_dict=True)

    def render_loop() -> None:
        with tempfile.TemporaryDirectory() as d:
            for (key,), frame in groups.items():
                Path(d, f"{key}.png").write_bytes(frame.kf.render(**CHART))

    def indicators() -> None:
        df.with_columns(e.over("symbol") for e in exprs())

    render_loop()
    return median_seconds(render_loop, repeats), median_seconds(indicators, repeats)


def on_ray(df: pl.DataFrame, workers: int, repeats: int) -> tuple[float, float]:
    import ray
    import ray.data

    env = {"PYTHONPATH": str(ROOT / "python"), "POLARS_MAX_THREADS": "1"}
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
        table = df.to_arrow()
        step = max(1, table.num_rows // (4 * workers))
        ds = ray.data.from_arrow([table.slice(i, step) for i in range(0, table.num_rows, step)])

        def render() -> None:
            with tempfile.TemporaryDirectory() as d:
                kf.ray.render_by(ds, "symbol", out_dir=d, num_partitions=2 * workers, **CHART)

        def indicators() -> None:
            kf.ray.with_indicators(ds, exprs(), by="symbol", num_partitions=2 * workers).materialize()

        render()
        indicators()
        return median_seconds(render, repeats), median_seconds(indicators, repeats)
    finally:
        ray.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=400)
    parser.add_argument("--bars", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    import ray

    df = universe(args.symbols, args.bars)
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; ray {ray.__version__}")
    print(f"{args.symbols} symbols x {args.bars} bars = {df.height} rows; charts 800x450 candles + volume, PNG fast")
    print(f"medians of {args.repeats} runs (start-up and a warm-up run excluded)\n")
    rows = [("one machine, no Ray (loop / one query)", *one_machine(df, args.repeats))]
    for n in (int(w) for w in args.workers.split(",")):
        rows.append((f"kf.ray, {n} worker{'s' if n > 1 else ''}", *on_ray(df, n, args.repeats)))
    base_render, base_ind = rows[0][1], rows[0][2]
    print("| run | charts/s | vs one machine | indicator rows/s | vs one machine |")
    print("|---|---:|---:|---:|---:|")
    for name, render_s, ind_s in rows:
        charts, rows_s = args.symbols / render_s, df.height / ind_s
        print(f"| {name} | {charts:,.0f} | {base_render / render_s:.2f}x | {rows_s:,.0f} | {base_ind / ind_s:.2f}x |")
    if len(rows) >= 3:
        print(
            f"\n2 workers / 1 worker: render {rows[1][1] / rows[2][1]:.2f}x, indicators {rows[1][2] / rows[2][2]:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
