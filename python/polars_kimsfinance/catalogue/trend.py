"""Trend indicators."""

from __future__ import annotations

from collections.abc import Mapping

from .spec import Indicator, Param, window

_HLC = ("high", "low", "close")


def _at_least_two(values: Mapping[str, float]) -> str | None:
    """TA-Lib's lower bound for the ADX and Aroon periods."""
    w = values["window"]
    return None if w >= 2 else f"window must be an integer >= 2, got {int(w)}"


_DI_NOTE = (
    "Directional movement is summed over the first ``window - 1`` bar-to-bar changes and then smoothed as "
    "``s - s / window + x`` (TA-Lib's form); the first value appears after ``window`` changes. A zero true range "
    "gives 0. As in TA-Lib, ``window=1`` gives the unsmoothed ratio ``DM / TR`` without the factor 100."
)

_EXAMPLE_FRAME = """
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({
...     "high": [10.0, 11.0, 12.0, 11.5, 13.0, 12.5, 14.0],
...     "low": [9.0, 10.0, 10.5, 10.0, 11.5, 11.0, 12.5],
...     "close": [9.5, 10.5, 11.5, 11.0, 12.5, 12.0, 13.5],
... })"""

INDICATORS = [
    Indicator(
        "plus_di",
        "Plus directional indicator +DI (Wilder), 0 to 100.",
        _HLC,
        (window(14),),
        description=_DI_NOTE,
        talib="PLUS_DI",
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.plus_di(window=3)).to_series().round(4).to_list()
[None, None, None, 38.0952, 55.1282, 36.2869, 52.005]
""",
    ),
    Indicator(
        "minus_di",
        "Minus directional indicator -DI (Wilder), 0 to 100.",
        _HLC,
        (window(14),),
        description=_DI_NOTE,
        talib="MINUS_DI",
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.minus_di(window=3)).to_series().round(4).to_list()
[None, None, None, 14.2857, 7.6923, 16.4557, 9.7744]
""",
    ),
    Indicator(
        "adx",
        "Average directional index (Wilder), 0 to 100: trend strength regardless of direction.",
        _HLC,
        (window(14, "Number of bars for the directional indicators and for smoothing DX (at least 2)."),),
        description="DX is smoothed with Wilder's method, seeded with the mean of its first ``window`` values; the "
        "first value appears at row ``2 * window - 1`` of the valid bars.",
        talib="ADX",
        validate=_at_least_two,
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.adx(window=2)).to_series().round(4).to_list()
[None, None, None, 60.0, 68.2353, 44.1176, 58.3602]
""",
    ),
    Indicator(
        "adxr",
        "Average directional index rating: the mean of today's ADX and the ADX ``window - 1`` bars ago.",
        _HLC,
        (window(14, "Number of bars for the ADX and for the lag (at least 2)."),),
        talib="ADXR",
        validate=_at_least_two,
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.adxr(window=2)).to_series().round(4).to_list()
[None, None, None, None, 64.1176, 56.1765, 51.2389]
""",
    ),
    Indicator(
        "aroon",
        "Aroon down and up, 0 to 100: how recently the window's lowest low and highest high occurred.",
        ("high", "low"),
        (window(14, "Number of bars looked back (the window holds ``window + 1`` bars; at least 2)."),),
        outputs=("aroon_down", "aroon_up"),
        description="``aroon_up = 100 * (window - bars since the highest high) / window``, likewise down with the "
        "lowest low. Ties go to the most recent bar, as in TA-Lib.",
        talib="AROON",
        validate=_at_least_two,
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.aroon(window=2).alias("aroon")).unnest("aroon").tail(2).to_dicts()
[{'aroon_down': 0.0, 'aroon_up': 50.0}, {'aroon_down': 50.0, 'aroon_up': 100.0}]
""",
    ),
    Indicator(
        "aroon_osc",
        "Aroon oscillator, -100 to 100: Aroon up minus Aroon down.",
        ("high", "low"),
        (window(14, "Number of bars looked back (the window holds ``window + 1`` bars; at least 2)."),),
        talib="AROONOSC",
        validate=_at_least_two,
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.aroon_osc(window=2)).to_series().to_list()
[None, None, 100.0, -50.0, 50.0, 50.0, 50.0]
""",
    ),
    Indicator(
        "parabolic_sar",
        "Parabolic stop and reverse (Wilder).",
        ("high", "low"),
        (
            Param("acceleration", 0.02, "non_negative", "Acceleration factor step (and its start value)."),
            Param("maximum", 0.2, "non_negative", "Largest acceleration factor."),
        ),
        description="Computed as TA-Lib's SAR: the first trend is long unless the second bar shows downward "
        "directional movement, and the SAR starts at the first bar's low (long) or high (short). Each value is the "
        "stop in force for that bar. An acceleration above the maximum is lowered to it.",
        talib="SAR",
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.parabolic_sar()).to_series().round(4).to_list()
[None, 9.0, 9.04, 9.1584, 9.2721, 9.4957, 9.706]
""",
    ),
    Indicator(
        "tsi",
        "True strength index (Blau), -100 to 100: a doubly smoothed momentum ratio.",
        ("close",),
        (
            window(25, "Period of the first EMA.", name="long"),
            window(13, "Period of the second EMA.", name="short"),
        ),
        description="``100 * EMA_short(EMA_long(m)) / EMA_short(EMA_long(|m|))`` with ``m`` the close-to-close "
        "change. Every EMA uses ``alpha = 2 / (n + 1)`` and is seeded, as TA-Lib does, with the simple mean of its "
        "first ``n`` inputs, so the first value appears at row ``long + short - 1``. A zero denominator (no change "
        "at all) gives 0.",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [1.0, 2.0, 1.5, 2.5, 3.0, 2.0, 2.5]})
>>> df.select(kf.tsi("close", 3, 2))["close"].round(4).to_list()
[None, None, None, None, 66.6667, 0.0, 11.6883]
""",
    ),
    Indicator(
        "elder_ray",
        "Elder ray index: bull power ``high - EMA(close)`` and bear power ``low - EMA(close)``.",
        _HLC,
        (window(13, "Period of the close's EMA."),),
        outputs=("bull_power", "bear_power"),
        description="The EMA is TA-Lib's (``alpha = 2 / (window + 1)``, seeded with the simple mean of the first "
        "``window`` closes).",
        example=_EXAMPLE_FRAME
        + """
>>> df.select(kf.elder_ray(window=3).alias("ray")).unnest("ray").tail(2).to_dicts()
[{'bull_power': 0.6875, 'bear_power': -0.8125}, {'bull_power': 1.34375, 'bear_power': -0.15625}]
""",
    ),
    Indicator(
        "kst",
        "Know Sure Thing (Pring): a weighted sum of four smoothed rates of change, with a signal line.",
        ("close",),
        (
            Param("roc1", 10, "window", "Period of the first rate of change."),
            Param("roc2", 15, "window", "Period of the second rate of change."),
            Param("roc3", 20, "window", "Period of the third rate of change."),
            Param("roc4", 30, "window", "Period of the fourth rate of change."),
            Param("sma1", 10, "window", "SMA period smoothing the first rate of change."),
            Param("sma2", 10, "window", "SMA period smoothing the second rate of change."),
            Param("sma3", 10, "window", "SMA period smoothing the third rate of change."),
            Param("sma4", 15, "window", "SMA period smoothing the fourth rate of change."),
            Param("signal", 9, "window", "SMA period of the signal line."),
        ),
        outputs=("kst", "kst_signal"),
        description="``kst = 1*SMA(ROC1) + 2*SMA(ROC2) + 3*SMA(ROC3) + 4*SMA(ROC4)`` with ``ROCn = 100 * (close / "
        "close n bars ago - 1)`` (0 against a zero price, as TA-Lib's ROC); ``kst_signal`` is the SMA of ``kst``. "
        "With the defaults ``kst`` starts at row 44 and ``kst_signal`` at row 52.",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [10.0, 11.0, 12.0, 11.0, 13.0, 14.0]})
>>> out = df.select(kf.kst("close", 1, 2, 3, 4, 1, 1, 1, 1, 2)).unnest("close")
>>> out["kst"].round(4).to_list(), out["kst_signal"].round(4).to_list()
([None, None, None, None, 209.3939, 221.3287], [None, None, None, None, None, 215.3613])
""",
    ),
]
