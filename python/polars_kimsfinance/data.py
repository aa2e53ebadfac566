"""Sample OHLCV data: a deterministic synthetic generator and a small real sample shipped with the package."""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

_SAMPLE = Path(__file__).parent / "sample" / "spy_daily.csv"
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _parse_interval(interval: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhdw])", interval)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"sample_ohlcv: interval must look like '1d', '5m', '1h', '30s' or '1w', got {interval!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def sample_ohlcv(
    n: int = 500,
    seed: int = 0,
    start: datetime = datetime(2024, 1, 1),
    interval: str = "1d",
    price: float = 100.0,
) -> pl.DataFrame:
    """A deterministic synthetic OHLCV frame: a geometric random walk with valid bars.

    Every bar has ``low <= open, close <= high``, a positive integer volume, and the ``date`` column steps by
    ``interval``. The same ``n`` and ``seed`` give the same frame on every platform.

    Parameters
    ----------
    n : int, default 500
        Number of bars.
    seed : int, default 0
        Seed of the random walk.
    start : datetime, default 2024-01-01
        Timestamp of the first bar.
    interval : str, default "1d"
        Bar spacing: a count and a unit among ``s m h d w``.
    price : float, default 100.0
        Opening price of the first bar.

    Examples
    --------
    >>> import polars_kimsfinance as kf
    >>> df = kf.sample_ohlcv(3)
    >>> df.columns
    ['date', 'open', 'high', 'low', 'close', 'volume']
    >>> df["date"].dt.day().to_list()
    [1, 2, 3]
    >>> bool(((df["low"] <= df["open"]) & (df["open"] <= df["high"])).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"sample_ohlcv: n must be an integer >= 0, got {n!r}")
    if not (isinstance(price, (int, float)) and 0 < price < math.inf):
        raise ValueError(f"sample_ohlcv: price must be > 0, got {price!r}")
    step = _parse_interval(interval)
    rng = random.Random(seed)
    opens, highs, lows, closes, volumes = [], [], [], [], []
    close = float(price)
    for _ in range(n):
        open_ = close * math.exp(rng.gauss(0.0, 0.002))
        close = open_ * math.exp(rng.gauss(0.0003, 0.015))
        spread = abs(rng.gauss(0.0, 0.006))
        opens.append(open_)
        closes.append(close)
        highs.append(max(open_, close) * (1.0 + spread * rng.random()))
        lows.append(min(open_, close) * (1.0 - spread * rng.random()))
        volumes.append(int(1_000_000 * math.exp(rng.gauss(0.0, 0.4))) + 1)
    return pl.DataFrame(
        {
            "date": [start + i * step for i in range(n)],
            "open": opens,
            "high": highs,
            "low": lows,
            "close": closes,
            "volume": volumes,
        },
        schema={
            "date": pl.Datetime("us"),
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "volume": pl.Int64,
        },
    )


def load_sample() -> pl.DataFrame:
    """Real daily SPY bars (2015-12-31 to 2017-12-29, 504 rows), shipped with the package.

    Examples
    --------
    >>> import polars_kimsfinance as kf
    >>> df = kf.load_sample()
    >>> df.shape
    (504, 6)
    >>> df.columns
    ['date', 'open', 'high', 'low', 'close', 'volume']
    """
    return pl.read_csv(_SAMPLE, try_parse_dates=True, schema_overrides={"volume": pl.Int64})
