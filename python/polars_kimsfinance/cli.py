"""The ``kimsfinance`` command line (also ``python -m polars_kimsfinance``).

``kimsfinance demo -o chart.png`` prints indicators of the embedded SPY sample and renders it;
``kimsfinance render FILE.csv -o chart.png --kind candle --overlay sma:20 --panel rsi`` draws a CSV or Parquet file
(without FILE, the embedded sample); ``kimsfinance render FILE --by symbol --out-dir charts/`` writes one chart per
symbol.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

import polars as pl

from .columns import TIME_NAMES

# Tried in order on a text time column; the first that parses every non-empty value wins.
_TIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y",
    "%Y%m%d",
)


def _parse_time(s: pl.Series) -> pl.Series:
    text = s.cast(pl.String).str.strip_chars()
    valid = text.filter(text.is_not_null() & (text != "")).len()
    for fmt in _TIME_FORMATS:
        parsed = text.str.strptime(pl.Datetime("us"), fmt, strict=False)
        if parsed.null_count() == s.len() - valid:
            # Series.cast is typed as returning Any in Polars' annotations; the annotation restores the type.
            result: pl.Series = parsed if "%H" in fmt else parsed.cast(pl.Date)
            return result.alias(s.name)
    return s


def read_ohlcv(path: str | Path) -> pl.DataFrame:
    """Read OHLCV bars from a CSV or Parquet file into a clean frame.

    Column names are lower-cased (``Open`` → ``open``, ``Adj Close`` → ``adj close``); ``last`` becomes ``close``
    when there is no close; a text date / time column is parsed (ISO ``2017-12-29``, US ``12/29/2017`` and
    ``11/5/2019 9:30``, among others); rows are sorted by time when the file is in reverse or mixed order.

    Examples
    --------
    >>> from polars_kimsfinance.data import _SAMPLE
    >>> df = read_ohlcv(_SAMPLE)
    >>> df.columns, df["date"].is_sorted()
    (['date', 'open', 'high', 'low', 'close', 'volume'], True)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pl.read_parquet(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        df = pl.read_csv(path, separator="\t" if suffix == ".tsv" else ",", infer_schema_length=10_000)
    else:
        raise ValueError(f"read_ohlcv: {path.name}: expected a .csv or .parquet file")
    lower = [c.strip().lower() for c in df.columns]
    if len(set(lower)) == len(lower):
        df = df.rename(dict(zip(df.columns, lower)))
    if "close" not in df.columns and "last" in df.columns:
        df = df.rename({"last": "close"})
    tcol = next((c for c in TIME_NAMES if c in df.columns), None)
    if tcol is not None:
        if df.schema[tcol] == pl.String:
            df = df.with_columns(_parse_time(df[tcol]))
        if not df[tcol].is_sorted():
            df = df.sort(tcol, maintain_order=True)
    return df


class _Failure(Exception):
    """A problem reported as one line on stderr (``kimsfinance: ...``) with exit status 2, without a traceback."""


def _one_line(error: BaseException) -> str:
    """The first line of an error's message (Polars adds hints and context on further lines)."""
    text = str(error).strip()
    line = text.splitlines()[0].strip() if text else ""
    return line or type(error).__name__


def _load(file: str | None) -> pl.DataFrame:
    import polars_kimsfinance as kf

    if file is None:
        return kf.load_sample()
    path = Path(file)
    if not path.exists():
        raise _Failure(f"{file}: no such file")
    if path.is_dir():
        raise _Failure(f"{file}: is a directory, expected a .csv or .parquet file")
    try:
        df = read_ohlcv(path)
    except BaseException as error:  # OSError, Polars' errors for malformed files, and a panic inside Polars
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        raise _Failure(f"{file}: cannot read it: {_one_line(error)}") from None
    if df.height == 0:
        raise _Failure(f"{file}: no rows")
    return df


def _save(image: Any, output: str) -> None:
    try:
        image.save(output)
    except OSError as error:
        raise _Failure(f"{output}: cannot write it: {error.strerror or _one_line(error)}") from None


def _format_for(output: str, given: str | None) -> str:
    if given is not None:
        return given
    suffix = Path(output).suffix.lower().lstrip(".")
    return {"png": "png", "svg": "svg", "webp": "webp", "rgba": "rgba", "raw": "rgba"}.get(suffix, "png")


def _render(args: argparse.Namespace) -> int:
    import polars_kimsfinance as kf  # noqa: F401  (registers df.kf)

    df = _load(args.file)
    kwargs = dict(
        width=args.width,
        height=args.height,
        theme=args.theme,
        style=args.style,
        volume=args.volume,
        overlays=args.overlay,
        panels=args.panel,
        title=args.title,
        subtitle=args.subtitle,
        scale=args.scale,
        yaxis=args.yaxis,
        xrotation=args.xrotation,
        format=_format_for(args.output, args.format) if args.by is None else (args.format or "png"),
        speed=args.speed,
        antialias=args.antialias,
        yscale=args.yscale,
    )
    if args.hline:
        kwargs["hlines"] = args.hline
    if args.vline:
        # A whole number is a row; anything else a time.
        kwargs["vlines"] = [int(v) if v.isdigit() else v for v in args.vline]
    if args.datetime_format is not None:
        kwargs["datetime_format"] = args.datetime_format
    if args.box_size is not None:
        kwargs["box_size"] = args.box_size
    if args.kind == "pnf":
        kwargs["reversal"] = args.reversal
    if args.by is not None:
        return _render_by(args, df, kwargs)
    try:
        # df.kf is registered at run time (pl.api.register_dataframe_namespace), unseen by mypy.
        image = df.kf.render(args.kind, **kwargs)  # type: ignore[attr-defined]
    except (ValueError, TypeError, RuntimeError, pl.exceptions.PolarsError) as e:
        raise _Failure(_one_line(e)) from None
    _save(image, args.output)
    t = image.timings
    print(
        f"wrote {args.output}: {image.width}x{image.height} {image.format}, {len(image):,} bytes, {df.height} bars "
        f"(draw {t.get('draw_ms', 0):.1f} ms, encode {t.get('encode_ms', 0):.1f} ms)"
    )
    return 0


def _render_by(args: argparse.Namespace, df: pl.DataFrame, kwargs: dict[str, object]) -> int:
    """One chart per value of the --by column, written to --out-dir (a progress bar on a terminal)."""
    import time

    t0 = time.perf_counter()
    try:
        # df.kf is registered at run time (pl.api.register_dataframe_namespace), unseen by mypy.
        paths = df.kf.render_by(  # type: ignore[attr-defined]
            args.by,
            args.kind,
            out_dir=args.out_dir,
            overwrite=args.overwrite,
            workers=args.workers,
            progress=args.progress,
            **kwargs,
        )
    except (ValueError, TypeError, OSError) as e:
        print(f"kimsfinance: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    print(f"wrote {len(paths)} charts to {args.out_dir} in {seconds:.2f} s ({len(paths) / max(seconds, 1e-9):,.0f}/s)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import polars_kimsfinance as kf

    df = kf.load_sample()
    table = (
        # df.kf is registered at run time (pl.api.register_dataframe_namespace), unseen by mypy.
        df.kf.sma(20)  # type: ignore[attr-defined]
        .kf.ema(50)
        .kf.rsi(14)
        .kf.atr(14)
        .kf.obv()
        .select("date", "close", "sma_20", "ema_50", "rsi_14", "atr_14", "obv")
    )
    with pl.Config(tbl_rows=12, tbl_cols=-1, float_precision=2):
        print(f"SPY daily sample, {df.height} bars, last rows with indicators:")
        print(table.tail(12))
    # df.kf is registered at run time (pl.api.register_dataframe_namespace), unseen by mypy.
    image = df.kf.render(  # type: ignore[attr-defined]
        "candle",
        overlays=["sma:20", "ema:50"],
        panels=["rsi:14"],
        title="SPY daily (sample)",
        format=_format_for(args.output, None),
    )
    _save(image, args.output)
    print(f"chart: {args.output} ({image.width}x{image.height} {image.format}, {len(image):,} bytes)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from .chart import FORMATS, KINDS, SPEEDS, THEMES

    parser = argparse.ArgumentParser(prog="kimsfinance", description="Technical analysis and charts on Polars.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="print indicators of the embedded SPY sample and render it")
    demo.add_argument("-o", "--output", default="chart.png", help="chart file to write (default chart.png)")
    demo.set_defaults(run=_demo)

    render = commands.add_parser("render", help="render a CSV / Parquet file of OHLCV bars (default: the sample)")
    render.add_argument("file", nargs="?", help="a .csv or .parquet file; omitted: the embedded SPY sample")
    render.add_argument("-o", "--output", default="chart.png", help="image to write; its suffix picks the format")
    render.add_argument("--kind", default="candle", choices=KINDS)
    render.add_argument("--width", type=int, default=1920)
    render.add_argument("--height", type=int, default=1080)
    render.add_argument("--theme", default="tradingview", choices=THEMES)
    render.add_argument("--style", help="an mplfinance style name, e.g. yahoo (needs mplfinance; replaces --theme)")
    render.add_argument("--volume", action=argparse.BooleanOptionalAction, default=True, help="volume panel")
    render.add_argument("--overlay", action="append", default=[], metavar="SPEC", help="e.g. sma:20 (repeatable)")
    render.add_argument("--panel", action="append", default=[], metavar="SPEC", help="e.g. rsi:14 (repeatable)")
    render.add_argument("--title")
    render.add_argument("--subtitle", help="a smaller line under the title")
    render.add_argument("--yaxis", choices=("right", "left"), default="right", help="the side of the y axes")
    render.add_argument("--xrotation", type=float, default=0.0, help="time-axis labels turned by this many degrees")
    render.add_argument("--scale", type=float, default=1.0, help="size, text and lines multiplied (e.g. 2 for HiDPI)")
    render.add_argument("--hline", action="append", type=float, default=[], metavar="PRICE", help="(repeatable)")
    render.add_argument("--vline", action="append", default=[], metavar="TIME|ROW", help="(repeatable)")
    render.add_argument("--yscale", default="linear", choices=("linear", "log"), help="price axis")
    render.add_argument("--datetime-format", metavar="STRFTIME", help="time-axis labels, e.g. %%Y-%%m-%%d")
    render.add_argument("--format", choices=FORMATS, help="default: from the output suffix, else png")
    render.add_argument("--speed", default="fast", choices=SPEEDS, help="PNG compression preset")
    render.add_argument("--antialias", action=argparse.BooleanOptionalAction, default=True)
    render.add_argument("--box-size", type=float, help="renko / pnf box size (default from ATR)")
    render.add_argument("--reversal", type=int, default=3, help="pnf reversal in boxes")
    render.add_argument("--by", metavar="COLUMN", help="one chart per value of this column (e.g. symbol)")
    render.add_argument("--out-dir", default="charts", help="with --by: directory of the charts (default charts/)")
    render.add_argument("--overwrite", action="store_true", help="with --by: replace existing files")
    render.add_argument("--workers", type=int, help="with --by: threads that draw (default: all cores)")
    render.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="with --by: progress bar"
    )
    render.set_defaults(run=_render)

    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run  # set by set_defaults above
    try:
        return run(args)
    except _Failure as failure:
        print(f"kimsfinance: {failure}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
