"""Momentum oscillators."""

from __future__ import annotations

from collections.abc import Mapping

from .spec import Indicator, Param, window

_ZERO = "Where the denominator is 0 (flat prices) the value is 0, as in TA-Lib."

_FAST = window(12, "Period of the fast average.", "fastperiod")
_SLOW = window(26, "Period of the slow average; must be >= ``fastperiod``.", "slowperiod")
_MATYPE = Param("matype", 1, "count", "Moving average: 0 = SMA, 1 = EMA (TA-Lib's codes and default).")


def _slow_not_below_fast(v: Mapping[str, float]) -> str | None:
    # TA-Lib silently swaps the two periods; a swapped call is more likely a mistake, so it is refused here.
    if v["slowperiod"] < v["fastperiod"]:
        return f"slowperiod must be >= fastperiod ({v['fastperiod']:g}), got {v['slowperiod']:g}"
    return None


def _price_oscillator(v: Mapping[str, float]) -> str | None:
    if v["matype"] not in (0.0, 1.0):
        return f"matype must be 0 (SMA) or 1 (EMA), got {v['matype']:g}"
    return _slow_not_below_fast(v)


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
[None, None, 66.6667, 85.7143, 90.9091]
""",
    ),
    Indicator(
        "macd",
        "Moving average convergence/divergence: fast EMA minus slow EMA, its signal EMA, and their difference.",
        ("close",),
        (_FAST, _SLOW, window(9, "Period of the signal EMA of the MACD line.", "signalperiod")),
        outputs=("macd", "macd_signal", "macd_hist"),
        description=(
            "As TA-Lib: the fast EMA's SMA seed window ends on the same bar as the slow one's, and all three outputs "
            "start at bar ``(slowperiod - 1) + (signalperiod - 1)``. TA-Lib swaps the periods when "
            "``slowperiod < fastperiod``; here that is a ``ValueError``."
        ),
        talib="MACD",
        validate=_slow_not_below_fast,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [10.0, 11.0, 13.0, 12.0, 15.0, 14.0]})
>>> out = df.select(kf.macd("close", 2, 3, 2).alias("m")).unnest("m")
>>> out.columns
['macd', 'macd_signal', 'macd_hist']
>>> out.select(pl.all().round(4)).rows()[3:]
[(0.3333, 0.5, -0.1667), (0.6667, 0.6111, 0.0556), (0.3333, 0.4259, -0.0926)]
""",
    ),
    Indicator(
        "stoch",
        "Slow stochastic oscillator: %K smoothed by an SMA, and %D, its SMA.",
        ("high", "low", "close"),
        (
            window(5, "Bars of the high-low range for the raw %K.", "fastk_period"),
            window(3, "SMA period smoothing the raw %K into the slow %K.", "slowk_period"),
            window(3, "SMA period of the slow %K giving %D.", "slowd_period"),
        ),
        outputs=("stoch_k", "stoch_d"),
        description="Uses TA-Lib's default moving average (SMA) for both smoothings. " + _ZERO,
        talib="STOCH",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [3.0, 4.0, 5.0, 4.5, 6.0], "low": [1.0, 2.0, 3.0, 3.0, 4.0],
...                    "close": [2.0, 3.5, 3.5, 4.0, 5.5]})
>>> out = df.select(kf.stoch(fastk_period=2, slowk_period=2, slowd_period=2).alias("s")).unnest("s")
>>> out.select(pl.all().round(4)).rows()
[(None, None), (None, None), (None, None), (50.0, 58.3333), (66.6667, 58.3333)]
""",
    ),
    Indicator(
        "stochf",
        "Fast stochastic oscillator: where the close lies in the recent high-low range (%K), and its SMA (%D).",
        ("high", "low", "close"),
        (
            window(5, "Bars of the high-low range for %K.", "fastk_period"),
            window(3, "SMA period of %K giving %D.", "fastd_period"),
        ),
        outputs=("stochf_k", "stochf_d"),
        description="Both outputs start when %D does, as in TA-Lib. " + _ZERO,
        talib="STOCHF",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [3.0, 4.0, 5.0, 4.5], "low": [1.0, 2.0, 3.0, 3.0], "close": [2.0, 3.5, 3.5, 4.0]})
>>> df.select(kf.stochf(fastk_period=2, fastd_period=2).alias("s")).unnest("s").select(pl.all().round(4)).rows()
[(None, None), (None, None), (50.0, 66.6667), (50.0, 50.0)]
""",
    ),
    Indicator(
        "stochrsi",
        "Stochastic RSI: the fast stochastic of the RSI series.",
        ("close",),
        (
            window(14, "RSI period."),
            window(5, "Bars of the RSI's range for %K.", "fastk_period"),
            window(3, "SMA period of %K giving %D.", "fastd_period"),
        ),
        outputs=("stochrsi_k", "stochrsi_d"),
        description="TA-Lib's STOCHRSI with its default SMA for %D. " + _ZERO,
        talib="STOCHRSI",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 1.5, 2.5, 3.0, 2.0, 2.2]})
>>> df.select(kf.stochrsi("close", 2, 2, 2).alias("s")).unnest("s").rows()
[(None, None), (None, None), (None, None), (None, None), (100.0, 100.0), (0.0, 50.0), (100.0, 50.0)]
""",
    ),
    Indicator(
        "willr",
        "Williams' %R: the close's distance below the highest high of the window, -100 to 0.",
        ("high", "low", "close"),
        (window(14),),
        description=_ZERO,
        talib="WILLR",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 4.0], "low": [1.0, 1.0, 2.0], "close": [1.5, 2.5, 3.0]})
>>> df.select(kf.willr(window=2)).to_series().round(4).to_list()
[None, -25.0, -33.3333]
""",
    ),
    Indicator(
        "cci",
        "Commodity channel index of the typical price ``(high + low + close) / 3``.",
        ("high", "low", "close"),
        (window(14),),
        description="``(tp - mean(tp)) / (0.015 * mean absolute deviation)``. " + _ZERO,
        talib="CCI",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [3.0, 4.0, 5.0, 4.5, 6.0], "low": [1.0, 2.0, 3.0, 3.0, 4.0],
...                    "close": [2.0, 3.5, 3.5, 4.0, 5.5]})
>>> df.select(kf.cci(window=3)).to_series().round(4).to_list()
[None, None, 83.3333, 50.0, 100.0]
""",
    ),
    Indicator(
        "roc",
        "Rate of change in percent: ``(close / close n bars ago - 1) * 100``.",
        ("close",),
        (window(10),),
        description="0 where the close ``window`` bars ago is 0, as in TA-Lib.",
        talib="ROC",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"close": [1.0, 2.0, 3.0, 1.5]}).select(kf.roc("close", 2))["close"].to_list()
[None, None, 200.0, -25.0]
""",
    ),
    Indicator(
        "mom",
        "Momentum: ``close - close n bars ago``.",
        ("close",),
        (window(10),),
        talib="MOM",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"close": [1.0, 2.0, 4.0, 3.0]}).select(kf.mom("close", 2))["close"].to_list()
[None, None, 3.0, 1.0]
""",
    ),
    Indicator(
        "cmo",
        "Chande momentum oscillator, -100 to 100.",
        ("close",),
        (window(14),),
        description=(
            "TA-Lib's CMO: ``100 (up - down) / (up + down)`` with up and down moves smoothed as in RSI (Wilder). "
            + _ZERO
        ),
        talib="CMO",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 1.5, 2.5, 3.0]})
>>> df.select(kf.cmo("close", 2))["close"].round(4).to_list()
[None, None, 33.3333, 71.4286, 81.8182]
""",
    ),
    Indicator(
        "ppo",
        "Percentage price oscillator: ``(fast MA - slow MA) / slow MA * 100``.",
        ("close",),
        (_FAST, _SLOW, _MATYPE),
        description=(
            "The two averages are seeded independently from the first bar (unlike MACD). TA-Lib 0.8's default "
            "average is the EMA (``matype=1``); ``matype=0`` gives the SMA. The value is 0 where "
            "``|slow MA| < 1e-14``, as in TA-Lib. TA-Lib swaps the periods when ``slowperiod < fastperiod``; here "
            "that is a ``ValueError``."
        ),
        talib="PPO",
        validate=_price_oscillator,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]})
>>> df.select(kf.ppo("close", 1, 2, matype=0))["close"].round(4).to_list()
[None, 33.3333, 20.0, 14.2857]
""",
    ),
    Indicator(
        "apo",
        "Absolute price oscillator: fast moving average minus slow moving average.",
        ("close",),
        (_FAST, _SLOW, _MATYPE),
        description=(
            "The two averages are seeded independently from the first bar (unlike MACD). TA-Lib 0.8's default "
            "average is the EMA (``matype=1``); ``matype=0`` gives the SMA. TA-Lib swaps the periods when "
            "``slowperiod < fastperiod``; here that is a ``ValueError``."
        ),
        talib="APO",
        validate=_price_oscillator,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 3.0]})
>>> df.select(kf.apo("close", 2, 3))["close"].round(4).to_list()
[None, None, 0.8333, 0.3889]
""",
    ),
    Indicator(
        "trix",
        "TRIX: one-bar rate of change (percent) of a triple-smoothed EMA.",
        ("close",),
        (window(30),),
        description="Each EMA is seeded with the SMA of its first ``window`` inputs, as in TA-Lib.",
        talib="TRIX",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 3.0, 5.0, 8.0]})
>>> df.select(kf.trix("close", 2))["close"].round(4).to_list()
[None, None, None, None, 32.7738, 46.5182]
""",
    ),
    Indicator(
        "bop",
        "Balance of power: ``(close - open) / (high - low)``.",
        ("open", "high", "low", "close"),
        description="0 where ``high - low`` is not positive, as in TA-Lib.",
        talib="BOP",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"open": [1.0, 2.0], "high": [3.0, 2.0], "low": [1.0, 2.0], "close": [2.5, 2.0]})
>>> df.select(kf.bop()).to_series().to_list()
[0.75, 0.0]
""",
    ),
    Indicator(
        "mfi",
        "Money flow index: volume-weighted RSI of the typical price, 0 to 100.",
        ("high", "low", "close", "volume"),
        (window(14),),
        description=(
            "Money flow (typical price × volume) counts as positive on bars where the typical price rose, negative "
            "where it fell, and not at all where it is unchanged. " + _ZERO
        ),
        talib="MFI",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 3.0, 2.0], "low": [1.0, 2.0, 2.0, 1.5], "close": [1.5, 2.5, 2.0, 1.8],
...                    "volume": [100.0, 200.0, 150.0, 100.0]})
>>> df.select(kf.mfi(window=2)).to_series().round(4).to_list()
[None, None, 58.8235, 0.0]
""",
    ),
    Indicator(
        "ultosc",
        "Ultimate oscillator: buying pressure over true range on three windows, weighted 4 : 2 : 1.",
        ("high", "low", "close"),
        (
            window(7, "Shortest window (weight 4).", "timeperiod1"),
            window(14, "Middle window (weight 2).", "timeperiod2"),
            window(28, "Longest window (weight 1).", "timeperiod3"),
        ),
        description=(
            "As TA-Lib, the three periods are sorted first, so the weights always go shortest 4, middle 2, "
            "longest 1; a window whose true-range sum is 0 contributes 0."
        ),
        talib="ULTOSC",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [3.0, 4.0, 5.0, 4.5, 6.0], "low": [1.0, 2.0, 3.0, 3.0, 4.0],
...                    "close": [2.0, 3.5, 3.5, 4.0, 5.5]})
>>> df.select(kf.ultosc(timeperiod1=1, timeperiod2=2, timeperiod3=3)).to_series().round(4).to_list()
[None, None, None, 58.1323, 71.0575]
""",
    ),
]
