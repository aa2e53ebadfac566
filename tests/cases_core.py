"""TA-Lib cases for the first indicators: rolling windows, sma, ema, rsi, true range, atr, obv."""

from reference import TalibCase

CASES = [
    TalibCase("sma", {"window": 20}, "SMA", {"timeperiod": 20}),
    TalibCase("sma", {"window": 1}, "SMA", {"timeperiod": 1}),
    TalibCase("rolling_mean", {"window": 5}, "SMA", {"timeperiod": 5}),
    TalibCase("rolling_max", {"window": 14}, "MAX", {"timeperiod": 14}),
    TalibCase("rolling_min", {"window": 14}, "MIN", {"timeperiod": 14}),
    TalibCase("ema", {"window": 20}, "EMA", {"timeperiod": 20}),
    TalibCase("ema", {"window": 2}, "EMA", {"timeperiod": 2}),
    TalibCase("rsi", {"window": 14}, "RSI", {"timeperiod": 14}),
    TalibCase("rsi", {"window": 2}, "RSI", {"timeperiod": 2}),
    TalibCase("true_range", {}, "TRANGE", {}),
    TalibCase("atr", {"window": 14}, "ATR", {"timeperiod": 14}),
    TalibCase("obv", {}, "OBV", {}),
]
