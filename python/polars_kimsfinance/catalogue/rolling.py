"""Rolling and cumulative aggregations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .spec import Indicator, Param, window

_DDOF = Param("ddof", 1, "count", "Delta degrees of freedom: the divisor is ``window - ddof``.")


def _ewm_alpha(values: Mapping[str, Any]) -> dict[str, float]:
    given = {k: values[k] for k in ("com", "span", "half_life", "alpha") if values[k] is not None}
    if len(given) != 1:
        raise ValueError(f"ewm_mean: give exactly one of com, span, half_life, alpha; got {sorted(given) or 'none'}")
    ((key, v),) = given.items()
    if key == "com":
        if v < 0:
            raise ValueError(f"ewm_mean: com must be >= 0, got {v!r}")
        alpha = 1.0 / (1.0 + v)
    elif key == "span":
        if v < 1:
            raise ValueError(f"ewm_mean: span must be >= 1, got {v!r}")
        alpha = 2.0 / (v + 1.0)
    elif key == "half_life":
        if v <= 0:
            raise ValueError(f"ewm_mean: half_life must be > 0, got {v!r}")
        alpha = 1.0 - math.exp(-math.log(2.0) / v)
        if alpha == 0.0:  # Polars' own formula; past about 6e15 bars exp(-ln 2 / half_life) rounds to 1
            raise ValueError(f"ewm_mean: half_life is too long, 1 - exp(-ln 2 / half_life) rounds to 0; got {v!r}")
    else:
        if not 0 < v <= 1:
            raise ValueError(f"ewm_mean: alpha must be in (0, 1], got {v!r}")
        alpha = float(v)
    return {"alpha": alpha, "adjust": float(values["adjust"]), "min_periods": float(values["min_periods"])}


INDICATORS = [
    Indicator(
        "rolling_sum",
        "Sum over a sliding window of valid bars.",
        ("close",),
        (window(20),),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}).select(kf.rolling_sum("x", 2))["x"].to_list()
[None, 3.0, 5.0, 7.0]
""",
    ),
    Indicator(
        "rolling_mean",
        "Mean over a sliding window of valid bars (the same as ``sma``).",
        ("close",),
        (window(20),),
        talib="SMA",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [1.0, 2.0, None, 4.0]}).select(kf.rolling_mean("x", 2))["x"].to_list()
[None, 1.5, None, 3.0]
""",
    ),
    Indicator(
        "rolling_std",
        "Standard deviation over a sliding window, accurate at any price level.",
        ("close",),
        (window(20), _DDOF),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}).select(kf.rolling_std("x", 4, ddof=0))["x"].to_list()
[None, None, None, 1.118033988749895]
""",
    ),
    Indicator(
        "rolling_var",
        "Variance over a sliding window, accurate at any price level.",
        ("close",),
        (window(20), _DDOF),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}).select(kf.rolling_var("x", 4))["x"].to_list()
[None, None, None, 1.6666666666666667]
""",
    ),
    Indicator(
        "rolling_max",
        "Maximum over a sliding window of valid bars.",
        ("close",),
        (window(20),),
        talib="MAX",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [3.0, 1.0, 2.0, 5.0]}).select(kf.rolling_max("x", 2))["x"].to_list()
[None, 3.0, 2.0, 5.0]
""",
    ),
    Indicator(
        "rolling_min",
        "Minimum over a sliding window of valid bars.",
        ("close",),
        (window(20),),
        talib="MIN",
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [3.0, 1.0, 2.0, 5.0]}).select(kf.rolling_min("x", 2))["x"].to_list()
[None, 1.0, 1.0, 2.0]
""",
    ),
    Indicator(
        "cumulative_sum",
        "Running total of the valid bars, with compensated summation (no drift over long series).",
        ("close",),
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [1.0, None, 2.0, 3.0]}).select(kf.cumulative_sum("x"))["x"].to_list()
[1.0, None, 3.0, 6.0]
""",
    ),
    Indicator(
        "ewm_mean",
        "Exponentially weighted mean with pandas' semantics (give exactly one of com, span, half_life, alpha).",
        ("close",),
        (
            Param("com", None, "non_negative", "Centre of mass: ``alpha = 1 / (1 + com)``."),
            Param("span", None, "positive", "Span: ``alpha = 2 / (span + 1)``."),
            Param("half_life", None, "positive", "Half-life in bars: ``alpha = 1 - exp(-ln 2 / half_life)``."),
            Param("alpha", None, "fraction", "Smoothing factor in (0, 1]."),
            Param("adjust", True, "flag", "Divide by the decaying sum of weights (pandas' default) or recurse."),
            Param("min_periods", 0, "count", "Valid bars needed before a value is emitted."),
        ),
        description="Missing bars are skipped, as pandas does with ``ignore_na=True``.",
        prepare=_ewm_alpha,
        example_params={"span": 10},
        example="""
>>> import polars as pl
>>> import polars_kimsfinance as kf
>>> pl.DataFrame({"x": [1.0, 2.0, 3.0]}).select(kf.ewm_mean("x", alpha=0.5))["x"].to_list()
[1.0, 1.6666666666666667, 2.4285714285714284]
""",
    ),
]
