"""TA-Lib cases for the volume family: AD and ADOSC (OBV's case is in cases_core.py)."""

from reference import TalibCase

CASES = [
    TalibCase("ad", {}, "AD", {}),
    TalibCase("adosc", {}, "ADOSC", {"fastperiod": 3, "slowperiod": 10}),
    TalibCase("adosc", {"fastperiod": 2, "slowperiod": 2}, "ADOSC", {"fastperiod": 2, "slowperiod": 2}),
    TalibCase("adosc", {"fastperiod": 12, "slowperiod": 26}, "ADOSC", {"fastperiod": 12, "slowperiod": 26}),
    TalibCase("adosc", {"fastperiod": 10, "slowperiod": 3}, "ADOSC", {"fastperiod": 10, "slowperiod": 3}),
]
