"""Indicator speed, side by side in one process: polars-kimsfinance vs TA-Lib (C, on numpy arrays), polars-talib,
and native Polars where it has the function. 10M-row random walk, median of REPEATS runs; prints a Markdown table
with ratios (ours / theirs: below 1.0 means we are faster).

    python bench/indicators.py [--rows 10000000] [--repeats 7] [--together]

``--together`` times the 8 indicators as ONE ``with_columns`` (Polars may evaluate them at the same time, and their
long columns share the extension's one pool of helper threads) against TA-Lib making the same 8 calls one after
another, besides the one-at-a-time table.
"""

from __future__ import annotations

import argparse
import os
import platform

import numpy as np
import polars as pl
import talib
from timing import median_ms

import polars_kimsfinance as kf

try:
    import polars_talib as plta  # noqa: F401  (registers the `ta` namespace)
except ImportError:  # pragma: no cover - optional peer
    plta = None


def random_walk(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spread = np.abs(rng.normal(0, 0.005, n))
    return pl.DataFrame(
        {
            "high": close * (1 + spread),
            "low": close * (1 - spread),
            "close": close,
            "volume": np.floor(rng.lognormal(13, 0.5, n)),
        }
    )


def cases(df: pl.DataFrame):
    """(name, ours, TA-Lib, polars-talib, native polars) callables."""
    h, lo, c, v = (df[k].to_numpy() for k in ("high", "low", "close", "volume"))
    col = pl.col("close")
    ta = (lambda e: lambda: df.select(e)) if plta else (lambda e: None)

    def ours(e: pl.Expr):
        run = lambda: df.select(e)  # noqa: E731
        run.expr = e  # for --together
        return run

    yield (
        "sma(20)",
        ours(kf.sma("close", 20)),
        lambda: talib.SMA(c, 20),
        ta(col.ta.sma(20) if plta else None),
        (lambda: df.select(col.rolling_mean(20))),
    )
    yield (
        "ema(20)",
        ours(kf.ema("close", 20)),
        lambda: talib.EMA(c, 20),
        ta(col.ta.ema(20) if plta else None),
        (lambda: df.select(col.ewm_mean(span=20, adjust=False))),
    )
    yield "rsi(14)", ours(kf.rsi("close", 14)), lambda: talib.RSI(c, 14), ta(col.ta.rsi(14) if plta else None), None
    yield (
        "atr(14)",
        ours(kf.atr(window=14)),
        lambda: talib.ATR(h, lo, c, 14),
        ta(col.ta.atr(timeperiod=14) if plta else None),
        None,
    )
    if "macd" in kf.FUNCTIONS:
        yield (
            "macd(12,26,9)",
            ours(kf.FUNCTIONS["macd"]("close", 12, 26, 9)),
            lambda: talib.MACD(c, 12, 26, 9),
            ta(col.ta.macd(12, 26, 9) if plta else None),
            None,
        )
    if "bbands" in kf.FUNCTIONS:
        yield (
            "bbands(20,2)",
            ours(kf.FUNCTIONS["bbands"]("close", 20, 2.0)),
            lambda: talib.BBANDS(c, 20, 2.0, 2.0),
            ta(col.ta.bbands(20, 2.0, 2.0) if plta else None),
            None,
        )
    if "stoch" in kf.FUNCTIONS:
        yield (
            "stoch(5,3,3)",
            ours(kf.FUNCTIONS["stoch"]()),
            lambda: talib.STOCH(h, lo, c),
            ta(col.ta.stoch() if plta else None),
            None,
        )
    yield "obv", ours(kf.obv()), lambda: talib.OBV(c, v), ta(col.ta.obv() if plta else None), None


def together(df: pl.DataFrame, repeats: int) -> None:
    """The 8 benchmark indicators in one ``with_columns`` against the same 8 TA-Lib calls in a row."""
    named = list(cases(df))
    exprs = [ours.expr.alias(f"kf_{i}") for i, (_, ours, *_) in enumerate(named)]
    t_ours = median_ms(lambda: df.with_columns(exprs), repeats)
    t_ref = median_ms(lambda: [ref() for _, _, ref, _, _ in named], repeats)
    print(
        f"\nAll {len(exprs)} indicators ({', '.join(n for n, *_ in named)}) at once: ours, one with_columns "
        f"{t_ours:.1f} ms; TA-Lib, {len(named)} calls one after another {t_ref:.1f} ms; ours/TA-Lib "
        f"{t_ours / t_ref:.2f}"
    )


def over_case(repeats: int) -> tuple[float, float]:
    groups, per = 1000, 10_000
    rng = np.random.default_rng(1)
    df = pl.DataFrame(
        {
            "symbol": np.repeat(np.arange(groups), per),
            "close": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, groups * per))),
        }
    )
    ours = median_ms(lambda: df.select(kf.sma("close", 20).over("symbol")), repeats)
    native = median_ms(lambda: df.select(pl.col("close").rolling_mean(20).over("symbol")), repeats)
    return ours, native


def peak_memory_sma(rows: int) -> None:
    """Run in a fresh process: peak RSS while computing sma(20) on ``rows`` Float64 rows, against the input and
    output sizes (the goal: no more than input + output + 10%)."""
    import subprocess
    import sys

    code = f"""
import gc, numpy as np, polars as pl, polars_kimsfinance as kf
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
df = pl.DataFrame({{"close": np.random.default_rng(0).normal(100, 1, {rows})}})
df.head(100).select(kf.sma("close", 20))  # load the plugin without allocating a large column
gc.collect()
before = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark VmHWM to the current RSS
out = df.select(kf.sma("close", 20))
print(before, status("VmHWM"))
"""
    before, after = map(int, subprocess.check_output([sys.executable, "-c", code], text=True).split())
    column_mb = rows * 8 / 2**20
    grew_mb = (after - before) / 1024
    extra = grew_mb - column_mb
    print(
        f"\nPeak memory, sma(20) on {rows:,} rows (fresh process): peak RSS grew {grew_mb:.1f} MiB above the "
        f"resident input ({column_mb:.1f} MiB); the output column is {column_mb:.1f} MiB. Extra beyond input + "
        f"output: {extra:.1f} MiB = {extra / (2 * column_mb) * 100:.1f}% of input + output (goal <= 10%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--together", action="store_true", help="also time the 8 indicators in one with_columns")
    args = parser.parse_args()
    df = random_walk(args.rows)
    print(f"# Indicators, {args.rows:,} rows, median of {args.repeats}")
    from polars_kimsfinance import _internal

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"polars {pl.__version__}, TA-Lib {talib.__version__}, numpy {np.__version__}; our kernels split long "
        f"columns across {_internal._kernel_threads()} thread(s) "
        f"(POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', 'unset')})\n"
    )
    print("| indicator | ours ms | TA-Lib ms | ours/TA-Lib | polars-talib ms | ours/polars-talib | native polars ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, ours, ref, peer, native in cases(df):
        t_ours = median_ms(ours, args.repeats)
        t_ref = median_ms(ref, args.repeats)
        t_peer = median_ms(peer, args.repeats) if peer else float("nan")
        t_native = median_ms(native, args.repeats) if native else float("nan")
        print(
            f"| {name} | {t_ours:.1f} | {t_ref:.1f} | {t_ours / t_ref:.2f} | {t_peer:.1f} | {t_ours / t_peer:.2f} "
            f"| {t_native:.1f} |"
        )
    if args.together:
        together(df, args.repeats)
    peak_memory_sma(args.rows)
    ours, native = over_case(args.repeats)
    print(
        f"\n`.over()` 1,000 groups x 10,000 rows, sma(20): ours {ours:.1f} ms, native rolling_mean(20).over() "
        f"{native:.1f} ms, ratio {ours / native:.2f}"
    )


if __name__ == "__main__":
    main()
