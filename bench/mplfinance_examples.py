"""mplfinance's own example notebooks, run with ``kf.activate()``: how many of their ``mpf.plot`` calls kf serves,
and how much faster the served ones are than mplfinance drawing the same call in the same process.

    git clone https://github.com/matplotlib/mplfinance && python bench/mplfinance_examples.py mplfinance/examples

Every code cell of the top-level notebooks (``examples/*.ipynb`` and ``examples/indicators/*.ipynb``) runs in one
namespace per notebook, in a temporary directory where ``data/`` is the examples' data folder. Each ``mpf.plot``
call is recorded: calls with ``ax=`` or ``returnfig=True`` (external axes, a figure handed back) are left out of
the count, as kf never serves them; every other call gets ``savefig=BytesIO()`` when it has no ``savefig`` (a
notebook displays the figure inline, a script needs a target), and is then drawn by the activated ``mpf.plot``.
A call is *served* when kf drew it. A served call is timed against the original ``mpf.plot`` (median of 3 each,
alternating). A call that fails with ``activate()`` but not without it is reported as a regression.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mplfinance as mpf  # noqa: E402

import polars_kimsfinance as kf  # noqa: E402


def notebooks(root: Path) -> list[Path]:
    return sorted(root.glob("*.ipynb")) + sorted((root / "indicators").glob("*.ipynb"))


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    out = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # IPython magics and shell lines are not Python.
        out.append("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    return out


class Recorder:
    """Wraps the activated ``mpf.plot``: classifies and times every call the notebooks make."""

    def __init__(self, original: Any, activated: Any, repeats: int) -> None:
        self.original, self.activated, self.repeats = original, activated, repeats
        self.calls: list[dict[str, Any]] = []

    def _served(self) -> int:
        return int(kf.get_performance_stats()["operations"]["mplfinance"]["calls"])

    def __call__(self, data: Any, **kwargs: Any) -> Any:
        record: dict[str, Any] = {"kwargs": sorted(kwargs)}
        self.calls.append(record)
        if kwargs.get("ax") is not None or kwargs.get("returnfig"):
            record["outcome"] = "external"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self.original(data, **kwargs)
        if kwargs.get("savefig") is None:
            kwargs["savefig"] = io.BytesIO()
        before = self._served()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = self.activated(data, **kwargs)
        except Exception as exc:  # noqa: BLE001 - classify, then compare with mplfinance alone
            record["outcome"] = "fails"
            try:
                self.original(data, **kwargs)
                record["regression"] = f"{type(exc).__name__}: {exc}"
            except Exception:  # noqa: BLE001 - mplfinance fails too: not ours
                pass
            plt.close("all")
            raise
        served = self._served() > before
        record["outcome"] = "served" if served else "mplfinance"
        if served and self.repeats:
            record["speedup"] = self._speedup(data, kwargs)
        plt.close("all")
        return result

    def _speedup(self, data: Any, kwargs: dict[str, Any]) -> float | None:
        ours, theirs = [], []
        for _ in range(self.repeats):
            for fn, times in ((self.activated, ours), (self.original, theirs)):
                args = {**kwargs, "savefig": io.BytesIO()} if isinstance(kwargs["savefig"], io.BytesIO) else kwargs
                t0 = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fn(data, **args)
                except Exception:  # noqa: BLE001 - mplfinance may fail where kf draws (e.g. its pnf on pandas 3)
                    return None
                times.append(time.perf_counter() - t0)
                plt.close("all")
        return statistics.median(theirs) / statistics.median(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", type=Path, help="mplfinance's examples/ folder")
    parser.add_argument("--repeats", type=int, default=3, help="timing rounds per served call (0: no timing)")
    parser.add_argument("--verbose", action="store_true", help="list the keywords of every call passed on")
    args = parser.parse_args()
    root = args.examples.resolve()
    kf.configure(performance_tracking=True)
    kf.activate()
    activated, original = mpf.plot, kf.mplfinance._original("plot")
    recorder = Recorder(original, activated, args.repeats)
    per_notebook: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(root / "data", Path(tmp) / "data")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            for nb in notebooks(root):
                start = len(recorder.calls)
                namespace: dict[str, Any] = {"__name__": "__main__"}
                mpf.plot = recorder
                failed_cells = 0
                for source in code_cells(nb):
                    # The notebooks import mplfinance themselves; the import hands back the module whose plot
                    # is the recorder.
                    with contextlib.redirect_stdout(io.StringIO()):
                        try:
                            exec(compile(source, str(nb), "exec"), namespace)  # noqa: S102 - the examples
                        except Exception:  # noqa: BLE001 - a failing cell does not stop the notebook
                            failed_cells += 1
                    plt.close("all")
                calls = recorder.calls[start:]
                served = sum(c["outcome"] == "served" for c in calls)
                counted = sum(c["outcome"] != "external" for c in calls)
                per_notebook[nb.name] = [served, counted, len(calls), failed_cells]
        finally:
            os.chdir(cwd)
            mpf.plot = activated
            kf.deactivate()
    calls = recorder.calls
    counted = [c for c in calls if c["outcome"] != "external"]
    served = [c for c in counted if c["outcome"] == "served"]
    print("| notebook | served | counted | calls | failed cells |\n|---|---:|---:|---:|---:|")
    for name, (s, c, total, failed) in per_notebook.items():
        print(f"| {name} | {s} | {c} | {total} | {failed} |")
    share = len(served) / max(len(counted), 1)
    print(f"\n{len(calls)} calls ran; {len(calls) - len(counted)} use ax= or returnfig=True (not counted).")
    print(f"served {len(served)} of {len(counted)} counted calls: {share:.0%}")
    speedups = [c["speedup"] for c in served if c.get("speedup")]
    if speedups:
        print(f"median speed-up of served calls vs mplfinance: {statistics.median(speedups):.1f}x (n={len(speedups)})")
    tight = [c["speedup"] for c in served if c.get("speedup") and "tight_layout" in c["kwargs"]]
    if tight:
        # tight_layout=True calls have matplotlib lay out the figure to learn the cropped size (docs/adapter.md)
        print(f"  of which tight_layout=True: {statistics.median(tight):.1f}x (n={len(tight)})")
    regressions = [c for c in calls if c.get("regression")]
    print(f"calls that fail only with activate(): {len(regressions)}")
    for c in regressions:
        print("  ", c["kwargs"], c["regression"])
    passed: dict[str, int] = {}
    for c in counted:
        if c["outcome"] == "mplfinance":
            for k in c["kwargs"]:
                passed[k] = passed.get(k, 0) + 1
    print("keywords of the calls passed to mplfinance:", sorted(passed.items(), key=lambda kv: -kv[1])[:15])
    if args.verbose:
        for c in counted:
            if c["outcome"] == "mplfinance":
                print("  passed:", ", ".join(k for k in c["kwargs"] if k != "savefig"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
