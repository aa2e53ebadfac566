"""Price channels and the indicators built on them: Keltner, Donchian, the TTM squeeze, SuperTrend, Ichimoku."""

from __future__ import annotations

from .spec import Indicator, Param, window

INDICATORS = [
    Indicator(
        "keltner",
        "Keltner channel: EMA of close with bands at ± multiplier · ATR.",
        ("high", "low", "close"),
        (
            window(20, "Bars in the EMA of close (TA-Lib seeding: SMA of the first ``window`` closes)."),
            Param("multiplier", 2.0, "non_negative", "Band distance in ATRs."),
            window(10, "Bars in the ATR (Wilder smoothing, as TA-Lib's ATR).", name="atr_window"),
        ),
        outputs=("kc_upper", "kc_middle", "kc_lower"),
        description=(
            "``kc_middle = EMA(close, window)``, ``kc_upper / kc_lower = kc_middle ± multiplier · ATR(atr_window)``. "
            "All three fields start on the first bar where both the EMA and the ATR have a value, "
            "row ``max(window - 1, atr_window)``."
        ),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5, 3.0], "low": [1.0, 2.0, 1.5, 2.0], "close": [1.5, 2.5, 2.0, 2.8]})
>>> out = df.select(kf.keltner(window=2, multiplier=1.0, atr_window=2).alias("out")).unnest("out")
>>> out.to_dicts()[2:]  # doctest: +NORMALIZE_WHITESPACE
[{'kc_upper': 3.25, 'kc_middle': 2.0, 'kc_lower': 0.75},
 {'kc_upper': 3.658333333333333, 'kc_middle': 2.533333333333333, 'kc_lower': 1.4083333333333332}]
""",
    ),
    Indicator(
        "donchian",
        "Donchian channel: highest high, lowest low over the window and their midpoint.",
        ("high", "low"),
        (window(20),),
        outputs=("dc_upper", "dc_middle", "dc_lower"),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5, 3.5], "low": [1.0, 2.0, 1.5, 2.5]})
>>> df.select(kf.donchian(window=2).alias("out")).unnest("out").rows()
[(None, None, None), (3.0, 2.0, 1.0), (3.0, 2.25, 1.5), (3.5, 2.5, 1.5)]
""",
    ),
    Indicator(
        "squeeze",
        "TTM squeeze (LazyBear's formulation): Bollinger bands inside the Keltner channel, and its momentum.",
        ("high", "low", "close"),
        (
            window(20, "Bars in the Bollinger bands.", name="bb_window"),
            Param("bb_mult", 2.0, "non_negative", "Bollinger band width in (population) standard deviations."),
            window(20, "Bars in the Keltner channel and in every part of the momentum.", name="kc_window"),
            Param("kc_mult", 1.5, "non_negative", "Keltner channel width in average true ranges."),
        ),
        outputs=("squeeze_on", "squeeze_momentum"),
        description="""
Follows LazyBear's "Squeeze Momentum Indicator" for TradingView, except that the Bollinger width uses ``bb_mult``
(LazyBear's script multiplies the deviation by ``kc_mult``).

- Bollinger bands: ``SMA(close, bb_window) ± bb_mult · σ``, σ the population standard deviation.
- Keltner channel: ``SMA(close, kc_window) ± kc_mult · SMA(true range, kc_window)``; the true range starts on the
  second bar, as TA-Lib's ``TRANGE``.
- ``squeeze_on``: 1.0 when the Bollinger bands lie strictly inside the channel (lower BB > lower KC and upper BB <
  upper KC), else 0.0; from row ``max(bb_window - 1, kc_window)``.
- ``squeeze_momentum``: the value at the newest bar of the least-squares line fitted to the last ``kc_window`` values
  of ``close - ((HH + LL) / 2 + SMA(close)) / 2`` (HH, LL: highest high and lowest low; all over ``kc_window``
  bars), as Pine's ``linreg(..., kc_window, 0)``; from row ``2 · kc_window - 2``.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> close = [10.0, 10.5, 10.2, 10.4, 10.3, 10.35, 10.32, 10.9, 11.6]
>>> df = pl.DataFrame({"high": [c + 0.5 for c in close], "low": [c - 0.5 for c in close], "close": close})
>>> out = df.select(kf.squeeze(bb_window=3, kc_window=3).alias("out")).unnest("out")
>>> out["squeeze_on"].to_list()
[None, None, None, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
>>> out["squeeze_momentum"].round(4).to_list()
[None, None, None, None, 0.0208, -0.0069, -0.0035, 0.2764, 0.6535]
""",
    ),
    Indicator(
        "supertrend",
        "SuperTrend: a trailing ATR band that flips sides when the close crosses it; direction +1 up, -1 down.",
        ("high", "low", "close"),
        (
            window(10, "Bars in the ATR (Wilder smoothing, as TA-Lib's ATR)."),
            Param("multiplier", 3.0, "non_negative", "Band distance in ATRs."),
        ),
        outputs=("supertrend", "direction"),
        description="""
With ``mid = (high + low) / 2``: basic bands ``mid ± multiplier · ATR``. The final upper band takes the basic one
when that is below the previous final upper band or the previous close was above it, else it keeps the previous
value; the final lower band mirrors this. On the first bar with an ATR (row ``window``) the trend is down and the
final bands are the basic ones. A down trend turns up when the close rises above the final upper band; an up trend
turns down when the close falls below the final lower band. ``supertrend`` is the final lower band in an up trend
and the final upper band in a down trend (as TradingView's ``ta.supertrend``, with the sign of direction flipped).
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5, 3.0, 2.0], "low": [1.0, 2.0, 1.5, 2.0, 1.0],
...                    "close": [1.5, 2.5, 2.0, 2.8, 1.2]})
>>> df.select(kf.supertrend(window=1, multiplier=0.5).alias("out")).unnest("out").rows()
[(None, None), (3.25, -1.0), (2.5, -1.0), (2.0, 1.0), (2.4, -1.0)]
""",
    ),
    Indicator(
        "ichimoku",
        "Ichimoku cloud, causal: conversion and base lines, the cloud already shifted forward, and the lagging close.",
        ("high", "low", "close"),
        (
            window(9, "Bars in the conversion line (tenkan-sen).", name="tenkan"),
            window(26, "Bars in the base line (kijun-sen), and the displacement of the cloud.", name="kijun"),
            window(52, "Bars in the leading span B (senkou span B).", name="senkou"),
        ),
        outputs=("tenkan", "kijun", "senkou_a", "senkou_b", "chikou"),
        description="""
Every field at row ``i`` uses bars up to ``i`` only.

- ``tenkan`` / ``kijun``: midpoint of the highest high and lowest low over ``tenkan`` / ``kijun`` bars.
- ``senkou_a[i] = (tenkan + kijun) / 2`` and ``senkou_b[i]`` = the ``senkou``-bar midpoint, both as computed ``kijun``
  bars before row ``i``: the cloud a chart draws above bar ``i`` (already shifted forward). ``senkou_a`` starts on row
  ``2 · kijun - 1`` (for ``kijun >= tenkan``), ``senkou_b`` on row ``senkou + kijun - 1``.
- ``chikou[i] = close[i]``: the lagging span is the close drawn ``kijun`` bars to the left, so its value at row ``i``
  is just the close; plot it shifted back by ``kijun`` rows. To compare price with the cloud as the lagging span
  does, compare ``close`` with ``senkou_a.shift(kijun)`` / ``senkou_b.shift(kijun)``.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [2.0, 3.0, 2.5, 3.0, 4.0], "low": [1.0, 2.0, 1.5, 2.0, 3.0],
...                    "close": [1.5, 2.5, 2.0, 2.8, 3.5]})
>>> out = df.select(kf.ichimoku(tenkan=1, kijun=2, senkou=3).alias("out")).unnest("out")
>>> out.rows()  # doctest: +NORMALIZE_WHITESPACE
[(1.5, None, None, None, 1.5), (2.5, 2.0, None, None, 2.5), (2.0, 2.25, None, None, 2.0),
 (2.5, 2.25, 2.25, None, 2.8), (3.5, 3.0, 2.125, 2.0, 3.5)]
""",
    ),
]
