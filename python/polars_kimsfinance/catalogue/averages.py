"""Moving averages."""

from __future__ import annotations

from .spec import Indicator, window

INDICATORS = [
    Indicator(
        "sma",
        "Simple moving average.",
        ("close",),
        (window(20),),
        talib="SMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]}).select(kf.sma("close", 3))["close"].to_list()
[None, None, 2.0, 3.0]
""",
    ),
    Indicator(
        "ema",
        "Exponential moving average, ``alpha = 2 / (window + 1)``, seeded with the SMA of the first window.",
        ("close",),
        (window(20),),
        talib="EMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"close": [1.0, 2.0, 3.0, 6.0]}).select(kf.ema("close", 3))["close"].to_list()
[None, None, 2.0, 4.0]
""",
    ),
]
