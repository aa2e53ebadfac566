"""TA-Lib's signature for every catalogue entry that has a TA-Lib twin (``Indicator.talib``): its input names, its
parameters in TA-Lib's order with TA-Lib 0.8's defaults (checked against ``talib.abstract`` by the tests), and which
catalogue parameter each one sets. The TA-Lib-compatible functions (``polars_kimsfinance.talib``) are made from this
table and the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: TA-Lib's moving-average types (``matype``) and the catalogue entry computing each; 7 (MAMA) has none.
MA_TYPES: dict[int, str] = {0: "sma", 1: "ema", 2: "wma", 3: "dema", 4: "tema", 5: "trima", 6: "kama", 8: "t3"}


@dataclass(frozen=True)
class TalibTwin:
    """One TA-Lib function and the catalogue entry it equals."""

    name: str
    indicator: str
    #: TA-Lib's inputs, in its order: ``real`` is the entry's price input, the others are OHLCV names.
    inputs: tuple[str, ...]
    #: ``(TA-Lib name, TA-Lib default)`` in TA-Lib's order.
    params: tuple[tuple[str, Any], ...]
    #: TA-Lib parameter -> catalogue parameter, where the names differ (``timeperiod`` -> ``window``).
    renamed: tuple[tuple[str, str], ...] = (("timeperiod", "window"),)
    #: TA-Lib MA-type parameters the entry fixes to 0 (SMA): another value is refused.
    sma_only: tuple[str, ...] = ()


def _twin(name: str, indicator: str, inputs: str, *params: tuple[str, Any], **extra: Any) -> TalibTwin:
    return TalibTwin(name, indicator, tuple(inputs.split()), tuple(params), **extra)


_HLC = "high low close"
_HLCV = "high low close volume"
_P = ("timeperiod", 14)

TWINS: tuple[TalibTwin, ...] = (
    _twin("SMA", "sma", "real", ("timeperiod", 30)),
    _twin("EMA", "ema", "real", ("timeperiod", 30)),
    _twin("WMA", "wma", "real", ("timeperiod", 30)),
    _twin("DEMA", "dema", "real", ("timeperiod", 30)),
    _twin("TEMA", "tema", "real", ("timeperiod", 30)),
    _twin("TRIMA", "trima", "real", ("timeperiod", 30)),
    _twin("KAMA", "kama", "real", ("timeperiod", 30)),
    _twin("T3", "t3", "real", ("timeperiod", 5), ("vfactor", 0.7)),
    _twin("MAX", "rolling_max", "real", ("timeperiod", 30)),
    _twin("MIN", "rolling_min", "real", ("timeperiod", 30)),
    _twin("RSI", "rsi", "real", _P),
    _twin("MACD", "macd", "real", ("fastperiod", 12), ("slowperiod", 26), ("signalperiod", 9)),
    _twin(
        "STOCH",
        "stoch",
        _HLC,
        ("fastk_period", 5),
        ("slowk_period", 3),
        ("slowk_matype", 0),
        ("slowd_period", 3),
        ("slowd_matype", 0),
        sma_only=("slowk_matype", "slowd_matype"),
    ),
    _twin(
        "STOCHF",
        "stochf",
        _HLC,
        ("fastk_period", 5),
        ("fastd_period", 3),
        ("fastd_matype", 0),
        sma_only=("fastd_matype",),
    ),
    _twin(
        "STOCHRSI",
        "stochrsi",
        "real",
        _P,
        ("fastk_period", 5),
        ("fastd_period", 3),
        ("fastd_matype", 0),
        sma_only=("fastd_matype",),
    ),
    _twin("WILLR", "willr", _HLC, _P),
    _twin("CCI", "cci", _HLC, _P),
    _twin("ROC", "roc", "real", ("timeperiod", 10)),
    _twin("MOM", "mom", "real", ("timeperiod", 10)),
    _twin("CMO", "cmo", "real", _P),
    _twin("PPO", "ppo", "real", ("fastperiod", 12), ("slowperiod", 26), ("matype", 1)),
    _twin("APO", "apo", "real", ("fastperiod", 12), ("slowperiod", 26), ("matype", 1)),
    _twin("TRIX", "trix", "real", ("timeperiod", 30)),
    _twin("BOP", "bop", "open high low close"),
    _twin("MFI", "mfi", _HLCV, _P),
    _twin("ULTOSC", "ultosc", _HLC, ("timeperiod1", 7), ("timeperiod2", 14), ("timeperiod3", 28)),
    _twin("PLUS_DI", "plus_di", _HLC, _P),
    _twin("MINUS_DI", "minus_di", _HLC, _P),
    _twin("ADX", "adx", _HLC, _P),
    _twin("ADXR", "adxr", _HLC, _P),
    _twin("AROON", "aroon", "high low", _P),
    _twin("AROONOSC", "aroon_osc", "high low", _P),
    _twin("SAR", "parabolic_sar", "high low", ("acceleration", 0.02), ("maximum", 0.2)),
    _twin("TRANGE", "true_range", _HLC),
    _twin("ATR", "atr", _HLC, _P),
    _twin("NATR", "natr", _HLC, _P),
    # BBANDS' matype picks the middle band's average (the bands add STDDEV to it); see talib.py.
    _twin("BBANDS", "bbands", "real", ("timeperiod", 20), ("nbdevup", 2.0), ("nbdevdn", 2.0), ("matype", 0)),
    _twin("STDDEV", "stddev", "real", ("timeperiod", 5), ("nbdev", 1.0)),
    _twin("OBV", "obv", "real volume"),
    _twin("AD", "ad", _HLCV),
    _twin("ADOSC", "adosc", _HLCV, ("fastperiod", 3), ("slowperiod", 10)),
)
