"""A/B of builds of the extension on the chart benchmark, idle and beside a busy process, interleaved in one session.

Each run is a fresh ``bench/render.py --no-mpl --big 0 --mem 0`` with ``PYTHONPATH`` pointing at one build's
``python/`` directory (a copy of the package with its ``_internal`` library). Rounds go through every build in a new
random order, each build once idle and once while a process spins on core 0, so slow drift of a shared machine
spreads over all builds alike. Prints, per build and load, the median over rounds of the run medians: wall time and
encode time of the ``fast`` preset (the one encoded in parallel).

    python bench/render_ab.py --build old=/tmp/old --build new=python [--rounds 5] [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# bench/render.py uses the `kf` namespace, which the import registers; the import also shows which build is loaded.
RUN_RENDER = (
    "import runpy, sys, polars_kimsfinance as kf\n"
    "print('# build', kf.__file__, file=sys.stderr)\n"
    f"sys.argv[0] = {os.path.join(HERE, 'render.py')!r}\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def busy_on_core0() -> subprocess.Popen:
    """A process spinning on core 0: a helper thread scheduled there shares it."""
    code = "import os\nos.sched_setaffinity(0, {0})\nwhile True:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def one_run(path: str, repeats: int) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(path))
    out = subprocess.run(
        [sys.executable, "-c", RUN_RENDER, "--no-mpl", "--big", "0", "--mem", "0", "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd="/tmp",
    ).stdout
    row = next(line for line in out.splitlines() if line.startswith("| kimsfinance speed=fast"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    return float(cells[1]), float(cells[7])  # wall ms, encode ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append", required=True, help="NAME=PATH of a python/ directory")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    builds = dict(b.split("=", 1) for b in args.build)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in range(args.rounds):
        order = [(name, load) for name in builds for load in ("idle", "busy core 0")]
        random.shuffle(order)
        for name, load in order:
            spinner = busy_on_core0() if load != "idle" else None
            try:
                results.setdefault((name, load), []).append(one_run(builds[name], args.repeats))
            finally:
                if spinner:
                    spinner.kill()
                    spinner.wait()
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(f"{os.cpu_count()} CPUs; median over {args.rounds} rounds of medians of {args.repeats}, fast preset\n")
    print("| build | load | wall ms | encode ms | encode ms, each round |")
    print("|---|---|---:|---:|---|")
    for (name, load), runs in sorted(results.items()):
        wall = statistics.median(w for w, _ in runs)
        enc = statistics.median(e for _, e in runs)
        each = ", ".join(f"{e:.2f}" for _, e in runs)
        print(f"| {name} | {load} | {wall:.1f} | {enc:.2f} | {each} |")


if __name__ == "__main__":
    main()
