"""Volume-based indicators."""

from __future__ import annotations

from .spec import Indicator

INDICATORS = [
    Indicator(
        "obv",
        "On-balance volume: volume added on up closes, subtracted on down closes.",
        ("close", "volume"),
        talib="OBV",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 1.5, 1.5], "volume": [10, 20, 5, 7]})
>>> df.select(kf.obv())["close"].to_list()
[10.0, 30.0, 25.0, 25.0]
""",
    ),
]
