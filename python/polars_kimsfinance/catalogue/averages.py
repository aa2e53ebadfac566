"""Moving averages."""

from __future__ import annotations

from collections.abc import Mapping

from .spec import Indicator, Param, window


def _hma_window(values: Mapping[str, float]) -> str | None:
    if values["window"] < 2:
        return f"window must be an integer >= 2, got {int(values['window'])}"
    return None


def _t3_vfactor(values: Mapping[str, float]) -> str | None:
    if values["vfactor"] > 1:
        return f"vfactor must be in [0, 1], got {values['vfactor']!r}"
    return None


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
    Indicator(
        "wma",
        "Weighted moving average with linear weights, the newest bar weighing most.",
        ("close",),
        (window(30),),
        description="""
The bar ``k`` bars back weighs ``window - k``: ``sum((window - k) * x[t-k]) / (window * (window + 1) / 2)``. The
first value is on the ``window``-th valid bar.
""",
        talib="WMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0]}).select(kf.wma("close", 3))["close"].round(4).to_list()
[None, None, 2.8333, 5.6667]
""",
    ),
    Indicator(
        "dema",
        "Double exponential moving average, ``2 * EMA - EMA(EMA)``.",
        ("close",),
        (window(30),),
        description="""
Both EMAs have ``alpha = 2 / (window + 1)`` and are seeded as TA-Lib seeds them: the first with the simple mean of
the first ``window`` bars, the second with the simple mean of the first ``window`` values of the first. The first
value is on valid bar ``2 * (window - 1) + 1``.
""",
        talib="DEMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
>>> df.select(kf.dema("close", 2))["close"].round(4).to_list()
[None, None, 4.0, 7.7407, 15.3827]
""",
    ),
    Indicator(
        "tema",
        "Triple exponential moving average, ``3 * EMA - 3 * EMA(EMA) + EMA(EMA(EMA))``.",
        ("close",),
        (window(30),),
        description="""
Three chained EMAs with ``alpha = 2 / (window + 1)``, each seeded with the simple mean of its first ``window``
inputs, as TA-Lib does. The first value is on valid bar ``3 * (window - 1) + 1``.
""",
        talib="TEMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
>>> df.select(kf.tema("close", 2))["close"].round(4).to_list()
[None, None, None, 7.7407, 15.7942]
""",
    ),
    Indicator(
        "trima",
        "Triangular moving average: weights rise linearly to the middle of the window and fall again.",
        ("close",),
        (window(30),),
        description="""
An odd window ``n`` weighs its bars ``1, 2, ..., (n+1)/2, ..., 2, 1``; an even one ``1, 2, ..., n/2, n/2, ..., 2,
1``, as TA-Lib does. It equals a simple mean of simple means. The first value is on the ``window``-th valid bar.
""",
        talib="TRIMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
>>> df.select(kf.trima("close", 3))["close"].to_list()
[None, None, 2.25, 4.5, 9.0]
""",
    ),
    Indicator(
        "kama",
        "Kaufman adaptive moving average: follows the price faster the more directly it moves.",
        ("close",),
        (window(30),),
        description="""
The efficiency ratio ``er = |x[t] - x[t-window]| / sum(|x[i] - x[i-1]|)`` over the last ``window`` changes sets the
smoothing ``sc = (er * (2/3 - 2/31) + 2/31) ** 2`` (TA-Lib's fixed fast period 2 and slow period 30), and
``kama[t] = kama[t-1] + sc * (x[t] - kama[t-1])``, started from the previous price. The first value is on valid bar
``window + 1``; ``window=1`` returns the input, as TA-Lib does.
""",
        talib="KAMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 3.0, 5.0]})
>>> df.select(kf.kama("close", 2))["close"].round(4).to_list()
[None, None, 2.8889, 2.8967, 3.0447]
""",
    ),
    Indicator(
        "t3",
        "Tillson's T3: six chained EMAs combined into a smooth average with little lag.",
        ("close",),
        (
            window(5),
            Param(
                "vfactor",
                0.7,
                "non_negative",
                "Volume factor ``a`` in [0, 1]: 0 gives a triple EMA's lag, 1 the least lag.",
            ),
        ),
        description="""
With ``e1..e6`` six chained EMAs of period ``window`` (each seeded with the simple mean of its first ``window``
inputs, as TA-Lib does) and ``a = vfactor``: ``t3 = -a^3 e6 + (3a^2 + 3a^3) e5 - (6a^2 + 3a + 3a^3) e4 +
(1 + 3a + a^3 + 3a^2) e3``. The first value is on valid bar ``6 * (window - 1) + 1``.
""",
        talib="T3",
        validate=_t3_vfactor,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [float(x) for x in range(1, 9)]})
>>> df.select(kf.t3("close", 2))["close"].round(4).to_list()
[None, None, None, None, None, None, 6.55, 7.55]
""",
    ),
    Indicator(
        "hma",
        "Hull moving average: a weighted average of weighted averages that cancels most of their lag.",
        ("close",),
        (window(9, "Number of bars in the window (at least 2)."),),
        description="""
``hma = WMA(2 * WMA(x, window // 2) - WMA(x, window), floor(sqrt(window)))``, with linear-weight WMAs. The inner
difference starts on the ``window``-th valid bar, so the first value is on valid bar
``window + floor(sqrt(window)) - 1``. TA-Lib has no HMA.
""",
        validate=_hma_window,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
>>> df.select(kf.hma("close", 4))["close"].round(4).to_list()
[None, None, None, None, 14.0556]
""",
    ),
    Indicator(
        "vwma",
        "Volume-weighted moving average: ``sum(close * volume) / sum(volume)`` over the window.",
        ("close", "volume"),
        (window(20),),
        description="""
The first value is on the ``window``-th valid bar (a bar is valid when both close and volume are). A window whose
volumes are all zero has no average: its output is null. TA-Lib has no VWMA.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [10.0, 20.0, 30.0, 40.0], "volume": [1.0, 3.0, 0.0, 0.0]})
>>> df.select(kf.vwma("close", 2, volume="volume"))["close"].to_list()
[None, 17.5, 20.0, None]
""",
    ),
    Indicator(
        "zlema",
        "Zero-lag exponential moving average: an EMA of the price pushed ahead by its own recent change.",
        ("close",),
        (window(20),),
        description="""
With ``lag = (window - 1) // 2``, the EMA (``alpha = 2 / (window + 1)``) of ``2 * x[t] - x[t-lag]``. That series
starts on valid bar ``lag + 1`` and the EMA is seeded, as TA-Lib seeds its EMA, with the simple mean of its first
``window`` values, so the first value is on valid bar ``lag + window``. For ``window <= 2`` (``lag = 0``) it is the
EMA. TA-Lib has no ZLEMA.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
>>> df.select(kf.zlema("close", 3))["close"].to_list()
[None, None, None, 7.0, 15.5]
""",
    ),
]
