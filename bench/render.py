"""Chart rendering speed and size: polars-kimsfinance ``df.kf.render`` next to mplfinance, in one process.

1. 500 daily candles with volume, 1920x1080, PNG, both with axes: median wall time of REPEATS runs each; our time
   split into Python preparation / scene / draw / convert / encode (``ChartImage.timings``); PNG size for each
   speed preset and mplfinance's, with ratios (ours / mplfinance: below 1.0 means faster / smaller).
2. 10M candles → one 1920x1080 chart (bars sharing a pixel column are aggregated first).
3. Peak memory of rendering 1M candles: the RSS high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``)
   minus the RSS before the call, in a fresh subprocess, against the budget of one RGBA image buffer + 32 MB. A first
   chart is rendered before, and the once-per-process cost it reveals (font, GPU driver probe) is reported apart.

    python bench/render.py [--repeats 7] [--big 10000000] [--mem 1000000] [--no-mpl]

The last chart of each renderer is written to bench/out/ (not tracked) for a look at what was timed.

Needs ``pip install mplfinance==0.12.10b0 six`` for the comparison (skipped when it is missing).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

import polars_kimsfinance  # noqa: F401  (registers the kf namespaces)

W, H = 1920, 1080
OUT = Path(__file__).resolve().parent / "out"


def output_path(name: str) -> Path:
    """Where a benchmark image goes: bench/out/, kept out of the repository by .gitignore."""
    OUT.mkdir(exist_ok=True)
    return OUT / name


def random_walk(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` daily-ish OHLCV bars with valid highs and lows."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.002, n))
    spread = np.abs(rng.normal(0, 0.006, n))
    return pl.DataFrame(
        {
            "date": np.arange(n, dtype="int64") * 86_400_000_000 + 946_684_800_000_000,  # daily from 2000-01-01
            "open": open_,
            "high": np.maximum(open_, close) * (1 + spread),
            "low": np.minimum(open_, close) * (1 - spread),
            "close": close,
            "volume": np.floor(rng.lognormal(13, 0.5, n)),
        }
    ).with_columns(pl.col("date").cast(pl.Datetime("us")))


def median_ms(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def bench_ours(df: pl.DataFrame, repeats: int) -> dict[str, dict]:
    out = {}
    for speed in ("fast", "balanced", "best"):
        df.kf.render(width=W, height=H, speed=speed)  # warm-up
        runs = []
        for _ in range(repeats):
            t = time.perf_counter()
            img = df.kf.render(width=W, height=H, speed=speed)
            runs.append(((time.perf_counter() - t) * 1000, img))
        wall = statistics.median(r[0] for r in runs)
        timings = {k: statistics.median(r[1].timings[k] for r in runs) for k in runs[0][1].timings if k != "slots"}
        out[speed] = {"wall_ms": wall, "bytes": len(runs[-1][1]), **timings}
    runs[-1][1].save(output_path("render-ours.png"))
    return out


def bench_mplfinance(df: pl.DataFrame, repeats: int) -> dict | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import mplfinance as mpf
    except ImportError:
        return None
    pdf = df.to_pandas().set_index("date")
    pdf.index.name = "Date"
    pdf.columns = ["Open", "High", "Low", "Close", "Volume"]

    def one() -> bytes:
        buf = io.BytesIO()
        mpf.plot(
            pdf,
            type="candle",
            volume=True,
            style="charles",
            figsize=(W / 100, H / 100),
            savefig=dict(fname=buf, dpi=100, format="png"),
        )
        plt.close("all")
        return buf.getvalue()

    one()  # warm-up (font cache, imports)
    wall, png = median_ms(one, repeats)
    with open(output_path("render-mplfinance.png"), "wb") as f:
        f.write(png)
    width, height = _png_size(png)
    return {"wall_ms": wall, "bytes": len(png), "size": f"{width}x{height}", "version": mpf.__version__}


def bench_annotated(df: pl.DataFrame, repeats: int, with_mpl: bool) -> dict:
    """The 500-candle chart with two hlines, a shaded band, 20 markers and an RSI panel with its 30 / 70 lines,
    drawn by kf and by mplfinance (the same elements through make_addplot / fill_between / hlines)."""
    import polars_kimsfinance as kf

    close = df["close"].to_numpy()
    marks = np.full(len(close), np.nan)
    rows = np.linspace(10, len(close) - 10, 20).astype(int)
    marks[rows] = df["low"].to_numpy()[rows] * 0.99
    levels = [float(np.percentile(close, 25)), float(np.percentile(close, 75))]
    upper = df.select(pl.col("close").rolling_max(20)).to_series().to_numpy()
    lower = df.select(pl.col("close").rolling_min(20)).to_series().to_numpy()
    rsi = df.select(kf.rsi("close", 14)).to_series()
    panel = {"title": "RSI 14", "lines": [("rsi", rsi), ("30", pl.Series(np.full(len(close), 30.0))),
                                          ("70", pl.Series(np.full(len(close), 70.0)))]}  # fmt: skip
    opts = dict(
        width=W, height=H, volume=True, hlines=levels, fill_between={"y1": upper, "y2": lower, "alpha": 0.2},
        markers={"signal": pl.Series(~np.isnan(marks)), "at": pl.Series(marks), "shape": "triangle_up"},
        panels=[panel],
    )  # fmt: skip
    df.kf.render(**opts)
    ours, img = median_ms(lambda: df.kf.render(**opts), repeats)
    img.save(output_path("render-annotated-ours.png"))
    out = {"ours_ms": ours}
    if not with_mpl:
        return out
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplfinance as mpf

    pdf = df.to_pandas().set_index("date")
    pdf.columns = ["Open", "High", "Low", "Close", "Volume"]
    rsi_np = rsi.to_numpy()
    adds = [
        mpf.make_addplot(marks, type="scatter", marker="^", markersize=60),
        mpf.make_addplot(rsi_np, panel=2, ylabel="RSI 14"),
        mpf.make_addplot(np.full(len(close), 30.0), panel=2, color="grey"),
        mpf.make_addplot(np.full(len(close), 70.0), panel=2, color="grey"),
    ]

    def one() -> bytes:
        buf = io.BytesIO()
        mpf.plot(
            pdf, type="candle", volume=True, addplot=adds, hlines=levels,
            fill_between=dict(y1=upper, y2=lower, alpha=0.2), figsize=(W / 100, H / 100),
            savefig=dict(fname=buf, dpi=100, format="png"),
        )  # fmt: skip
        plt.close("all")
        return buf.getvalue()

    kf.deactivate()
    one()
    theirs, png = median_ms(one, repeats)
    output_path("render-annotated-mplfinance.png").write_bytes(png)
    out["mplfinance_ms"] = theirs
    return out


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def memory_child(n: int) -> None:
    """Runs in the subprocess: build the frame, reset the RSS high-water mark, render, report."""
    import gc

    df = random_walk(n)
    gc.collect()
    # The first render of a process also loads once-per-process state: the font, the encoder's helper threads and,
    # once gpu_min_candles is set and reached, the GPU probe of engine "auto" (a Vulkan/GL driver; Mesa's software
    # one maps tens of MiB). Measure that separately, on a first chart as large as the measured one.
    start = _status("VmRSS")
    random_walk(n).kf.render(width=W, height=H)
    gc.collect()
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    img = df.kf.render(width=W, height=H)
    peak = _status("VmHWM")
    print(
        json.dumps(
            {"before": before, "peak": peak, "delta": peak - before, "bytes": len(img), "first_call": before - start}
        )
    )


def bench_memory(n: int) -> dict:
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-child", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--bars", type=int, default=500)
    ap.add_argument("--big", type=int, default=10_000_000)
    ap.add_argument("--mem", type=int, default=1_000_000)
    ap.add_argument("--no-mpl", action="store_true")
    ap.add_argument("--memory-child", type=int)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    print(
        f"# render benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, polars {pl.__version__}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    df = random_walk(args.bars)
    ours = bench_ours(df, args.repeats)
    mpl = None if args.no_mpl else bench_mplfinance(df, args.repeats)

    print(f"\n## {args.bars} candles + volume, {W}x{H} PNG, median of {args.repeats}\n")
    columns = ["wall ms", "prepare", "bind", "scene", "draw", "convert", "encode", "PNG bytes", "time ratio"]
    print(f"| renderer | {' | '.join(columns)} | size ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for speed, r in ours.items():
        tr = f"{r['wall_ms'] / mpl['wall_ms']:.3f}" if mpl else "-"
        sr = f"{r['bytes'] / mpl['bytes']:.3f}" if mpl else "-"
        print(
            f"| kimsfinance speed={speed} | {r['wall_ms']:.1f} | {r['prepare_ms']:.2f} | {r['bind_ms']:.2f} | "
            f"{r['scene_ms']:.2f} | {r['draw_ms']:.2f} | {r['convert_ms']:.2f} | {r['encode_ms']:.2f} | "
            f"{r['bytes']:,} | {tr} | {sr} |"
        )
    if mpl:
        print(
            f"| mplfinance {mpl['version']} ({mpl['size']}) | {mpl['wall_ms']:.1f} | | | | | | | {mpl['bytes']:,} "
            "| 1 | 1 |"
        )
        print(
            f"\nspeed-up (fast preset): {mpl['wall_ms'] / ours['fast']['wall_ms']:.1f}x; "
            f"PNG size ratio fast / mplfinance: {ours['fast']['bytes'] / mpl['bytes']:.2f}"
        )

    a = bench_annotated(df, args.repeats, mpl is not None)
    print(f"\n## {args.bars} candles + 2 hlines, a fill_between band, 20 markers, an RSI panel with 30 / 70 lines\n")
    if "mplfinance_ms" in a:
        print(
            f"kf {a['ours_ms']:.1f} ms, mplfinance {a['mplfinance_ms']:.1f} ms: "
            f"{a['mplfinance_ms'] / a['ours_ms']:.0f}x faster (goal: >= 100x)"
        )
    else:
        print(f"kf {a['ours_ms']:.1f} ms (mplfinance not installed)")

    if args.big:
        big = random_walk(args.big, seed=1)
        big.kf.render(width=W, height=H)
        wall, img = median_ms(lambda: big.kf.render(width=W, height=H), 3)
        t = img.timings
        print(f"\n## {args.big:,} candles → one {W}x{H} PNG (median of 3)\n")
        print(
            f"wall {wall:.1f} ms: prepare {t['prepare_ms']:.1f}, call into Rust {t['call_ms']:.1f} = bind "
            f"{t['bind_ms']:.1f} + scene {t['scene_ms']:.1f} (aggregation to "
            f"{t['slots']} slots), draw {t['draw_ms']:.1f}, convert {t['convert_ms']:.1f}, encode {t['encode_ms']:.1f}"
        )
        del big

    if args.mem:
        m = bench_memory(args.mem)
        budget = W * H * 4 + 32 * 2**20
        print(f"\n## peak memory rendering {args.mem:,} candles ({W}x{H} PNG, fresh subprocess)\n")
        print(
            f"RSS before {m['before'] / 2**20:.1f} MiB, peak {m['peak'] / 2**20:.1f} MiB, delta "
            f"{m['delta'] / 2**20:.1f} MiB; budget (one RGBA buffer {W * H * 4 / 2**20:.1f} MiB + 32 MiB) "
            f"{budget / 2**20:.1f} MiB → {'within' if m['delta'] <= budget else 'OVER'}; once per process before "
            "that (first chart: font, encoder threads; the GPU probe too once auto reaches gpu_min_candles): "
            f"{m['first_call'] / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    main()
