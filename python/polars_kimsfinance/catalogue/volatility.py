"""Volatility measures and bands."""

from __future__ import annotations

from .spec import Indicator, window

INDICATORS = [
    Indicator(
        "true_range",
        "True range: ``max(high, previous close) - min(low, previous close)``.",
        ("high", "low", "close"),
        talib="TRANGE",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5], "low": [1.0, 1.5, 1.0], "close": [1.5, 2.0, 2.2]})
>>> df.select(kf.true_range())["close"].to_list()
[None, 1.5, 1.5]
""",
    ),
    Indicator(
        "atr",
        "Average true range (Wilder smoothing).",
        ("high", "low", "close"),
        (window(14),),
        talib="ATR",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5, 3.0], "low": [1.0, 1.5, 1.0, 2.0], "close": [1.5, 2.0, 2.2, 2.8]})
>>> df.select(kf.atr(window=2))["close"].to_list()
[None, None, 1.5, 1.15]
""",
    ),
]
