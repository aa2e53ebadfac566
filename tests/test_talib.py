"""Every indicator TA-Lib has, against TA-Lib: real data, random walks (with missing bars, compared on the compacted
series), Float32, and long series at price level 1e6. The cases live in ``cases_<family>.py`` beside this file."""

from __future__ import annotations

import importlib
from pathlib import Path

import polars as pl
import pytest
from reference import check_missing_rule, outputs, random_walk, shared_frames, with_missing

CASES = [
    case
    for path in sorted(Path(__file__).parent.glob("cases_*.py"))
    for case in importlib.import_module(path.stem).CASES
]
FRAMES = shared_frames()


def test_there_are_cases_for_every_talib_entry():
    import polars_kimsfinance as kf

    covered = {c.name for c in CASES}
    missing = [ind.name for ind in kf.CATALOGUE if ind.talib and ind.name not in covered]
    assert not missing, f"catalogue entries naming a TA-Lib function without a TA-Lib case: {missing}"


@pytest.mark.parametrize("frame", sorted(FRAMES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_equals_talib_on_real_data(case, frame):
    df = FRAMES[frame]
    case.check(df, f"on {frame}")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_equals_talib_on_compacted_series_with_missing_bars(case, seed):
    df = with_missing(random_walk(3000, seed), seed, fraction=0.08)
    case.check(df, f"seed {seed}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_float32_in_float32_out(case):
    df = random_walk(2000, 7).select(pl.all().cast(pl.Float32))
    out = outputs(df, case.expr())
    assert all(s.dtype == pl.Float32 for s in out)
    as64 = df.select(pl.all().cast(pl.Float64))
    check_missing_rule(
        lambda d: [s.cast(pl.Float64) for s in outputs(df, case.expr())],
        case.reference,
        as64,
        case.inputs,
        f"{case.id} float32",
        rtol=2e-6,
        atol=2e-5,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_long_series_at_price_level_1e6(case):
    df = random_walk(200_000, 11, level=1e6)
    case.check(df, "at 1e6", rtol=case.long_rtol, atol=max(case.atol, 1e-6))
