"""Volume-based indicators."""

from __future__ import annotations

from collections.abc import Mapping

from .spec import Indicator, Param, window


def _adosc_periods(values: Mapping[str, float]) -> str | None:
    for key in ("fastperiod", "slowperiod"):
        if values[key] < 2:
            return f"{key} must be an integer >= 2, got {int(values[key])}"
    return None


_BANDS = Param(
    "bands", 1.0, "non_negative", "Band distance in volume-weighted standard deviations of the typical price."
)

_VWAP_DOC = """
``vwap`` is the volume-weighted mean of the typical price ``(high + low + close) / 3``;
``vwap_upper / vwap_lower = vwap ± bands · σ``, σ the volume-weighted population standard deviation of the typical
price (``sqrt(Σ v·(tp - vwap)² / Σ v)``), accumulated with a weighted Welford update so it stays accurate at any price
level. Rows before any volume was traded have no value.
"""

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
    Indicator(
        "ad",
        "Chaikin accumulation/distribution line: running total of money-flow volume.",
        ("high", "low", "close", "volume"),
        description=(
            "Each bar adds ``((close - low) - (high - close)) / (high - low) · volume``; a bar with "
            "``high == low`` adds nothing. The total is compensated, so it does not drift over long series."
        ),
        talib="AD",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 3.0], "low": [1.0, 2.0, 3.0], "close": [1.75, 2.0, 3.0],
...                    "volume": [100.0, 50.0, 70.0]})
>>> df.select(kf.ad()).to_series().to_list()
[50.0, 0.0, 0.0]
""",
    ),
    Indicator(
        "adosc",
        "Chaikin A/D oscillator: fast EMA minus slow EMA of the accumulation/distribution line.",
        ("high", "low", "close", "volume"),
        (
            Param("fastperiod", 3, "window", "Bars in the fast EMA (at least 2).", in_name=True),
            Param("slowperiod", 10, "window", "Bars in the slow EMA (at least 2).", in_name=True),
        ),
        description=(
            "As TA-Lib, both EMAs (``alpha = 2 / (n + 1)``) start at the first AD value rather than at an SMA, and "
            "the first ``max(fastperiod, slowperiod) - 1`` rows are warm-up."
        ),
        talib="ADOSC",
        validate=_adosc_periods,
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 3.0, 4.0], "low": [1.0, 2.0, 2.0, 3.0],
...                    "close": [1.75, 2.0, 2.5, 3.5], "volume": [100.0, 50.0, 70.0, 80.0]})
>>> df.select(kf.adosc(fastperiod=2, slowperiod=3)).to_series().round(4).to_list()
[None, None, -6.9444, -4.3981]
""",
    ),
    Indicator(
        "cmf",
        "Chaikin money flow: money-flow volume over the window divided by the window's volume.",
        ("high", "low", "close", "volume"),
        (window(20),),
        description=(
            "``Σ mfv / Σ volume`` over ``window`` bars, ``mfv = ((close - low) - (high - close)) / (high - low) · "
            "volume`` (0 when ``high == low``); 0 when the window traded no volume. Between -1 and 1."
        ),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 3.0], "low": [1.0, 2.0, 2.0], "close": [1.75, 2.0, 2.5],
...                    "volume": [100.0, 50.0, 70.0]})
>>> df.select(kf.cmf(window=2)).to_series().round(4).to_list()
[None, 0.0, -0.4167]
""",
    ),
    Indicator(
        "force_index",
        "Elder's force index: EMA of (close - previous close) · volume.",
        ("close", "volume"),
        (window(13),),
        description=(
            "The EMA is TA-Lib's (``alpha = 2 / (window + 1)``, seeded with the mean of the first ``window`` raw "
            "values); the raw force starts on the second bar, so the first value is on row ``window``."
        ),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"close": [10.0, 11.0, 10.5, 11.5], "volume": [100.0, 200.0, 100.0, 300.0]})
>>> df.select(kf.force_index(window=2)).to_series().to_list()
[None, None, 75.0, 225.0]
""",
    ),
    Indicator(
        "emv",
        "Ease of movement: price change per unit of volume-adjusted range, averaged over the window.",
        ("high", "low", "volume"),
        (
            window(14),
            Param("scale", 1e8, "positive", "Volume divisor of the box ratio (StockCharts uses 100,000,000)."),
        ),
        description=(
            "Per bar ``((high + low) / 2 - (prev high + prev low) / 2) / ((volume / scale) / (high - low))``, 0 when "
            "the bar has no volume or no range; ``emv`` is its simple mean over ``window`` bars, from row ``window``."
        ),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 3.5], "low": [1.0, 2.0, 2.5], "volume": [1e8, 2e8, 5e7]})
>>> df.select(kf.emv(window=1)).to_series().to_list()
[None, 0.5, 1.0]
""",
    ),
    Indicator(
        "vwap",
        "Cumulative volume-weighted average price of the typical price, with standard-deviation bands.",
        ("high", "low", "close", "volume"),
        (_BANDS,),
        outputs=("vwap", "vwap_upper", "vwap_lower"),
        description=_VWAP_DOC
        + "\nThe average runs over the whole series; use ``vwap_anchored`` to restart it every session.",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 4.0, 6.0], "low": [2.0, 4.0, 6.0], "close": [2.0, 4.0, 6.0],
...                    "volume": [1.0, 1.0, 2.0]})
>>> df.select(kf.vwap(bands=1.0).alias("out")).unnest("out").rows()
[(2.0, 2.0, 2.0), (3.0, 4.0, 2.0), (4.5, 6.1583123951777, 2.8416876048223)]
""",
    ),
    Indicator(
        "vwap_anchored",
        "Session VWAP: the volume-weighted average price restarted whenever the ``session`` key changes.",
        ("high", "low", "close", "volume", "session"),
        (_BANDS,),
        outputs=("vwap", "vwap_upper", "vwap_lower"),
        description=_VWAP_DOC
        + """
``session`` is a numeric key (a day number, a session id): a bar whose key differs from the previous valid bar's
starts a new accumulation. Because it is a key and not a "first bar" flag, a missing first bar cannot merge two
sessions. Pass a date or datetime key through its physical integer, e.g. ``session=pl.col("ts").dt.date()
.to_physical()`` (a string key: ``pl.col("name").rank("dense")``). The result equals ``vwap`` computed
``.over(session)`` when each session's bars are contiguous.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"day": [1, 1, 2, 2], "price": [2.0, 4.0, 6.0, 8.0], "volume": [1.0, 1.0, 2.0, 2.0]})
>>> vw = kf.vwap_anchored("price", high="price", low="price", volume="volume", session="day")
>>> df.select(vw.struct.field("vwap"))["vwap"].to_list()
[2.0, 3.0, 6.0, 7.0]
""",
    ),
]
