"""The bad-input matrix, generated from the catalogue and the render option vocabularies (not written case by
case): every bad parameter of every indicator, every bad input column, and every bad render option gets its
documented outcome, a ValueError / TypeError naming the function, the parameter or column, and the bad value, or
the documented null result. No case crashes, hangs or modifies its input. docs/reliability.md prints its size."""

from __future__ import annotations

import math

import polars as pl
import pytest
from reference import random_walk

import polars_kimsfinance as kf
from polars_kimsfinance import _internal

# Bad values per parameter kind (catalogue/spec.py, Param.kind).
BAD = {
    "window": [0, -1, 2.5, math.nan, math.inf, True, "20", 10**13, 2**70],
    "count": [-1, 2.5, math.nan, math.inf, "3", 10**13],
    "positive": [0, -1.0, math.nan, math.inf, "2", True],
    "non_negative": [-1.0, math.nan, math.inf, "0"],
    "fraction": [0, -0.5, 1.5, math.nan, "0.5"],
    "real": [math.nan, math.inf, -math.inf, "1"],
    "flag": ["yes", 2.5],
}

PARAM_CASES = [
    (ind, p.name, bad)
    for ind in kf.CATALOGUE
    for p in ind.params
    if p.default is not None  # None-default parameters are resolved by the entry's prepare step
    for bad in BAD[p.kind]
]

INPUT_CASES = [(ind, column, kind) for ind in kf.CATALOGUE for column in ind.inputs for kind in ("string", "missing")]

RENDER_CASES = [
    ("kind", "bogus"),
    ("kind", 3),
    ("theme", "neon"),
    ("format", "gif"),
    ("speed", "warp"),
    ("width", _internal.MIN_SIZE - 1),
    ("width", _internal.MAX_SIZE + 1),
    ("height", 0),
    ("height", 2.5),
    ("width", "800"),
    ("engine", "tpu"),
    ("engine", 5),
    *[("colors", {key: "not-a-colour"}) for key in _internal.COLOR_KEYS],
    ("colors", {"nonsense_key": "#ffffff"}),
    ("overlays", ["nonsense:3"]),
    ("panels", ["rsi:0"]),
]


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return random_walk(300, 3).with_columns(session=pl.int_range(pl.len()) // 50)


def _call(ind, frame: pl.DataFrame, **params):
    return frame.select(kf.FUNCTIONS[ind.name](**{**ind.example_params, **params}).alias("out"))


@pytest.mark.parametrize(("ind", "param", "bad"), PARAM_CASES, ids=[f"{i.name}-{p}-{b!r}" for i, p, b in PARAM_CASES])
def test_bad_parameter_names_function_parameter_and_value(ind, param: str, bad: object, frame) -> None:
    before = frame.clone()
    with pytest.raises((ValueError, TypeError)) as info:
        _call(ind, frame, **{param: bad})
    message = str(info.value)
    assert message.startswith(f"{ind.name}: "), message
    assert param in message, message
    assert repr(bad) in message or str(bad) in message or "bits" in message, message
    assert frame.equals(before)


@pytest.mark.parametrize(("ind", "column", "kind"), INPUT_CASES, ids=[f"{i.name}-{c}-{k}" for i, c, k in INPUT_CASES])
def test_bad_input_column_names_function_and_column(ind, column: str, kind: str, frame) -> None:
    df = frame.with_columns(pl.col(column).cast(pl.String)) if kind == "string" else frame.drop(column)
    before = df.clone()
    with pytest.raises(Exception) as info:  # Polars wraps plan-time errors in its own exception types
        df.kf.__getattribute__(ind.name)(**ind.example_params)
    message = str(info.value)
    assert ind.name in message and column in message, message
    assert type(info.value).__name__ != "PanicException"
    assert df.equals(before)


@pytest.mark.parametrize(("option", "bad"), RENDER_CASES, ids=[f"{o}-{b!r}" for o, b in RENDER_CASES])
def test_bad_render_option_names_render_option_and_value(option: str, bad: object) -> None:
    df = kf.sample_ohlcv(50)
    before = df.clone()
    kwargs = {"width": 400, "height": 300, option: bad}
    kind = kwargs.pop("kind", "candle")
    with pytest.raises((ValueError, TypeError)) as info:
        df.kf.render(kind, **kwargs)
    message = str(info.value)
    assert message.startswith("render: "), message
    assert df.equals(before)
