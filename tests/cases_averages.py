"""TA-Lib cases for the moving averages: wma, dema, tema, trima, kama, t3 (sma and ema are in cases_core).

TA-Lib's TRIMA keeps running sums that drift on long series when the window is odd: on the 200,000-bar walk from price
level 1e6 (which ends near 1,200) it is off from the exact triangular mean by up to ~2e-3 absolute, ~2e-6 relative,
for windows 5 to 11. Ours stays within 1e-12 relative of the direct weighted sum (test_averages_reference.py), so the
odd-window cases get rtol 5e-6 on that series only (long_rtol); everywhere else they keep the default 1e-9.
"""

from reference import TalibCase

CASES = [
    TalibCase("wma", {"window": 30}, "WMA", {"timeperiod": 30}),
    TalibCase("wma", {"window": 1}, "WMA", {"timeperiod": 1}),
    TalibCase("wma", {"window": 2}, "WMA", {"timeperiod": 2}),
    TalibCase("wma", {"window": 7}, "WMA", {"timeperiod": 7}),
    TalibCase("dema", {"window": 30}, "DEMA", {"timeperiod": 30}),
    TalibCase("dema", {"window": 1}, "DEMA", {"timeperiod": 1}),
    TalibCase("dema", {"window": 2}, "DEMA", {"timeperiod": 2}),
    TalibCase("dema", {"window": 5}, "DEMA", {"timeperiod": 5}),
    TalibCase("tema", {"window": 30}, "TEMA", {"timeperiod": 30}),
    TalibCase("tema", {"window": 1}, "TEMA", {"timeperiod": 1}),
    TalibCase("tema", {"window": 2}, "TEMA", {"timeperiod": 2}),
    TalibCase("tema", {"window": 5}, "TEMA", {"timeperiod": 5}),
    TalibCase("trima", {"window": 30}, "TRIMA", {"timeperiod": 30}),
    TalibCase("trima", {"window": 1}, "TRIMA", {"timeperiod": 1}),
    TalibCase("trima", {"window": 2}, "TRIMA", {"timeperiod": 2}),
    TalibCase("trima", {"window": 3}, "TRIMA", {"timeperiod": 3}, long_rtol=5e-6),
    TalibCase("trima", {"window": 4}, "TRIMA", {"timeperiod": 4}),
    TalibCase("trima", {"window": 5}, "TRIMA", {"timeperiod": 5}, long_rtol=5e-6),
    TalibCase("trima", {"window": 11}, "TRIMA", {"timeperiod": 11}, long_rtol=5e-6),
    TalibCase("kama", {"window": 30}, "KAMA", {"timeperiod": 30}),
    TalibCase("kama", {"window": 1}, "KAMA", {"timeperiod": 1}),
    TalibCase("kama", {"window": 2}, "KAMA", {"timeperiod": 2}),
    TalibCase("kama", {"window": 10}, "KAMA", {"timeperiod": 10}),
    TalibCase("t3", {"window": 5, "vfactor": 0.7}, "T3", {"timeperiod": 5, "vfactor": 0.7}),
    TalibCase("t3", {"window": 1, "vfactor": 0.7}, "T3", {"timeperiod": 1, "vfactor": 0.7}),
    TalibCase("t3", {"window": 2, "vfactor": 0.7}, "T3", {"timeperiod": 2, "vfactor": 0.7}),
    TalibCase("t3", {"window": 5, "vfactor": 0.0}, "T3", {"timeperiod": 5, "vfactor": 0.0}),
    TalibCase("t3", {"window": 8, "vfactor": 1.0}, "T3", {"timeperiod": 8, "vfactor": 1.0}),
]
