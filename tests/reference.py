"""Test data and comparison helpers: real OHLCV bundled in tests/data, seeded random walks, and the
missing-bar comparison against a reference computed on the compacted series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

import polars_kimsfinance as kf

# Real daily and intraday bars (the mplfinance example data, see tests/data/README.md), kept with the tests so the
# suite runs from any clone.
DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_FILES = 6
RTOL = 1e-9
ATOL = 1e-9


def _canonical(df: pl.DataFrame) -> pl.DataFrame:
    rename = {c: c.lower() for c in df.columns}
    df = df.rename(rename)
    if "last" in df.columns and "close" not in df.columns:
        df = df.rename({"last": "close"})
    return df.select([pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")])


def shared_frames() -> dict[str, pl.DataFrame]:
    """Every OHLCV file in tests/data, as Float64 open/high/low/close/volume in chronological order."""
    frames = {}
    paths = sorted(DATA_DIR.glob("*.csv"))
    # Parametrised tests over no files would pass vacuously: a missing file is an error.
    assert len(paths) == DATA_FILES, f"expected {DATA_FILES} CSV files in {DATA_DIR}, found {len(paths)}"
    for path in paths:
        df = pl.read_csv(path, infer_schema_length=10000)
        if "Time" in df.columns:  # newest first
            df = df.reverse()
        frames[path.stem] = _canonical(df)
    return frames


def random_walk(n: int, seed: int, level: float = 100.0) -> pl.DataFrame:
    """Valid OHLCV bars from a seeded random walk around ``level``."""
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[level], close[:-1]]) * np.exp(rng.normal(0, 0.002, n))
    spread = np.abs(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    volume = np.floor(rng.lognormal(13, 0.5, n)) + 1
    return pl.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume})


def with_missing(df: pl.DataFrame, seed: int, fraction: float = 0.05) -> pl.DataFrame:
    """A copy of ``df`` with nulls and NaNs scattered over its columns."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in df.columns:
        values = df[name].to_numpy().copy()
        mask = rng.random(len(values))
        values[mask < fraction / 2] = np.nan
        series = pl.Series(name, values)
        nulls = pl.Series((fraction / 2 <= mask) & (mask < fraction))
        out[name] = pl.select(pl.when(nulls).then(None).otherwise(series)).to_series().alias(name)
    return pl.DataFrame(out)


def valid_rows(df: pl.DataFrame, inputs: Sequence[str]) -> np.ndarray:
    """Boolean mask of the rows where every input is neither null nor NaN."""
    ok = np.ones(df.height, dtype=bool)
    for name in inputs:
        values = df[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        ok &= ~np.isnan(values)
    return ok


def assert_matches(
    ours: pl.Series | np.ndarray | list,
    expected: np.ndarray,
    label: str,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """``ours`` (nulls for no value) equals ``expected`` (NaN for no value): same missing rows, close values."""
    ours_arr = pl.Series(ours).cast(pl.Float64)
    assert ours_arr.is_nan().sum() == 0, f"{label}: NaN in output (warm-up must be null)"
    got = ours_arr.fill_null(np.nan).to_numpy()
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{label}: length {got.shape} vs {expected.shape}"
    missing_got, missing_exp = np.isnan(got), np.isnan(expected)
    if not np.array_equal(missing_got, missing_exp):
        bad = int(np.flatnonzero(missing_got != missing_exp)[0])
        raise AssertionError(
            f"{label}: null pattern differs first at row {bad}: ours {got[bad]}, expected {expected[bad]}"
        )
    ok = ~missing_exp
    np.testing.assert_allclose(got[ok], expected[ok], rtol=rtol, atol=atol, err_msg=label)


def check_missing_rule(
    compute: Callable[[pl.DataFrame], Sequence[pl.Series]],
    reference: Callable[[Mapping[str, np.ndarray]], Sequence[np.ndarray]],
    df: pl.DataFrame,
    inputs: Sequence[str],
    label: str,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Our outputs on ``df`` (with missing bars) equal the reference on the compacted series at the valid rows, and
    are null at the missing rows."""
    ok = valid_rows(df, inputs)
    compact = {name: df[name].cast(pl.Float64).to_numpy()[ok] for name in inputs}
    expected_compact = reference(compact)
    ours = compute(df)
    assert len(ours) == len(expected_compact), f"{label}: {len(ours)} outputs vs {len(expected_compact)}"
    for k, (series, exp) in enumerate(zip(ours, expected_compact)):
        assert series.len() == df.height
        assert series.filter(pl.Series(~ok)).null_count() == int((~ok).sum()), f"{label}[{k}]: missing rows not null"
        assert_matches(series.filter(pl.Series(ok)), exp, f"{label}[{k}]", rtol, atol)


def reference_datasets(long_rows: int = 20_000) -> dict[str, pl.DataFrame]:
    """The frames a numpy-reference test runs on: every tests/data file, three random walks with missing bars,
    and a ``long_rows`` walk at price level 1e6 (``walk-1e6``)."""
    return {
        **shared_frames(),
        **{f"walk-missing-{s}": with_missing(random_walk(3000, s), s, fraction=0.08) for s in (1, 2, 3)},
        "walk-1e6": random_walk(long_rows, 11, level=1e6),
    }


def check_reference(
    name: str,
    params: Mapping,
    reference: Callable[[Mapping[str, np.ndarray]], Sequence[np.ndarray]],
    df: pl.DataFrame,
    label: str,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Indicator ``name`` called with ``params`` equals ``reference`` (on the compacted inputs) under the
    missing-bar rule."""
    check_missing_rule(
        lambda d: outputs(d, kf.FUNCTIONS[name](**params)), reference, df, kf.BY_NAME[name].inputs, label, rtol, atol
    )


def collect_streaming(lf: pl.LazyFrame) -> pl.DataFrame:
    """Collect with the streaming engine: ``engine="streaming"`` on current Polars, ``streaming=True`` before it."""
    try:
        return lf.collect(engine="streaming")
    except (TypeError, ValueError):
        return lf.collect(streaming=True)


def outputs(df: pl.DataFrame, expr: pl.Expr) -> list[pl.Series]:
    """Evaluate an indicator expression; a struct result is split into its fields."""
    s = df.select(expr.alias("out")).to_series()
    if s.dtype == pl.Struct:
        return [s.struct.field(f.name) for f in s.dtype.fields]
    return [s]


__all__ = [
    "ATOL",
    "RTOL",
    "assert_matches",
    "check_missing_rule",
    "check_reference",
    "collect_streaming",
    "reference_datasets",
    "kf",
    "outputs",
    "random_walk",
    "shared_frames",
    "valid_rows",
    "with_missing",
]


class TalibCase:
    """One comparison against TA-Lib: our indicator with ``params`` equals ``talib`` with ``talib_params``
    (outputs in the catalogue's field order, TA-Lib's outputs picked by ``talib_outputs`` indices when given)."""

    def __init__(self, name, params, talib, talib_params, talib_outputs=None, rtol=RTOL, atol=ATOL, long_rtol=None):
        self.name, self.params, self.talib, self.talib_params = name, params, talib, talib_params
        self.talib_outputs, self.rtol, self.atol = talib_outputs, rtol, atol
        # Tolerance for the 200,000-bar series at price level 1e6, where TA-Lib's own running sums may drift.
        self.long_rtol = long_rtol if long_rtol is not None else max(rtol, 1e-8)

    @property
    def id(self) -> str:
        return f"{self.name}({','.join(f'{k}={v}' for k, v in self.params.items())})"

    @property
    def inputs(self) -> tuple[str, ...]:
        return kf.BY_NAME[self.name].inputs

    def expr(self) -> pl.Expr:
        return kf.FUNCTIONS[self.name](**self.params)

    def reference(self, data: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        from talib import abstract

        fn = abstract.Function(self.talib)
        result = fn({k: np.ascontiguousarray(v, dtype=np.float64) for k, v in data.items()}, **self.talib_params)
        result = list(result) if isinstance(result, (list, tuple)) else [result]
        if self.talib_outputs is not None:
            result = [result[i] for i in self.talib_outputs]
        return result

    def check(self, df: pl.DataFrame, label: str, rtol: float | None = None, atol: float | None = None) -> None:
        """Our indicator on ``df`` equals TA-Lib on its compacted inputs (the missing-bar rule), at this case's
        tolerances unless given."""
        check_missing_rule(
            lambda d: outputs(d, self.expr()),
            self.reference,
            df,
            self.inputs,
            f"{self.id} {label}",
            self.rtol if rtol is None else rtol,
            self.atol if atol is None else atol,
        )


__all__ += ["TalibCase"]
