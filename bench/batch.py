"""Batch rendering throughput: ``kf.render_many`` next to a Python loop over ``df.kf.render()``, a
``ThreadPoolExecutor`` over it and mplfinance in a loop, on the same charts, in one process.

Two workloads: ``small`` (100 candles with volume, 800x450, PNG fast) and ``large`` (500 candles with volume and two
overlays, sma:20 and ema:50, 1920x1080). For each: charts/s (wall), CPU time per chart (user + system of the whole
process, so helper threads count), and the ratios against the loop, the thread pool, mplfinance and 1 worker. Each
way runs ROUNDS rounds, alternated so that a burst of load from other processes hits all of them alike; the median
round is reported. Memory per worker: the RSS high-water mark of a fresh process drawing one batch at 1 and 2
workers, above its RSS before the batch, less the charts it returns, divided by the workers.

    python bench/batch.py [--charts 2000] [--rounds 3] [--mpl 6] [--no-mpl]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import polars as pl

import polars_kimsfinance as kf

WORKLOADS: dict[str, dict[str, Any]] = {
    "small": {"bars": 100, "options": dict(width=800, height=450, volume=True, format="png", speed="fast")},
    "large": {"bars": 500, "options": dict(width=1920, height=1080, volume=True, overlays=["sma:20", "ema:50"])},
}
GOALS = {"small": 3500.0, "large": 900.0}


def frames(workload: str, n: int) -> list[pl.DataFrame]:
    bars = WORKLOADS[workload]["bars"]
    return [kf.sample_ohlcv(bars, seed=i) for i in range(n)]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(run: Callable[[], int]) -> tuple[float, float]:
    """(charts/s, CPU ms per chart) of one run."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    n = run()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return n / wall, cpu / n * 1000.0


def ways(fs: list[pl.DataFrame], options: dict[str, Any]) -> dict[str, Callable[[], int]]:
    def loop() -> int:
        for f in fs:
            f.kf.render(**options)
        return len(fs)

    def pool() -> int:
        with ThreadPoolExecutor(2) as ex:
            return len(list(ex.map(lambda f: f.kf.render(**options), fs)))

    return {
        "render_many, 1 worker": lambda: len(kf.render_many(fs, workers=1, progress=False, **options)),
        "render_many, 2 workers": lambda: len(kf.render_many(fs, workers=2, progress=False, **options)),
        "loop over df.kf.render()": loop,
        "ThreadPoolExecutor(2) over df.kf.render()": pool,
    }


def mplfinance_rate(fs: list[pl.DataFrame], options: dict[str, Any]) -> tuple[float, float] | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import mplfinance as mpf
    except ImportError:
        return None
    w, h = options["width"], options["height"]
    frames_pd = []
    for f in fs:
        pdf = f.to_pandas().set_index("date")
        pdf.index = pdf.index.astype("datetime64[ns]")
        pdf.columns = ["Open", "High", "Low", "Close", "Volume"]
        frames_pd.append(pdf)
    mav = (20, 50) if options.get("overlays") else ()

    def run() -> int:
        for pdf in frames_pd:
            buf = io.BytesIO()
            mpf.plot(
                pdf,
                type="candle",
                volume=True,
                mav=mav,
                style="charles",
                figsize=(w / 100, h / 100),
                savefig=dict(fname=buf, dpi=100, format="png"),
            )
            plt.close("all")
        return len(frames_pd)

    run()  # warm-up: imports, font cache
    return measure(run)


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each thread of this process, by thread name (Linux)."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[f"{name} ({tid})"] = (int(fields[11]) + int(fields[12])) / tick
    return out


def memory_child(workload: str, workers: int, n: int) -> None:
    """Prints the batch's memory above the RSS before it, less the bytes of the charts it returns."""
    fs = frames(workload, n)
    options = WORKLOADS[workload]["options"]
    kf.render_many(fs[:2], workers=workers, **options)  # first-use costs (font, pool threads) before the baseline

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    before = rss()
    charts = kf.render_many(fs, workers=workers, **options)
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))
    results = sum(len(c) for c in charts)
    print(json.dumps({"extra": hwm - before - results, "results": results}))


def memory_per_worker(workload: str, workers: int, n: int) -> float | None:
    if not os.path.exists("/proc/self/clear_refs"):
        return None
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", workload, str(workers), str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["extra"] / workers / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charts", type=int, default=2000, help="charts per round (small; large uses a quarter)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mpl", type=int, default=6, help="mplfinance charts (about 3 per second)")
    parser.add_argument("--no-mpl", action="store_true")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]), int(args.memory_child[2]))
        return

    print(
        f"# bench/batch.py: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at start, polars {pl.__version__}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    for workload in ("small", "large"):
        n = args.charts if workload == "small" else max(args.charts // 4, 50)
        fs = frames(workload, n)
        options = WORKLOADS[workload]["options"]
        runs = ways(fs, options)
        for warm in ways(fs[:20], options).values():  # first-use costs (font, pool threads, allocator) off the clock
            warm()
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                results[name].append(measure(run))
        table = {
            name: min(r, key=lambda x: abs(x[0] - statistics.median(v[0] for v in r))) for name, r in results.items()
        }
        mpl = None if args.no_mpl else mplfinance_rate(fs[: args.mpl], options)
        if mpl is not None:
            table["mplfinance loop"] = mpl
        print(f"\n## {workload}: {WORKLOADS[workload]['bars']} candles, {options}, {n} charts, median of {args.rounds}")
        print("| way | charts/s | CPU ms / chart | render_many(2) is x faster |")
        print("|---|---:|---:|---:|")
        best = table["render_many, 2 workers"][0]
        for name, (rate, cpu) in table.items():
            print(f"| {name} | {rate:,.0f} | {cpu:.3f} | {best / rate:.2f} |")
        scaling = best / table["render_many, 1 worker"][0]
        print(f"scaling 1 -> 2 workers: {scaling:.2f}x (goal >= 1.8x)")
        print(
            f"render_many(2): {best:,.0f} charts/s (goal >= {GOALS[workload]:,.0f}): "
            f"{'met' if best >= GOALS[workload] else 'NOT met'}"
        )
        if os.path.isdir("/proc/self/task"):
            # Which threads did the work of one render_many(2): on a machine whose cores other processes hold, two
            # busy threads show that the batch is parallel even where the wall time cannot.
            before = thread_cpu()
            kf.render_many(fs, workers=2, progress=False, **options)
            spent = {k: v - before.get(k, 0.0) for k, v in thread_cpu().items()}
            busy = ", ".join(f"{k} {v:.2f} s" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]) if v > 0.05)
            print(f"CPU by thread in one render_many(workers=2): {busy}")
        mem = [memory_per_worker(workload, w, min(n, 400)) for w in (1, 2)]
        if mem[0] is not None:
            print(f"memory per worker: {mem[0]:.1f} MiB at 1 worker, {mem[1]:.1f} MiB at 2 workers")
    print(
        f"\nload average at the end {os.getloadavg()[0]:.1f} "
        "(other processes shared the cores if it is above the core count)"
    )


if __name__ == "__main__":
    main()
