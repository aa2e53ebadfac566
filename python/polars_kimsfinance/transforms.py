"""DataFrame methods that produce new frames: bar transforms (renko, point-and-figure, kagi, three-line break,
tick / volume / range bars, resampling), the volume profile and Fibonacci retracements.

Each transform is a plain function taking a ``pl.DataFrame`` first; the same function is available as a method on
``df.kf`` and on ``lf.kf`` (a LazyFrame collects only the columns the transforms can use, then runs it). The
caller's frame is never modified. Input columns are found case-insensitively (``close`` matches ``Close``) unless
named with the keyword of the same name. Nulls, NaNs and infinities in price inputs are missing values: skipped.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from numbers import Real
from typing import Any, Callable

import polars as pl

from . import _internal
from ._shield import shielded
from .catalogue.spec import MAX_COUNT
from .columns import TIME_NAMES, default_box_size, median_atr, optional_column, resolve_columns, time_column
from .namespaces import DataFrameNamespace, LazyFrameNamespace

_ROLE_NAMES = {"open", "high", "low", "close", "volume", "price", "size", *TIME_NAMES}
_FIB_LEVELS = (0.0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0)
# Polars' calendar durations ("1h", "15m", "1d12h", "1mo", "1q", "1y"); checked here because some Polars releases
# panic instead of raising on a malformed one.
_DURATION = re.compile(r"(?:\d+(?:ns|us|µs|ms|s|m|h|d|w|mo|q|y))+")


# ---------------------------------------------------------------------------------------------------------------
# Validation and column lookup.


def _positive(func: str, name: str, value: Any) -> float:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:  # an int beyond float's range (its digits are not printed: there may be thousands)
            raise ValueError(f"{func}: {name} is out of range, got an integer of {value.bit_length()} bits") from None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{func}: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def _count(func: str, name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{func}: {name} must be an integer >= {minimum}, got {value!r}")
    if value > MAX_COUNT:  # the kernels' bound; beyond it Rust's integer conversion fails without naming anything
        raise ValueError(f"{func}: {name} must be at most {MAX_COUNT}, got {value!r}")
    return value


def _choice(func: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{func}: {name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _frame(func: str, df: Any) -> pl.DataFrame:
    if not isinstance(df, pl.DataFrame):
        raise TypeError(f"{func}: expected a polars DataFrame, got {type(df).__name__}")
    return df


def _cols(func: str, df: pl.DataFrame, roles: Sequence[str], overrides: dict[str, str | None]) -> dict[str, str]:
    return resolve_columns(func, df.columns, roles, overrides)


def _series(func: str, df: pl.DataFrame, column: str) -> pl.Series:
    s = df[column]
    if not (s.dtype.is_numeric() or s.dtype == pl.Null):
        raise ValueError(f"{func}: column {column!r} has dtype {s.dtype}; expected a numeric column")
    return s


def _with_time(out: pl.DataFrame, df: pl.DataFrame, time: str | None) -> pl.DataFrame:
    """Insert the timestamps of the source rows ``out["bar"]`` after that column."""
    if time is None:
        return out
    return out.insert_column(1, df[time].gather(out["bar"]))


# ---------------------------------------------------------------------------------------------------------------
# Resampling.


@shielded("ohlc_resample")
def ohlc_resample(
    df: pl.DataFrame,
    every: str = "1h",
    *,
    time: str | None = None,
    open: str | None = None,
    high: str | None = None,
    low: str | None = None,
    close: str | None = None,
    volume: str | None = None,
) -> pl.DataFrame:
    """Resample OHLCV bars to a coarser interval.

    Rows are bucketed by ``dt.truncate(every)`` of the time column; each run of rows with the same bucket becomes
    one bar: the first open, the highest high, the lowest low, the last close and the summed volume, skipping
    missing values (a bucket whose values are all missing gives null). Rows with a null time are dropped.

    Parameters
    ----------
    df : pl.DataFrame
        OHLCV bars sorted by time.
    every : str, default "1h"
        Bucket width, a Polars duration string (``"5m"``, ``"1h"``, ``"1d"``, ``"1w"``, ``"1mo"``).
    time : str, optional
        Date or Datetime column; by default one named date / datetime / time / timestamp (any case), else the
        only temporal column.
    open, high, low, close, volume : str, optional
        Input columns, found case-insensitively when not given. Volume is optional: without a volume column the
        result has none.

    Returns
    -------
    pl.DataFrame
        One row per bucket: the bucket start (named like the time column), then open, high, low, close and
        volume, named like the input columns. Float32 and integer inputs keep their dtype (summed volume: Int64).

    Raises
    ------
    ValueError
        When ``every`` is not a duration, the time column is not temporal or not sorted, or a column is missing.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_kimsfinance as kf
    >>> df = kf.sample_ohlcv(6, interval="1h")
    >>> out = df.kf.ohlc_resample("3h")
    >>> out.select("date", "volume").with_columns(pl.col("date").dt.hour())
    shape: (2, 2)
    ┌──────┬─────────┐
    │ date ┆ volume  │
    │ ---  ┆ ---     │
    │ i8   ┆ i64     │
    ╞══════╪═════════╡
    │ 0    ┆ 3054497 │
    │ 3    ┆ 5129983 │
    └──────┴─────────┘
    >>> out["high"].to_list() == [df["high"][:3].max(), df["high"][3:].max()]
    True
    """
    func = "ohlc_resample"
    df = _frame(func, df)
    if not isinstance(every, str) or not every:
        raise ValueError(f"{func}: every must be a duration string such as '1h', got {every!r}")
    tcol = time_column(func, df, time)
    if tcol is None:
        raise ValueError(f"{func}: no time column found among {df.columns}; pass time=...")
    tdtype = df.schema[tcol]
    if not (tdtype == pl.Date or isinstance(tdtype, pl.Datetime)):
        raise ValueError(f"{func}: time column {tcol!r} has dtype {tdtype}; expected Date or Datetime")
    cols = _cols(func, df, ("open", "high", "low", "close"), {"open": open, "high": high, "low": low, "close": close})
    vcol = optional_column(func, df, ("volume",), volume)
    roles = [("open", "first"), ("high", "max"), ("low", "min"), ("close", "last")]
    names = [cols[r] for r, _ in roles]
    aggs = [a for _, a in roles]
    if vcol is not None:
        names.append(vcol)
        aggs.append("sum")
    for name in names:
        _series(func, df, name)
    data = df.select(tcol, *names).filter(pl.col(tcol).is_not_null())
    if not data[tcol].is_sorted():
        raise ValueError(f"{func}: time column {tcol!r} must be sorted ascending; sort the frame first")
    if not isinstance(every, str) or not _DURATION.fullmatch(every):
        raise ValueError(
            f"{func}: every must be a duration string such as '1h', '15m', '1d', '1w' or '1mo', got {every!r}"
        )
    if not any(int(n) > 0 for n in re.findall(r"\d+", every)):
        # Polars truncates to a zero duration as to nothing at all: the input would come back unchanged.
        raise ValueError(f"{func}: every must be a positive duration, got {every!r}")
    try:
        buckets = data[tcol].dt.truncate(every)
    except Exception as e:  # polars raises several error types for a bad duration
        raise ValueError(f"{func}: every must be a duration string such as '1h', got {every!r} ({e})") from None
    keys = buckets.to_physical().cast(pl.Int64)
    out = _internal._resample_runs(keys, [data[n] for n in names], aggs)
    columns = [buckets.gather(out["_row"]).alias(tcol)]
    for name, agg in zip(names, aggs):
        dtype = data.schema[name]
        result = out[name]
        if dtype == pl.Float32 or (dtype.is_integer() and agg != "sum"):
            result = result.cast(dtype)
        elif dtype.is_integer():
            result = result.cast(pl.Int64)
        columns.append(result)
    return pl.DataFrame(columns)


# ---------------------------------------------------------------------------------------------------------------
# Price-only charts: renko, point and figure, kagi, three-line break.


@shielded("renko")
def renko(
    df: pl.DataFrame,
    box_size: float | None = None,
    *,
    close: str | None = None,
    high: str | None = None,
    low: str | None = None,
    time: str | None = None,
) -> pl.DataFrame:
    """Classic renko bricks from closing prices.

    The brick grid is anchored at the first valid close. A brick is added each time the close reaches the next
    box in the current direction; a reversal needs the close to move two boxes past the last brick's close, and the
    reversal brick starts at the last brick's open. One bar can add several bricks; bars that add none are dropped.

    Parameters
    ----------
    df : pl.DataFrame
        Price bars in time order.
    box_size : float, optional
        Brick height in price units. Default: 0.75 times the median ATR(14) of the frame (needs high, low, close).
    close, high, low : str, optional
        Input columns, found case-insensitively when not given (high and low only for the default box size).
    time : str, optional
        Time column whose value at ``bar`` is kept; found by name (date / datetime / time / timestamp) when not
        given, omitted when there is none.

    Returns
    -------
    pl.DataFrame
        One row per brick: ``bar`` (row index of the bar that completed it), the time column when present,
        ``open``, ``close`` and ``direction`` (+1 up, -1 down, Int8).

    Raises
    ------
    ValueError
        When ``box_size`` is not a finite number > 0, or cannot be derived from the frame.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"close": [10.0, 11.2, 12.1, 11.5, 9.8, 12.0]})
    >>> df.kf.renko(1.0)
    shape: (4, 4)
    ┌─────┬──────┬───────┬───────────┐
    │ bar ┆ open ┆ close ┆ direction │
    │ --- ┆ ---  ┆ ---   ┆ ---       │
    │ i64 ┆ f64  ┆ f64   ┆ i8        │
    ╞═════╪══════╪═══════╪═══════════╡
    │ 1   ┆ 10.0 ┆ 11.0  ┆ 1         │
    │ 2   ┆ 11.0 ┆ 12.0  ┆ 1         │
    │ 4   ┆ 11.0 ┆ 10.0  ┆ -1        │
    │ 5   ┆ 11.0 ┆ 12.0  ┆ 1         │
    └─────┴──────┴───────┴───────────┘
    """
    func = "renko"
    df = _frame(func, df)
    if box_size is None:
        box_size = default_box_size(func, "renko", df, high, low, close)
    box_size = _positive(func, "box_size", box_size)
    c = _cols(func, df, ("close",), {"close": close})["close"]
    tcol = time_column(func, df, time)
    out = _internal._renko(_series(func, df, c), box_size).with_columns(pl.col("direction").cast(pl.Int8))
    return _with_time(out, df, tcol)


@shielded("pnf")
def pnf(
    df: pl.DataFrame,
    box_size: float | None = None,
    reversal: int = 3,
    *,
    source: str = "hl",
    high: str | None = None,
    low: str | None = None,
    close: str | None = None,
) -> pl.DataFrame:
    """Point-and-figure columns.

    Boxes lie on the multiples of ``box_size``. With ``source="hl"`` a bar's high fills the boxes at or below it
    and its low those at or above it; with ``source="close"`` the close plays both parts. The first column forms
    once the range since the first bar spans ``reversal`` boxes: X when that bar made the new high, O when it made
    the new low (X when both). An X column grows while highs reach new boxes; otherwise a low ``reversal`` boxes
    below its top starts an O column one box below the top. O columns mirror this. A one-box reversal still
    starts a new column (no X and O in one column).

    Parameters
    ----------
    df : pl.DataFrame
        Price bars in time order.
    box_size : float, optional
        Box height in price units. Default: the median ATR(14) of the frame.
    reversal : int, default 3
        Number of boxes against the column that starts a new column.
    source : {"hl", "close"}, default "hl"
        Which prices fill the boxes.
    high, low, close : str, optional
        Input columns, found case-insensitively when not given.

    Returns
    -------
    pl.DataFrame
        One row per column: ``column`` (0, 1, ...), ``kind`` ("X" or "O"), ``top`` and ``bottom`` (prices of the
        highest and lowest box), ``boxes``, ``start_bar`` and ``end_bar`` (row indices of the bar that started the
        column and of the last bar that extended it).

    Raises
    ------
    ValueError
        When ``box_size`` is not a finite number > 0, ``reversal`` is not an integer >= 1, or ``source`` is unknown.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"close": [100.0, 101.0, 103.2, 102.0, 99.5, 98.0, 101.0]})
    >>> df.kf.pnf(1.0, 3, source="close")
    shape: (3, 7)
    ┌────────┬──────┬───────┬────────┬───────┬───────────┬─────────┐
    │ column ┆ kind ┆ top   ┆ bottom ┆ boxes ┆ start_bar ┆ end_bar │
    │ ---    ┆ ---  ┆ ---   ┆ ---    ┆ ---   ┆ ---       ┆ ---     │
    │ i64    ┆ str  ┆ f64   ┆ f64    ┆ i64   ┆ i64       ┆ i64     │
    ╞════════╪══════╪═══════╪════════╪═══════╪═══════════╪═════════╡
    │ 0      ┆ X    ┆ 103.0 ┆ 100.0  ┆ 4     ┆ 0         ┆ 2       │
    │ 1      ┆ O    ┆ 102.0 ┆ 98.0   ┆ 5     ┆ 4         ┆ 5       │
    │ 2      ┆ X    ┆ 101.0 ┆ 99.0   ┆ 3     ┆ 6         ┆ 6       │
    └────────┴──────┴───────┴────────┴───────┴───────────┴─────────┘
    """
    func = "pnf"
    df = _frame(func, df)
    _choice(func, "source", source, ("hl", "close"))
    reversal = _count(func, "reversal", reversal)
    if box_size is None:
        box_size = default_box_size(func, "pnf", df, high, low, close)
    box_size = _positive(func, "box_size", box_size)
    if source == "hl":
        cols = _cols(func, df, ("high", "low"), {"high": high, "low": low})
        hi, lo = _series(func, df, cols["high"]), _series(func, df, cols["low"])
    else:
        hi = lo = _series(func, df, _cols(func, df, ("close",), {"close": close})["close"])
    return _internal._pnf(hi, lo, box_size, reversal)


@shielded("kagi")
def kagi(
    df: pl.DataFrame,
    reversal: float | None = None,
    *,
    mode: str = "percent",
    close: str | None = None,
    high: str | None = None,
    low: str | None = None,
    time: str | None = None,
) -> pl.DataFrame:
    """Kagi chart turning points from closing prices.

    The line starts at the first valid close and takes the direction of the first move of at least the reversal
    amount. It follows new extremes and turns when the close retreats from the extreme by the reversal amount. The
    line becomes thick (yang) when it rises above the previous shoulder (the last top) and thin (yin) when it falls
    below the previous waist (the last bottom); the first line is yang if it rises and yin if it falls.

    Parameters
    ----------
    df : pl.DataFrame
        Price bars in time order.
    reversal : float, optional
        The reversal amount. With ``mode="percent"`` a fraction of the extreme price (0.04 = 4%), which is the
        default; with ``mode="absolute"`` a price amount, by default the median ATR(14) of the frame.
    mode : {"percent", "absolute"}, default "percent"
        How ``reversal`` is read.
    close, high, low : str, optional
        Input columns, found case-insensitively when not given (high and low only for the absolute default).
    time : str, optional
        Time column whose value at ``bar`` is kept; found by name when not given, omitted when there is none.

    Returns
    -------
    pl.DataFrame
        The vertices of the kagi line: the starting point (``direction`` 0), each turning point, and the extreme
        of the last, still-open line. Columns ``bar`` (row where the price was reached), the time column when
        present, ``price``, ``direction`` (+1 for the end of a rising line, -1 falling; Int8) and ``thickness``
        ("yang" or "yin" at that point; null on the start row when no line formed).

    Raises
    ------
    ValueError
        When ``reversal`` is not a finite number > 0 or ``mode`` is unknown.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"close": [100.0, 101.0, 110.0, 104.0, 108.0, 112.0, 100.0, 103.0]})
    >>> df.kf.kagi(5.0, mode="absolute")
    shape: (5, 4)
    ┌─────┬───────┬───────────┬───────────┐
    │ bar ┆ price ┆ direction ┆ thickness │
    │ --- ┆ ---   ┆ ---       ┆ ---       │
    │ i64 ┆ f64   ┆ i8        ┆ str       │
    ╞═════╪═══════╪═══════════╪═══════════╡
    │ 0   ┆ 100.0 ┆ 0         ┆ yang      │
    │ 2   ┆ 110.0 ┆ 1         ┆ yang      │
    │ 3   ┆ 104.0 ┆ -1        ┆ yang      │
    │ 5   ┆ 112.0 ┆ 1         ┆ yang      │
    │ 6   ┆ 100.0 ┆ -1        ┆ yin       │
    └─────┴───────┴───────────┴───────────┘
    """
    func = "kagi"
    df = _frame(func, df)
    _choice(func, "mode", mode, ("percent", "absolute"))
    if reversal is None:
        reversal = 0.04 if mode == "percent" else median_atr(func, df, high, low, close)
    reversal = _positive(func, "reversal", reversal)
    c = _cols(func, df, ("close",), {"close": close})["close"]
    tcol = time_column(func, df, time)
    out = _internal._kagi(_series(func, df, c), reversal, mode == "percent")
    return _with_time(out.with_columns(pl.col("direction").cast(pl.Int8)), df, tcol)


@shielded("three_line_break")
def three_line_break(
    df: pl.DataFrame,
    lines: int = 3,
    *,
    close: str | None = None,
    time: str | None = None,
) -> pl.DataFrame:
    """Three-line-break (line break) chart from closing prices.

    The first line runs from the first valid close to the first close that differs. A close beyond the last
    line's close adds a line in the same direction starting at that close; a close beyond the extreme of the last
    ``lines`` lines (all of them while there are fewer) in the other direction adds a reversal line starting at the
    last line's open. Other closes add nothing.

    Parameters
    ----------
    df : pl.DataFrame
        Price bars in time order.
    lines : int, default 3
        How many lines a reversal must break.
    close : str, optional
        Close column, found case-insensitively when not given.
    time : str, optional
        Time column whose value at ``bar`` is kept; found by name when not given, omitted when there is none.

    Returns
    -------
    pl.DataFrame
        One row per line: ``bar``, the time column when present, ``open``, ``close``, ``direction`` (Int8).

    Raises
    ------
    ValueError
        When ``lines`` is not an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"close": [10.0, 11.0, 12.0, 13.0, 11.5, 14.0, 9.0]})
    >>> df.kf.three_line_break()["direction"].to_list()
    [1, 1, 1, 1, -1]
    >>> df.kf.three_line_break()[-1].select("bar", "open", "close").row(0)
    (6, 13.0, 9.0)
    """
    func = "three_line_break"
    df = _frame(func, df)
    lines = _count(func, "lines", lines)
    c = _cols(func, df, ("close",), {"close": close})["close"]
    tcol = time_column(func, df, time)
    out = _internal._three_line_break(_series(func, df, c), lines).with_columns(pl.col("direction").cast(pl.Int8))
    return _with_time(out, df, tcol)


# ---------------------------------------------------------------------------------------------------------------
# Bars from trades.


def _trade_bars(
    func: str,
    df: pl.DataFrame,
    rule: str,
    threshold: float,
    price: str | None,
    size: str | None,
    time: str | None,
    include_partial: bool,
    need_size: bool,
) -> pl.DataFrame:
    df = _frame(func, df)
    if not isinstance(include_partial, bool):
        raise ValueError(f"{func}: include_partial must be True or False, got {include_partial!r}")
    pcol = optional_column(func, df, ("price", "close"), price)
    if pcol is None:
        raise ValueError(f"{func}: no 'price' (or 'close') column among {df.columns}; pass price=... to name it")
    scol = optional_column(func, df, ("size", "volume"), size)
    if scol is None and need_size:
        raise ValueError(f"{func}: no 'size' (or 'volume') column among {df.columns}; pass size=... to name it")
    tcol = time_column(func, df, time)
    sizes = _series(func, df, scol) if scol is not None else None
    out = _internal._trade_bars(func, _series(func, df, pcol), sizes, rule, float(threshold), include_partial)
    columns = []
    if tcol is not None:
        columns += [df[tcol].gather(out["first_row"]), df[tcol].gather(out["last_row"]).alias(f"{tcol}_end")]
    columns += [out[c] for c in ("open", "high", "low", "close")]
    if scol is not None:
        columns.append(out["volume"])
    columns += [out["trades"], out["first_row"], out["last_row"]]
    return pl.DataFrame(columns)


_TRADE_DOC = """
    Trades are read in row order; a trade whose price (or size) is null, NaN or infinite is skipped. {rule}

    Parameters
    ----------
    df : pl.DataFrame
        Trades in time order.
    {param}
    price : str, optional
        Trade price column: ``price``, else ``close`` (any case) when not given.
    size : str, optional
        Trade size column: ``size``, else ``volume`` (any case) when not given. {size_note}
    time : str, optional
        Timestamp column; found by name (date / datetime / time / timestamp) when not given.
    include_partial : bool, default True
        Keep the last bar even if its rule was not met yet.

    Returns
    -------
    pl.DataFrame
        One row per bar: the time of its first trade (named like the time column) and of its last trade
        (``<time>_end``) when there is a time column, ``open``, ``high``, ``low``, ``close``, ``volume`` (the
        summed size, when there is a size column), ``trades`` (valid trades in the bar), ``first_row`` and
        ``last_row`` (row indices of its first and last trade).

    Raises
    ------
    ValueError
        {raises}
"""


@shielded("tick_bars")
def tick_bars(
    df: pl.DataFrame,
    n: int,
    *,
    price: str | None = None,
    size: str | None = None,
    time: str | None = None,
    include_partial: bool = True,
) -> pl.DataFrame:
    func = "tick_bars"
    n = _count(func, "n", n)
    return _trade_bars(func, df, "ticks", n, price, size, time, include_partial, need_size=False)


tick_bars.__doc__ = (
    "OHLCV bars of ``n`` trades each.\n"
    + _TRADE_DOC.format(
        rule="A bar closes after its ``n``-th valid trade.",
        param="n : int\n        Trades per bar.",
        size_note="Optional.",
        raises="When ``n`` is not an integer >= 1 or there is no price column.",
    )
    + """
    Examples
    --------
    >>> import polars as pl
    >>> trades = pl.DataFrame({"price": [10.0, 10.5, 10.2, 10.8, 10.1], "size": [1, 2, 1, 3, 1]})
    >>> trades.kf.tick_bars(2).select("open", "high", "low", "close", "volume", "trades")
    shape: (3, 6)
    ┌──────┬──────┬──────┬───────┬────────┬────────┐
    │ open ┆ high ┆ low  ┆ close ┆ volume ┆ trades │
    │ ---  ┆ ---  ┆ ---  ┆ ---   ┆ ---    ┆ ---    │
    │ f64  ┆ f64  ┆ f64  ┆ f64   ┆ f64    ┆ i64    │
    ╞══════╪══════╪══════╪═══════╪════════╪════════╡
    │ 10.0 ┆ 10.5 ┆ 10.0 ┆ 10.5  ┆ 3.0    ┆ 2      │
    │ 10.2 ┆ 10.8 ┆ 10.2 ┆ 10.8  ┆ 4.0    ┆ 2      │
    │ 10.1 ┆ 10.1 ┆ 10.1 ┆ 10.1  ┆ 1.0    ┆ 1      │
    └──────┴──────┴──────┴───────┴────────┴────────┘
"""
)


@shielded("volume_bars")
def volume_bars(
    df: pl.DataFrame,
    volume: float,
    *,
    price: str | None = None,
    size: str | None = None,
    time: str | None = None,
    include_partial: bool = True,
) -> pl.DataFrame:
    func = "volume_bars"
    volume = _positive(func, "volume", volume)
    return _trade_bars(func, df, "volume", volume, price, size, time, include_partial, need_size=True)


volume_bars.__doc__ = (
    "OHLCV bars that each hold about ``volume`` traded size.\n"
    + _TRADE_DOC.format(
        rule="A bar closes with the trade that brings its summed size to ``volume`` or more (trades are not "
        "split, so a bar may exceed ``volume``).",
        param="volume : float\n        Size per bar.",
        size_note="Required.",
        raises="When ``volume`` is not a finite number > 0 or there is no price or size column.",
    )
    + """
    Examples
    --------
    >>> import polars as pl
    >>> trades = pl.DataFrame({"price": [10.0, 10.5, 10.2, 10.8, 10.1], "size": [1, 2, 1, 3, 1]})
    >>> trades.kf.volume_bars(3)["volume"].to_list()
    [3.0, 4.0, 1.0]
"""
)


@shielded("range_bars")
def range_bars(
    df: pl.DataFrame,
    range: float,
    *,
    price: str | None = None,
    size: str | None = None,
    time: str | None = None,
    include_partial: bool = True,
) -> pl.DataFrame:
    func = "range_bars"
    range = _positive(func, "range", range)
    return _trade_bars(func, df, "range", range, price, size, time, include_partial, need_size=False)


range_bars.__doc__ = (
    "OHLCV bars that each span about ``range`` in price.\n"
    + _TRADE_DOC.format(
        rule="A bar closes with the trade that makes its high - low reach ``range`` or more (that trade belongs "
        "to the bar; the next trade opens a new one).",
        param="range : float\n        Price range per bar.",
        size_note="Optional.",
        raises="When ``range`` is not a finite number > 0 or there is no price column.",
    )
    + """
    Examples
    --------
    >>> import polars as pl
    >>> trades = pl.DataFrame({"price": [10.0, 10.5, 10.2, 10.8, 10.1]})
    >>> trades.kf.range_bars(0.5).select("open", "close", "trades").rows()
    [(10.0, 10.5, 2), (10.2, 10.8, 2), (10.1, 10.1, 1)]
"""
)


# ---------------------------------------------------------------------------------------------------------------
# Volume profile and Fibonacci retracements.


@shielded("volume_profile")
def volume_profile(
    df: pl.DataFrame,
    bins: int = 24,
    *,
    high: str | None = None,
    low: str | None = None,
    volume: str | None = None,
) -> pl.DataFrame:
    """Volume by price level over the whole frame.

    The range from the lowest low to the highest high is cut into ``bins`` equal levels. Each bar's volume is
    spread evenly over the levels its ``[low, high]`` range touches (a bar inside one level puts all its volume
    there; a bar touching four levels puts a quarter in each). A price on a boundary between two levels belongs to
    the upper one (the highest high to the top level). Bars with a missing low, high or volume are skipped. When
    every price is equal there is a single level.

    Parameters
    ----------
    df : pl.DataFrame
        OHLCV bars.
    bins : int, default 24
        Number of price levels.
    high, low, volume : str, optional
        Input columns, found case-insensitively when not given.

    Returns
    -------
    pl.DataFrame
        One row per level from the lowest: ``price_low``, ``price_high``, ``price`` (the centre), ``volume`` and
        ``is_poc``, true on the point of control: the level with the most volume (the lowest such level on a tie;
        none when all volume is 0). Empty when no bar is valid.

    Raises
    ------
    ValueError
        When ``bins`` is not an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"high": [4.0, 3.0], "low": [0.0, 2.0], "volume": [8.0, 6.0]})
    >>> df.kf.volume_profile(4)
    shape: (4, 5)
    ┌───────────┬────────────┬───────┬────────┬────────┐
    │ price_low ┆ price_high ┆ price ┆ volume ┆ is_poc │
    │ ---       ┆ ---        ┆ ---   ┆ ---    ┆ ---    │
    │ f64       ┆ f64        ┆ f64   ┆ f64    ┆ bool   │
    ╞═══════════╪════════════╪═══════╪════════╪════════╡
    │ 0.0       ┆ 1.0        ┆ 0.5   ┆ 2.0    ┆ false  │
    │ 1.0       ┆ 2.0        ┆ 1.5   ┆ 2.0    ┆ false  │
    │ 2.0       ┆ 3.0        ┆ 2.5   ┆ 5.0    ┆ true   │
    │ 3.0       ┆ 4.0        ┆ 3.5   ┆ 5.0    ┆ false  │
    └───────────┴────────────┴───────┴────────┴────────┘
    """
    func = "volume_profile"
    df = _frame(func, df)
    bins = _count(func, "bins", bins)
    cols = _cols(func, df, ("high", "low", "volume"), {"high": high, "low": low, "volume": volume})
    return _internal._volume_profile(
        _series(func, df, cols["low"]), _series(func, df, cols["high"]), _series(func, df, cols["volume"]), bins
    )


@shielded("fibonacci_retracement")
def fibonacci_retracement(
    df: pl.DataFrame,
    levels: Sequence[float] = _FIB_LEVELS,
    *,
    high: str | None = None,
    low: str | None = None,
) -> pl.DataFrame:
    """Fibonacci retracement levels of the frame's swing.

    The swing runs between the highest high and the lowest low of the frame (their first occurrences). When the
    high came last (or on the same bar) the move was up and the levels retrace down from the high:
    ``high - level * (high - low)``; when the low came last they retrace up from the low:
    ``low + level * (high - low)``. Missing values are ignored.

    Parameters
    ----------
    df : pl.DataFrame
        Price bars in time order.
    levels : sequence of float, default (0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0)
        Retracement ratios; values outside [0, 1] give extensions.
    high, low : str, optional
        Input columns, found case-insensitively when not given.

    Returns
    -------
    pl.DataFrame
        ``level`` and ``price``, one row per level in the order given; empty when the frame has no valid price.

    Raises
    ------
    ValueError
        When ``levels`` is not a sequence of finite numbers.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"high": [105.0, 120.0, 118.0], "low": [100.0, 110.0, 112.0]})
    >>> df.kf.fibonacci_retracement(levels=(0, 0.5, 1)).rows()
    [(0.0, 120.0), (0.5, 110.0), (1.0, 100.0)]
    """
    func = "fibonacci_retracement"
    df = _frame(func, df)
    if (
        isinstance(levels, (str, bytes))
        or not isinstance(levels, Sequence)
        or not all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in levels)
    ):
        raise ValueError(f"{func}: levels must be a sequence of finite numbers, got {levels!r}")
    cols = _cols(func, df, ("high", "low"), {"high": high, "low": low})
    hi_s = _series(func, df, cols["high"]).cast(pl.Float64).fill_nan(None)
    lo_s = _series(func, df, cols["low"]).cast(pl.Float64).fill_nan(None)
    hi_s = pl.select(pl.when(hi_s.is_infinite()).then(None).otherwise(hi_s)).to_series()
    lo_s = pl.select(pl.when(lo_s.is_infinite()).then(None).otherwise(lo_s)).to_series()
    schema = {"level": pl.Float64, "price": pl.Float64}
    if hi_s.null_count() == hi_s.len() or lo_s.null_count() == lo_s.len():
        return pl.DataFrame(schema=schema)
    top, bottom = float(hi_s.max()), float(lo_s.min())  # type: ignore[arg-type]
    up = hi_s.arg_max() >= lo_s.arg_min()  # type: ignore[operator]
    span = top - bottom
    prices = [top - float(v) * span if up else bottom + float(v) * span for v in levels]
    return pl.DataFrame({"level": [float(v) for v in levels], "price": prices}, schema=schema)


# ---------------------------------------------------------------------------------------------------------------
# Namespace methods.

TRANSFORMS: dict[str, Callable[..., pl.DataFrame]] = {
    f.__name__: f
    for f in (
        ohlc_resample,
        renko,
        pnf,
        kagi,
        three_line_break,
        tick_bars,
        volume_bars,
        range_bars,
        volume_profile,
        fibonacci_retracement,
    )
}


def _needed_columns(schema: pl.Schema, kwargs: dict[str, Any]) -> list[str]:
    """The columns a transform may read: those named like an input role, temporal ones, and those named in
    ``kwargs``."""
    named = {v for v in kwargs.values() if isinstance(v, str)}
    return [
        c
        for c, t in schema.items()
        if c.lower() in _ROLE_NAMES or c in named or t == pl.Date or isinstance(t, pl.Datetime)
    ]


def _dataframe_method(function: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    @functools.wraps(function)
    def method(self: Any, *args: Any, **kwargs: Any) -> pl.DataFrame:
        return function(self._frame, *args, **kwargs)

    return method


def _lazyframe_method(function: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    @functools.wraps(function)
    def method(self: Any, *args: Any, **kwargs: Any) -> pl.DataFrame:
        lf: pl.LazyFrame = self._frame
        columns = _needed_columns(lf.collect_schema(), kwargs)
        return function(lf.select(columns).collect(), *args, **kwargs)

    method.__doc__ = f"Collect the columns ``{function.__name__}`` can use and run it (returns a DataFrame).\n\n" + (
        function.__doc__ or ""
    )
    return method


for _name, _function in TRANSFORMS.items():
    setattr(DataFrameNamespace, _name, _dataframe_method(_function))
    setattr(LazyFrameNamespace, _name, _lazyframe_method(_function))

__all__ = sorted(TRANSFORMS) + ["TRANSFORMS"]
