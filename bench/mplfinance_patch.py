"""mplfinance before and after ``kf.activate()``: ``mpf.plot`` of N candles with volume (and two moving averages)
saved as PNG to memory, median of REPEATS runs; prints both times and the ratio (after / before: below 1.0 means the
patched call is faster), which path served the call, and the cost of performance tracking per call.

    python bench/mplfinance_patch.py [--candles 500] [--repeats 7]
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import mplfinance as mpf  # noqa: E402

import polars_kimsfinance as kf  # noqa: E402
from polars_kimsfinance import _internal  # noqa: E402


def frame(n: int):
    pdf = kf.sample_ohlcv(n, seed=1).to_pandas().set_index("date")
    pdf.columns = [c.capitalize() for c in pdf.columns]
    return pdf


def timed(data, repeats: int, **kwargs) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeats):
        buf = io.BytesIO()
        t0 = time.perf_counter()
        mpf.plot(data, savefig=buf, **kwargs)
        times.append(time.perf_counter() - t0)
        size = len(buf.getvalue())
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candles", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    data = frame(args.candles)
    call = dict(type="candle", volume=True, mav=(20, 50), style="yahoo", figsize=(12, 6))
    print(f"mpf.plot of {args.candles} candles with volume, mav=(20, 50), 1200x600 PNG; median of {args.repeats}")
    print(f"{platform.python_implementation()} {platform.python_version()}, mplfinance {mpf.__version__}, "
          f"matplotlib {matplotlib.__version__}")  # fmt: skip

    timed(data, 1, **call)  # warm-up: imports, fonts
    before, before_size = timed(data, args.repeats, **call)

    kf.configure(performance_tracking=True)
    kf.reset_performance_stats()
    kf.activate()
    try:
        timed(data, 1, **call)
        kf.reset_performance_stats()
        after, after_size = timed(data, args.repeats, **call)
        ops = kf.get_performance_stats()["operations"]
    finally:
        kf.deactivate()
    served = "kf" if ops["mplfinance"]["calls"] else "mplfinance (df.kf.render not available: only the averages)"
    print(f"before activate: {before * 1e3:9.2f} ms  ({before_size} bytes)")
    print(f"after activate:  {after * 1e3:9.2f} ms  ({after_size} bytes)  served by {served}")
    print(f"ratio after/before: {after / before:.3f}  (speed-up x{before / after:.1f})")
    print(f"kf indicator calls during the timed runs: {ops['indicator']['calls']}, renders: {ops['render']['calls']}")

    on = _internal._tracking_overhead_ns(2_000_000)
    kf.configure(performance_tracking=False)
    off = _internal._tracking_overhead_ns(2_000_000)
    print(f"tracking overhead per instrumented call: {on:.1f} ns on (two clock reads + record), {off:.2f} ns off")
    kf.reset_config()


if __name__ == "__main__":
    main()
