"""Momentum oscillators."""

from __future__ import annotations

from .spec import Indicator, window

INDICATORS = [
    Indicator(
        "rsi",
        "Relative strength index (Wilder), 0 to 100.",
        ("close",),
        (window(14),),
        talib="RSI",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 1.5, 2.5, 3.0]})
>>> df.select(kf.rsi("close", 2))["close"].round(4).to_list()
[None, None, 66.6667, 88.2353, 92.3077]
""",
    ),
]
