"""From how many candles is the GPU engine faster than the CPU engine on this machine? Runs ``kf.calibrate_gpu``
(median wall time of ``df.kf.render`` to PNG with volume, per engine and chart size) and prints the machine, the
adapter, the table and the threshold it would set as ``gpu_min_candles``.

    python bench/gpu_threshold.py [--repeats 7] [--width 1920] [--height 1080] [--sizes 1000,10000,...] [--apply]

Run it on the machine and at the chart size you render; put the threshold in your setup with
``kf.configure(gpu_min_candles=...)`` (``--apply`` only sets it for this process, which then exits).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import polars_kimsfinance as kf
from polars_kimsfinance.calibrate import CALIBRATION_SIZES


def sizes(text: str) -> tuple[int, ...]:
    """``"1000,10_000"`` -> (1000, 10000); calibrate_gpu itself rejects what is not >= 1."""
    return tuple(int(part) for part in text.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, default=CALIBRATION_SIZES, help="comma-separated candle counts")
    parser.add_argument("--repeats", type=int, default=7, help="timed renders per engine and size (median)")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--apply", action="store_true", help="also set gpu_min_candles (for this process only)")
    args = parser.parse_args()

    # The load matters: on a shared machine both engines slow down, so the absolute times move between runs.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"date: {time.strftime('%a %b %d %H:%M:%S %Z %Y')}")
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    print(f"polars_kimsfinance {kf.__version__}, gpu_min_candles now {kf.get_config()['gpu_min_candles']}")
    result = kf.calibrate_gpu(args.sizes, args.repeats, args.width, args.height, args.apply)
    adapter = result.adapter
    if adapter is not None:
        print(
            f"adapter: {adapter['name']}, backend {adapter['backend']}, type {adapter['device_type']}, "
            f"driver {adapter['driver']}, software {adapter['software']}"
        )
    print()
    print(result)


if __name__ == "__main__":
    main()
