"""Price levels: floor pivot points, confirmed swing highs and lows, Heikin-Ashi candles."""

from __future__ import annotations

from .spec import Indicator, Param

_LEFT = Param("left", 2, "count", "Bars before the swing bar that it must exceed.", in_name=True)
_RIGHT = Param(
    "right", 2, "count", "Bars after the swing bar that it must exceed (the confirmation delay).", in_name=True
)

_SWING_DOC = """
The kernel is causal, so a swing is reported on the bar that *confirms* it: the value at row ``i`` is 1.0 when bar
``i - right`` had a {what} than each of the ``left`` bars before it and the ``right`` bars after it (a tie is not a
swing), else 0.0. The first ``left + right`` rows are warm-up. To mark the swing bar itself, shift the result back:
``.shift(-right)``.
"""

INDICATORS = [
    Indicator(
        "pivot_points",
        "Classic floor pivot points from the previous bar's high, low and close.",
        ("high", "low", "close"),
        outputs=("pp", "r1", "r2", "r3", "s1", "s2", "s3"),
        description="""
From the previous bar's ``H, L, C``: ``pp = (H + L + C) / 3``, ``r1 = 2·pp - L``, ``s1 = 2·pp - H``,
``r2 = pp + (H - L)``, ``s2 = pp - (H - L)``, ``r3 = H + 2·(pp - L)``, ``s3 = L - 2·(H - pp)``. The first row has no
value. For daily pivots on intraday bars, compute them on daily bars and join back.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [12.0, 20.0], "low": [6.0, 10.0], "close": [9.0, 15.0]})
>>> df.select(kf.pivot_points().alias("out")).unnest("out").rows()
[(None, None, None, None, None, None, None), (9.0, 12.0, 15.0, 18.0, 6.0, 3.0, 0.0)]
""",
    ),
    Indicator(
        "swing_highs",
        "Confirmed swing highs: 1.0 on the bar that confirms a strict local maximum of the high, else 0.0.",
        ("high", "low"),
        (_LEFT, _RIGHT),
        description=_SWING_DOC.format(what="high strictly higher"),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [1.0, 3.0, 2.0, 2.0, 5.0, 5.0, 1.0], "low": [0.0] * 7})
>>> df.select(kf.swing_highs(left=1, right=1)).to_series().to_list()
[None, None, 1.0, 0.0, 0.0, 0.0, 0.0]
""",
    ),
    Indicator(
        "swing_lows",
        "Confirmed swing lows: 1.0 on the bar that confirms a strict local minimum of the low, else 0.0.",
        ("high", "low"),
        (_LEFT, _RIGHT),
        description=_SWING_DOC.format(what="low strictly lower"),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"high": [9.0] * 6, "low": [3.0, 2.0, 1.0, 2.0, 3.0, 1.0]})
>>> df.select(kf.swing_lows(left=2, right=2)).to_series().to_list()
[None, None, None, None, 1.0, 0.0]
""",
    ),
    Indicator(
        "heikin_ashi",
        "Heikin-Ashi candles.",
        ("open", "high", "low", "close"),
        outputs=("ha_open", "ha_high", "ha_low", "ha_close"),
        description="""
``ha_close = (open + high + low + close) / 4``; ``ha_open`` = the mean of the previous ``ha_open`` and ``ha_close``,
``(open + close) / 2`` on the first bar; ``ha_high = max(high, ha_open, ha_close)``,
``ha_low = min(low, ha_open, ha_close)``.
""",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> df = pl.DataFrame({"open": [1.0, 2.0], "high": [3.0, 4.0], "low": [0.5, 1.0], "close": [2.0, 3.0]})
>>> df.select(kf.heikin_ashi().alias("out")).unnest("out").rows()
[(1.5, 3.0, 0.5, 1.625), (1.5625, 4.0, 1.0, 2.5)]
""",
    ),
]
