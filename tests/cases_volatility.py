"""TA-Lib cases for the volatility family beyond true range and ATR: NATR, Bollinger bands, standard deviation."""

from reference import TalibCase

CASES = [
    TalibCase("natr", {"window": 14}, "NATR", {"timeperiod": 14}),
    TalibCase("natr", {"window": 1}, "NATR", {"timeperiod": 1}),
    TalibCase("natr", {"window": 5}, "NATR", {"timeperiod": 5}),
    TalibCase("bbands", {}, "BBANDS", {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}),
    TalibCase(
        "bbands",
        {"window": 5, "nbdevup": 1.5, "nbdevdn": 2.5},
        "BBANDS",
        {"timeperiod": 5, "nbdevup": 1.5, "nbdevdn": 2.5, "matype": 0},
    ),
    TalibCase(
        "bbands",
        {"window": 2, "nbdevup": 1.0, "nbdevdn": 1.0},
        "BBANDS",
        {"timeperiod": 2, "nbdevup": 1.0, "nbdevdn": 1.0, "matype": 0},
    ),
    TalibCase(
        "bbands",
        {"window": 50, "nbdevup": -1.0, "nbdevdn": 0.0},
        "BBANDS",
        {"timeperiod": 50, "nbdevup": -1.0, "nbdevdn": 0.0, "matype": 0},
    ),
    TalibCase("stddev", {}, "STDDEV", {"timeperiod": 5, "nbdev": 1.0}),
    TalibCase("stddev", {"window": 20, "nbdev": 2.0}, "STDDEV", {"timeperiod": 20, "nbdev": 2.0}),
    TalibCase("stddev", {"window": 2, "nbdev": 1.0}, "STDDEV", {"timeperiod": 2, "nbdev": 1.0}),
    TalibCase("stddev", {"window": 10, "nbdev": -0.5}, "STDDEV", {"timeperiod": 10, "nbdev": -0.5}),
]
