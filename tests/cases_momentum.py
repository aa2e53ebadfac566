"""TA-Lib cases for the momentum oscillators. Each indicator has a defaults case (our defaults against TA-Lib's, so the
defaults are checked too), TA-Lib's own small minimum periods, and a few ordinary parameter sets."""

from reference import TalibCase


def _window_cases(name, talib, windows):
    return [TalibCase(name, {}, talib, {})] + [
        TalibCase(name, {"window": n}, talib, {"timeperiod": n}) for n in windows
    ]


def _macd(fast, slow, signal):
    ours = {"fastperiod": fast, "slowperiod": slow, "signalperiod": signal}
    return TalibCase("macd", ours, "MACD", dict(ours))


def _stoch(k, slow_k, slow_d):
    ours = {"fastk_period": k, "slowk_period": slow_k, "slowd_period": slow_d}
    theirs = {**ours, "slowk_matype": 0, "slowd_matype": 0}
    return TalibCase("stoch", ours, "STOCH", theirs)


def _stochf(k, d):
    ours = {"fastk_period": k, "fastd_period": d}
    return TalibCase("stochf", ours, "STOCHF", {**ours, "fastd_matype": 0})


def _stochrsi(n, k, d):
    ours = {"window": n, "fastk_period": k, "fastd_period": d}
    return TalibCase(
        "stochrsi", ours, "STOCHRSI", {"timeperiod": n, "fastk_period": k, "fastd_period": d, "fastd_matype": 0}
    )


def _oscillator(name, talib, fast, slow, matype):
    ours = {"fastperiod": fast, "slowperiod": slow, "matype": matype}
    return TalibCase(name, ours, talib, dict(ours))


def _ultosc(p1, p2, p3):
    ours = {"timeperiod1": p1, "timeperiod2": p2, "timeperiod3": p3}
    return TalibCase("ultosc", ours, "ULTOSC", dict(ours))


CASES = [
    TalibCase("macd", {}, "MACD", {}),
    _macd(5, 13, 4),
    _macd(2, 3, 1),
    _macd(3, 3, 2),
    _macd(2, 30, 1),
    TalibCase("stoch", {}, "STOCH", {}),
    _stoch(14, 3, 3),
    _stoch(1, 1, 1),
    _stoch(3, 1, 2),
    _stoch(2, 4, 1),
    TalibCase("stochf", {}, "STOCHF", {}),
    _stochf(14, 3),
    _stochf(1, 1),
    _stochf(2, 5),
    TalibCase("stochrsi", {}, "STOCHRSI", {}),
    _stochrsi(2, 1, 1),
    _stochrsi(5, 3, 2),
    _stochrsi(14, 14, 3),
    *_window_cases("willr", "WILLR", [2, 5, 30]),
    *_window_cases("cci", "CCI", [2, 5, 20]),
    *_window_cases("roc", "ROC", [1, 3]),
    *_window_cases("mom", "MOM", [1, 3]),
    *_window_cases("cmo", "CMO", [2, 9]),
    TalibCase("ppo", {}, "PPO", {}),
    _oscillator("ppo", "PPO", 2, 3, 0),
    _oscillator("ppo", "PPO", 5, 13, 0),
    _oscillator("ppo", "PPO", 5, 13, 1),
    _oscillator("ppo", "PPO", 4, 4, 1),
    _oscillator("ppo", "PPO", 2, 40, 1),
    TalibCase("apo", {}, "APO", {}),
    _oscillator("apo", "APO", 2, 3, 0),
    _oscillator("apo", "APO", 12, 26, 0),
    _oscillator("apo", "APO", 5, 13, 1),
    _oscillator("apo", "APO", 2, 40, 1),
    *_window_cases("trix", "TRIX", [1, 2, 9]),
    TalibCase("bop", {}, "BOP", {}),
    *_window_cases("mfi", "MFI", [2, 5]),
    TalibCase("ultosc", {}, "ULTOSC", {}),
    _ultosc(1, 2, 3),
    _ultosc(5, 3, 10),
    _ultosc(2, 2, 2),
    TalibCase("rsi", {"window": 5}, "RSI", {"timeperiod": 5}),
]
