"""TA-Lib cases for the trend family: directional movement (+DI, -DI, ADX, ADXR), Aroon and the parabolic SAR."""

from reference import TalibCase

CASES = [
    *(
        TalibCase(name, {"window": n}, talib, {"timeperiod": n})
        for name, talib in (("plus_di", "PLUS_DI"), ("minus_di", "MINUS_DI"))
        for n in (14, 1, 2, 30)
    ),
    *(
        TalibCase(name, {"window": n}, talib, {"timeperiod": n})
        for name, talib in (("adx", "ADX"), ("adxr", "ADXR"))
        for n in (14, 2, 5, 30)
    ),
    TalibCase("aroon", {"window": 14}, "AROON", {"timeperiod": 14}),
    TalibCase("aroon", {"window": 2}, "AROON", {"timeperiod": 2}),
    TalibCase("aroon", {"window": 25}, "AROON", {"timeperiod": 25}),
    TalibCase("aroon_osc", {"window": 14}, "AROONOSC", {"timeperiod": 14}),
    TalibCase("aroon_osc", {"window": 2}, "AROONOSC", {"timeperiod": 2}),
    TalibCase("aroon_osc", {"window": 25}, "AROONOSC", {"timeperiod": 25}),
    TalibCase("parabolic_sar", {}, "SAR", {}),
    TalibCase("parabolic_sar", {"acceleration": 0.05, "maximum": 0.1}, "SAR", {"acceleration": 0.05, "maximum": 0.1}),
    TalibCase("parabolic_sar", {"acceleration": 0.3, "maximum": 0.2}, "SAR", {"acceleration": 0.3, "maximum": 0.2}),
    TalibCase("parabolic_sar", {"acceleration": 0.01, "maximum": 0.5}, "SAR", {"acceleration": 0.01, "maximum": 0.5}),
]
