"""Volatility measures and bands."""

from __future__ import annotations

from collections.abc import Mapping

from .spec import Indicator, Param, window


def _at_least_two(values: Mapping[str, float]) -> str | None:
    """TA-Lib's lower bound for the STDDEV and BBANDS periods."""
    w = values["window"]
    return None if w >= 2 else f"window must be an integer >= 2, got {int(w)}"


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
>>> df.select(kf.true_range()).to_series().to_list()
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
>>> df.select(kf.atr(window=2)).to_series().to_list()
[None, None, 1.5, 1.25]
""",
    ),
    Indicator(
        "natr",
        "Normalized average true range: the ATR as a percentage of the close.",
        ("high", "low", "close"),
        (window(14),),
        description="``100 * atr / close``; 0 where the close is 0. As in TA-Lib, ``window=1`` gives the plain "
        "true range (not divided by the close).",
        talib="NATR",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5, 3.0], "low": [1.0, 1.5, 1.0, 2.0], "close": [1.5, 2.0, 2.2, 2.8]})
>>> df.select(kf.natr(window=2)).to_series().round(4).to_list()
[None, None, 68.1818, 44.6429]
""",
    ),
    Indicator(
        "bbands",
        "Bollinger bands: SMA middle band and bands a multiple of the population standard deviation away.",
        ("close",),
        (
            window(20, "Number of bars in the window (at least 2)."),
            Param("nbdevup", 2.0, "real", "Standard deviations from the middle band to the upper band."),
            Param("nbdevdn", 2.0, "real", "Standard deviations from the middle band to the lower band."),
        ),
        outputs=("bb_upper", "bb_middle", "bb_lower"),
        description="TA-Lib's BBANDS with its default moving average (SMA) and the population standard deviation "
        "(divisor ``window``), computed so that it stays accurate at any price level.",
        talib="BBANDS",
        validate=_at_least_two,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0, 6.0]})
>>> out = df.select(kf.bbands("close", 4, 2.0, 1.0)).unnest("close")
>>> out.tail(2).to_dicts()  # doctest: +NORMALIZE_WHITESPACE
[{'bb_upper': 4.73606797749979, 'bb_middle': 2.5, 'bb_lower': 1.381966011250105},
 {'bb_upper': 6.708039891549808, 'bb_middle': 3.75, 'bb_lower': 2.270980054225096}]
""",
    ),
    Indicator(
        "stddev",
        "Population standard deviation over a sliding window, times ``nbdev``.",
        ("close",),
        (
            window(5, "Number of bars in the window (at least 2)."),
            Param("nbdev", 1.0, "real", "Multiplier applied to the standard deviation."),
        ),
        description="Divisor ``window`` (population), as TA-Lib's STDDEV; accurate at any price level. For the "
        "sample standard deviation use ``rolling_std``.",
        talib="STDDEV",
        validate=_at_least_two,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]})
>>> df.select(kf.stddev("close", 4))["close"].to_list()
[None, None, None, 1.118033988749895]
""",
    ),
]
