"""The ``kimsfinance`` command line (also ``python -m polars_kimsfinance``)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import polars as pl


def _demo(args: argparse.Namespace) -> int:
    import polars_kimsfinance as kf

    df = kf.load_sample()
    table = (
        df.kf.sma(20)
        .kf.ema(50)
        .kf.rsi(14)
        .kf.atr(14)
        .kf.obv()
        .select("date", "close", "sma_20", "ema_50", "rsi_14", "atr_14", "obv")
    )
    with pl.Config(tbl_rows=12, tbl_cols=-1, float_precision=2):
        print(f"SPY daily sample, {df.height} bars, last rows with indicators:")
        print(table.tail(12))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kimsfinance", description="Technical analysis and charts on Polars.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="compute indicators on the embedded SPY sample and print them")
    demo.add_argument("-o", "--output", default="chart.png", help="chart file to write (when rendering)")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
