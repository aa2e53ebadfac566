"""Hypothesis property tests against plain numpy float64 references."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

import polars_kimsfinance as kf

values = st.lists(st.one_of(st.none(), st.just(math.nan), st.floats(-1e6, 1e6)), max_size=60)


def compact_reference(xs, fn):
    """Apply ``fn`` to the valid values, then scatter back (None elsewhere)."""
    valid = [x for x in xs if x is not None and not math.isnan(x)]
    ref = fn(np.array(valid, dtype=np.float64))
    out, k = [], 0
    for x in xs:
        if x is None or math.isnan(x):
            out.append(None)
        else:
            out.append(None if np.isnan(ref[k]) else float(ref[k]))
            k += 1
    return out


def rolling(xs: np.ndarray, n: int, agg) -> np.ndarray:
    out = np.full(len(xs), np.nan)
    for i in range(n - 1, len(xs)):
        out[i] = agg(xs[i + 1 - n : i + 1])
    return out


def close_lists(a, b, tol=1e-9):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x is None) == (y is None), (a, b)
        if x is not None:
            assert math.isclose(x, y, rel_tol=tol, abs_tol=tol * 1e3), (x, y)


def run(name, xs, **params):
    s = pl.Series("close", xs, dtype=pl.Float64, strict=False)
    return pl.DataFrame({"close": s}).select(kf.FUNCTIONS[name]("close", **params))["close"].to_list()


@settings(max_examples=150, deadline=None)
@given(values, st.integers(1, 8))
@example([], 1)
@example([None, math.nan, None], 2)
@example([1.0, None, 2.0, math.nan, 3.0], 2)
def test_sma_matches_numpy_on_compacted_values(xs, n):
    close_lists(run("sma", xs, window=n), compact_reference(xs, lambda v: rolling(v, n, np.mean)))


@settings(max_examples=150, deadline=None)
@given(values, st.integers(1, 8), st.integers(0, 1))
@example([1e6, 1e6 + 1, 1e6 + 2, 1e6 + 3], 3, 1)
def test_rolling_std_matches_numpy(xs, n, ddof):
    def ref(v):
        return rolling(v, n, lambda w: np.std(w, ddof=ddof) if len(w) > ddof else np.nan)

    close_lists(run("rolling_std", xs, window=n, ddof=ddof), compact_reference(xs, ref), tol=1e-7)


@settings(max_examples=150, deadline=None)
@given(values, st.integers(1, 8))
def test_rolling_max_min_match_numpy(xs, n):
    close_lists(run("rolling_max", xs, window=n), compact_reference(xs, lambda v: rolling(v, n, np.max)))
    close_lists(run("rolling_min", xs, window=n), compact_reference(xs, lambda v: rolling(v, n, np.min)))


@settings(max_examples=100, deadline=None)
@given(values, st.floats(0.01, 1.0), st.booleans())
def test_ewm_mean_matches_a_direct_weighted_sum(xs, alpha, adjust):
    def ref(v):
        out = np.full(len(v), np.nan)
        for t in range(len(v)):
            if adjust:
                w = (1 - alpha) ** np.arange(t, -1, -1)
                out[t] = np.sum(w * v[: t + 1]) / np.sum(w)
            else:
                y = v[0]
                for x in v[1 : t + 1]:
                    y = (1 - alpha) * y + alpha * x
                out[t] = y
        return out

    close_lists(run("ewm_mean", xs, alpha=alpha, adjust=adjust), compact_reference(xs, ref), tol=1e-8)


@settings(max_examples=100, deadline=None)
@given(values)
def test_cumulative_sum_matches_math_fsum(xs):
    def ref(v):
        return np.array([math.fsum(v[: i + 1]) for i in range(len(v))])

    close_lists(run("cumulative_sum", xs), compact_reference(xs, ref), tol=1e-12)
