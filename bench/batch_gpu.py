"""Charts per second: the CPU engine in a per-chart loop, the GPU engine in a per-chart loop, and the GPU batch path
(``_internal._render_batch_gpu``: pages of stacked charts, one submission and one readback each).

python bench/batch_gpu.py [--charts 100] [--candles 100] [--width 800] [--height 450] [--repeats 3]

Same charts for every run (candles with volume, PNG fast); each run includes the Python preparation of every chart.
Medians of ``--repeats`` runs after one warm-up run (device creation and font loading excluded).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import polars_kimsfinance as kf  # noqa: E402
from polars_kimsfinance import _internal  # noqa: E402
from polars_kimsfinance.chart import _chart_arguments  # noqa: E402


def median_seconds(run: Callable[[], Any], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=100)
    parser.add_argument("--candles", type=int, default=100)
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=450)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    info = kf.gpu_info()
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"adapter: {info['name'] + ' (' + info['backend'] + ', ' + info['device_type'] + ')' if info else 'none'}")
    print(f"{args.charts} charts of {args.candles} candles, {args.width}x{args.height}, volume, PNG fast")
    frames = [kf.sample_ohlcv(args.candles, seed=i) for i in range(args.charts)]
    options = {"width": args.width, "height": args.height, "volume": True}

    def loop(engine: str) -> Callable[[], Any]:
        return lambda: [df.kf.render(engine=engine, **options) for df in frames]

    def batch() -> list[Any]:
        calls = [_chart_arguments(df, "candle", **options) for df in frames]
        results = _internal._render_batch_gpu([_internal._Chart(*a, **kw) for a, kw in calls])
        engines = {r[4]["engine"] for r in results if isinstance(r, tuple)}
        if engines != {"gpu"}:
            raise RuntimeError(f"the batch was not drawn on the GPU: {engines} {results[:1]}")
        return results

    rows = [("cpu, per-chart loop", median_seconds(loop("cpu"), args.repeats))]
    if info is not None:
        rows.append(("gpu, per-chart loop", median_seconds(loop("gpu"), args.repeats)))
        rows.append(("gpu batch (_render_batch_gpu)", median_seconds(batch, args.repeats)))
    base = rows[0][1]
    print(f"medians of {args.repeats} runs\n")
    print("| run | charts/s | ms per chart | vs cpu loop |")
    print("|---|---:|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {args.charts / seconds:,.0f} | {seconds / args.charts * 1000:.2f} | {base / seconds:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
