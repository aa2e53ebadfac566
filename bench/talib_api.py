"""``polars_kimsfinance.talib`` against TA-Lib, side by side in one process: every TA-Lib twin on the same numpy
arrays (10M-row random walk by default), median of REPEATS runs. Prints a Markdown table with the ratio ours / TA-Lib
(below 1.0: we are faster; the goal is <= 1.0 for each function).

    python bench/talib_api.py [--rows 10000000] [--repeats 5] [--only RSI,MACD]
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np
import talib as ta
from timing import median_ms

from polars_kimsfinance import talib
from polars_kimsfinance.catalogue.talib_twins import TWINS


def arrays(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.002, n))
    spread = np.abs(rng.normal(0, 0.005, n))
    return {
        "open": open_,
        "high": np.maximum(open_, close) * (1 + spread),
        "low": np.minimum(open_, close) * (1 - spread),
        "close": close,
        "real": close,
        "volume": np.floor(rng.lognormal(13, 0.5, n)) + 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated TA-Lib names")
    args = parser.parse_args()
    data = arrays(args.rows)
    only = {n.strip().upper() for n in args.only.split(",") if n.strip()}
    print(
        f"{args.rows:,} rows, median of {args.repeats}, {os.cpu_count()} cores, POLARS_MAX_THREADS="
        f"{os.environ.get('POLARS_MAX_THREADS', 'unset')}\n"
    )
    print("| function | polars_kimsfinance.talib ms | TA-Lib ms | ratio |")
    print("|---|---:|---:|---:|")
    ratios = []
    for twin in TWINS:
        if only and twin.name not in only:
            continue
        inputs = [data[i] for i in twin.inputs]
        ours = median_ms(lambda: getattr(talib, twin.name)(*inputs), args.repeats)
        theirs = median_ms(lambda: getattr(ta, twin.name)(*inputs), args.repeats)
        ratios.append(ours / theirs)
        print(f"| {twin.name} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")
    if ratios:
        slower = sum(r > 1.0 for r in ratios)
        print(f"\nmedian ratio {statistics.median(ratios):.2f}; {slower} of {len(ratios)} functions slower than TA-Lib")


if __name__ == "__main__":
    main()
