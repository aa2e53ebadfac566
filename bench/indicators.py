"""Indicator speed, side by side in one process: polars-kimsfinance vs TA-Lib (C, on numpy arrays), polars-talib,
and native Polars where it has the function. 10M-row random walk; every row of the table times its contestants
interleaved (one run of each per round, the order rotating), and prints the median of REPEATS rounds with ratios
(ours / theirs: below 1.0 means we are faster). The load average is printed with the table: the machine may be
shared, and interleaving only spreads the noise evenly, it does not remove it.

    python bench/indicators.py [--rows 10000000] [--repeats 7] [--threads N] [--contended] [--float32]
                               [--over] [--together] [--no-memory] [--only sma,ema]

``--threads N`` reruns the script with ``POLARS_MAX_THREADS=N``, which bounds Polars' pool and the extension's own
(``--threads 1``: everything on the calling thread). ``--contended`` starts a busy loop pinned to core 0 for the
whole run, as another process holding a core would. ``--float32`` adds a table of our Float32 inputs against our
Float64 ones (and checks that the Float32 outputs equal the Float64 outputs rounded to Float32). ``--over`` adds
``sma(20).over()`` with 1,000 groups x 10,000 rows against native ``rolling_mean(20).over()``. ``--together`` times
the indicators as ONE ``with_columns`` against TA-Lib making the same calls one after another. The goals these
figures are read against are in docs/benchmarks.md; nothing here asserts them.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import polars as pl
import talib
from timing import interleaved_ms

import polars_kimsfinance as kf

try:
    import polars_talib as plta  # noqa: F401  (registers the `ta` namespace)
except ImportError:  # pragma: no cover - optional peer
    plta = None

Run = Callable[[], object]


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


class Case:
    """One benchmark row: our expression and the same indicator elsewhere (None where a library lacks it)."""

    def __init__(self, name: str, ours: pl.Expr, talib_fn: Run, peer: pl.Expr | None, native: pl.Expr | None):
        self.name, self.ours, self.talib_fn, self.peer, self.native = name, ours, talib_fn, peer, native


def cases(df: pl.DataFrame) -> Iterator[Case]:
    h, lo, c, v = (df[k].to_numpy() for k in ("high", "low", "close", "volume"))
    col = pl.col("close")
    ta = plta is not None
    f = kf.FUNCTIONS
    yield Case(
        "sma(20)", f["sma"]("close", 20), lambda: talib.SMA(c, 20), col.ta.sma(20) if ta else None, col.rolling_mean(20)
    )
    yield Case(
        "ema(20)",
        f["ema"]("close", 20),
        lambda: talib.EMA(c, 20),
        col.ta.ema(20) if ta else None,
        col.ewm_mean(span=20, adjust=False),
    )
    yield Case("rsi(14)", f["rsi"]("close", 14), lambda: talib.RSI(c, 14), col.ta.rsi(14) if ta else None, None)
    yield Case(
        "atr(14)", f["atr"](window=14), lambda: talib.ATR(h, lo, c, 14), col.ta.atr(timeperiod=14) if ta else None, None
    )
    yield Case(
        "macd(12,26,9)",
        f["macd"]("close", 12, 26, 9),
        lambda: talib.MACD(c, 12, 26, 9),
        col.ta.macd(12, 26, 9) if ta else None,
        None,
    )
    yield Case(
        "bbands(20,2)",
        f["bbands"]("close", 20, 2.0),
        lambda: talib.BBANDS(c, 20, 2.0, 2.0),
        col.ta.bbands(20, 2.0, 2.0) if ta else None,
        None,
    )
    yield Case("stoch(5,3,3)", f["stoch"](), lambda: talib.STOCH(h, lo, c), col.ta.stoch() if ta else None, None)
    yield Case("obv", f["obv"](), lambda: talib.OBV(c, v), col.ta.obv() if ta else None, None)
    yield Case("willr(14)", f["willr"](window=14), lambda: talib.WILLR(h, lo, c, 14), None, None)
    yield Case("cci(14)", f["cci"](window=14), lambda: talib.CCI(h, lo, c, 14), None, None)
    yield Case("adx(14)", f["adx"](window=14), lambda: talib.ADX(h, lo, c, 14), None, None)


def one_at_a_time(df: pl.DataFrame, repeats: int, only: set[str] | None) -> None:
    src = df["close"].to_numpy()
    dst = np.empty_like(src)
    copy = lambda: np.copyto(dst, src)  # noqa: E731  (the memory floor: read 10M float64, write 10M float64)
    print(
        "| indicator | ours ms | TA-Lib ms | ours/TA-Lib | np.copyto ms | ours/copyto | polars-talib ms "
        "| ours/polars-talib | native polars ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in cases(df):
        if only and case.name.split("(")[0] not in only:
            continue
        runs: dict[str, Run] = {"ours": (lambda e=case.ours: df.select(e)), "talib": case.talib_fn, "copy": copy}
        if case.peer is not None:
            runs["peer"] = lambda e=case.peer: df.select(e)
        if case.native is not None:
            runs["native"] = lambda e=case.native: df.select(e)
        t = interleaved_ms(runs, repeats)
        nan = float("nan")
        peer, native = t.get("peer", nan), t.get("native", nan)
        print(
            f"| {case.name} | {t['ours']:.1f} | {t['talib']:.1f} | {t['ours'] / t['talib']:.2f} | {t['copy']:.1f} "
            f"| {t['ours'] / t['copy']:.2f} | {peer:.1f} | {t['ours'] / peer:.2f} | {native:.1f} |"
        )


def float32_table(df: pl.DataFrame, repeats: int, only: set[str] | None) -> None:
    """Our Float32 inputs against our Float64 inputs, and whether the Float32 outputs are the Float64 ones rounded."""
    df32 = df.cast(pl.Float32)
    print("\n| indicator (ours) | Float64 ms | Float32 ms | Float64/Float32 | Float32 == Float64 rounded |")
    print("|---|---:|---:|---:|---|")
    for case in cases(df):
        if only and case.name.split("(")[0] not in only:
            continue
        e = case.ours
        t = interleaved_ms({"f64": lambda: df.select(e), "f32": lambda: df32.select(e)}, repeats)
        # The Float64 kernel on the Float32 inputs (widened exactly), rounded to Float32: what Float32 must give.
        want, got = df32.cast(pl.Float64).select(e), df32.select(e)
        if isinstance(got.dtypes[0], pl.Struct):
            want, got = want.unnest(want.columns), got.unnest(got.columns)
        same = want.cast(pl.Float32).equals(got)
        print(f"| {case.name} | {t['f64']:.1f} | {t['f32']:.1f} | {t['f64'] / t['f32']:.2f} | {same} |")


def together(df: pl.DataFrame, repeats: int) -> None:
    """The benchmark indicators in one ``with_columns`` against the same TA-Lib calls in a row."""
    named = list(cases(df))
    exprs = [case.ours.alias(f"kf_{i}") for i, case in enumerate(named)]
    t = interleaved_ms(
        {"ours": lambda: df.with_columns(exprs), "talib": lambda: [case.talib_fn() for case in named]}, repeats
    )
    print(
        f"\nAll {len(exprs)} indicators at once: ours, one with_columns {t['ours']:.1f} ms; TA-Lib, {len(named)} "
        f"calls one after another {t['talib']:.1f} ms; ours/TA-Lib {t['ours'] / t['talib']:.2f}"
    )


def over_case(repeats: int) -> None:
    groups, per = 1000, 10_000
    rng = np.random.default_rng(1)
    df = pl.DataFrame(
        {
            "symbol": np.repeat(np.arange(groups), per),
            "close": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, groups * per))),
        }
    )
    t = interleaved_ms(
        {
            "ours": lambda: df.select(kf.sma("close", 20).over("symbol")),
            "native": lambda: df.select(pl.col("close").rolling_mean(20).over("symbol")),
            # Polars' own window machinery (group the keys, run per group, put the rows back) around about the
            # cheapest per-group work there is: what any expression inside `.over()` pays at least.
            "floor": lambda: df.select(pl.col("close").shift(1).over("symbol")),
        },
        repeats,
    )
    print(
        f"\n`.over()` 1,000 groups x 10,000 rows, sma(20): ours {t['ours']:.1f} ms, native rolling_mean(20).over() "
        f"{t['native']:.1f} ms, ratio {t['ours'] / t['native']:.2f}; native shift(1).over() {t['floor']:.1f} ms "
        f"({t['floor'] / t['native']:.2f} of native rolling_mean)"
    )


def peak_memory_sma(rows: int) -> None:
    """Run in a fresh process: peak RSS while computing sma(20) on ``rows`` Float64 rows, against the input and
    output sizes (the goal: no more than input + output + 10%)."""
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


def busy_core_0() -> subprocess.Popen[bytes]:
    """A process spinning on core 0 (another service holding a core), until it is killed."""
    return subprocess.Popen(
        [sys.executable, "-c", "import os\nos.sched_setaffinity(0, {0})\nwhile True: pass"],
        stdout=subprocess.DEVNULL,
    )


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, help="run with POLARS_MAX_THREADS=N (our pool and Polars')")
    parser.add_argument("--contended", action="store_true", help="a busy loop holds core 0 during the run")
    parser.add_argument("--float32", action="store_true", help="also time Float32 inputs against Float64")
    parser.add_argument("--over", action="store_true", help="also time sma(20).over() on 1,000 groups")
    parser.add_argument("--together", action="store_true", help="also time the indicators in one with_columns")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory check")
    parser.add_argument("--only", help="comma-separated indicator names (sma,ema,...)")
    args = parser.parse_args()
    if args.threads and os.environ.get("POLARS_MAX_THREADS") != str(args.threads):
        # Both pools read the variable once, when they start: rerun this script with it set.
        env = dict(os.environ, POLARS_MAX_THREADS=str(args.threads))
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    only = set(args.only.split(",")) if args.only else None
    busy = busy_core_0() if args.contended else None
    try:
        from polars_kimsfinance import _internal

        df = random_walk(args.rows)
        print(f"# Indicators, {args.rows:,} rows, median of {args.repeats} interleaved rounds")
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; polars {pl.__version__}, "
            f"TA-Lib {talib.__version__}, numpy {np.__version__}; our kernels use {_internal._kernel_threads()} "
            f"thread(s) (POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', 'unset')}); "
            f"{'a busy loop holds core 0; ' if busy else ''}"
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start {load()}\n"
        )
        one_at_a_time(df, args.repeats, only)
        if args.float32:
            float32_table(df, args.repeats, only)
        if args.together:
            together(df, args.repeats)
        if args.over:
            over_case(args.repeats)
        if not args.no_memory:
            peak_memory_sma(args.rows)
        print(f"\nload average at end {load()}")
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


if __name__ == "__main__":
    main()
