"""Contract every catalogue entry honours, whatever its family: eager = lazy = streaming = per-group under
``.over()``, several chunks = one chunk, edge cases give nulls not errors, bad input gives clear errors, and the
caller's frame is never modified."""

from __future__ import annotations

import inspect

import numpy as np
import polars as pl
import pytest
from reference import collect_streaming, outputs, random_walk

import polars_kimsfinance as kf

ENTRIES = list(kf.CATALOGUE)
IDS = [ind.name for ind in ENTRIES]


def expr_of(ind, **kwargs):
    return kf.FUNCTIONS[ind.name](**{**ind.example_params, **kwargs})


def frames_equal(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.schema == b.schema
    assert a.equals(b), f"{a}\n!=\n{b}"


def with_session(df: pl.DataFrame) -> pl.DataFrame:
    """Add the session key ``vwap_anchored`` reads: a new session every 100 rows."""
    return df.with_columns(session=pl.int_range(pl.len()) // 100)


@pytest.fixture(scope="module")
def walk() -> pl.DataFrame:
    return with_session(random_walk(600, 5))


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_eager_lazy_and_streaming_agree(ind, walk):
    eager = walk.select(expr_of(ind).alias("out"))
    lazy = walk.lazy().select(expr_of(ind).alias("out")).collect()
    streaming = collect_streaming(walk.lazy().select(expr_of(ind).alias("out")))
    frames_equal(eager, lazy)
    frames_equal(eager, streaming)


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_over_groups_equals_each_group_alone(ind, walk):
    sizes = [250, 3, 347]  # one group shorter than any warm-up
    symbol = np.repeat(["A", "B", "C"], sizes)
    df = walk.with_columns(symbol=pl.Series(symbol))
    over = df.select(expr_of(ind).over("symbol").alias("out"))["out"]
    parts = [g.select(expr_of(ind).alias("out"))["out"] for _, g in df.group_by("symbol", maintain_order=True)]
    expected = pl.concat(parts)
    assert over.equals(expected)


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_several_chunks_equal_one_chunk(ind, walk):
    chunked = pl.concat([walk.slice(0, 100), walk.slice(100, 333), walk.slice(433)], rechunk=False)
    assert chunked["close"].n_chunks() == 3
    frames_equal(chunked.select(expr_of(ind).alias("out")), walk.select(expr_of(ind).alias("out")))


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_frames_give_values_or_nulls(ind, walk, n):
    out = outputs(walk.head(n), expr_of(ind))
    for s in out:
        assert s.len() == n
        assert s.is_nan().sum() == 0


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_all_null_input_gives_all_null(ind):
    columns = ("open", "high", "low", "close", "volume", "session")
    df = pl.DataFrame({c: pl.Series([None] * 30, dtype=pl.Float64) for c in columns})
    for s in outputs(df, expr_of(ind)):
        assert s.null_count() == 30


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_integer_inputs_give_float64(ind, walk):
    ints = walk.select((pl.all() * 100).cast(pl.Int64))
    for s in outputs(ints, expr_of(ind)):
        assert s.dtype == pl.Float64


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_non_numeric_column_fails_at_plan_time_naming_function_column_dtype(ind, walk):
    bad = walk.with_columns(pl.col(ind.primary).cast(pl.String))
    lf = bad.lazy().select(expr_of(ind))
    with pytest.raises(Exception) as info:
        lf.collect_schema()
    msg = str(info.value)
    assert ind.name in msg and ind.primary in msg and "str" in msg.lower()


@pytest.mark.parametrize("ind", [i for i in ENTRIES if any(p.kind == "window" for p in i.params)], ids=lambda i: i.name)
def test_window_zero_raises_value_error_naming_parameter(ind):
    param = next(p for p in ind.params if p.kind == "window")
    with pytest.raises(ValueError, match=rf"{ind.name}: {param.name} must be an integer >= 1, got 0"):
        kf.FUNCTIONS[ind.name](**{**ind.example_params, param.name: 0})


@pytest.mark.parametrize("ind", [i for i in ENTRIES if any(p.kind == "window" for p in i.params)], ids=lambda i: i.name)
def test_window_longer_than_series_is_all_null(ind, walk):
    windows = {p.name: 50 for p in ind.params if p.kind == "window"}
    out = outputs(walk.head(10), kf.FUNCTIONS[ind.name](**{**ind.example_params, **windows}))
    # ichimoku's chikou is the close itself (the value plotted `kijun` bars back): it has no warm-up.
    out = [s for s, field in zip(out, ind.fields) if (ind.name, field) != ("ichimoku", "chikou")]
    assert all(s.null_count() == 10 for s in out)


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_dataframe_method_adds_named_columns_and_leaves_input_alone(ind, walk):
    df = walk.rename({"close": "Close", "high": "HIGH"})
    before = df.clone()
    out = getattr(df.kf, ind.name)(**ind.example_params)
    frames_equal(df, before)
    new = [c for c in out.columns if c not in df.columns]
    if len(ind.fields) == 1:
        values = {**{p.name: p.default for p in ind.params}, **ind.example_params}
        assert new == [ind.column_name(values)]
    else:
        assert new == list(ind.fields)
    lazy = getattr(df.lazy().kf, ind.name)(**ind.example_params).collect()
    frames_equal(out, lazy)


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_expr_and_series_namespaces_delegate(ind, walk):
    by_function = walk.select(expr_of(ind).alias("out"))["out"]
    method = getattr(pl.col(ind.primary).kf, ind.name)
    by_expr = walk.select(method(**{r: r for r in ind.secondary}, **ind.example_params).alias("out"))
    assert by_function.equals(by_expr["out"])
    series = getattr(walk[ind.primary].kf, ind.name)(**{r: walk[r] for r in ind.secondary}, **ind.example_params)
    assert series.equals(by_function.alias(ind.primary))


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_docstrings_and_signatures(ind):
    fn = kf.FUNCTIONS[ind.name]
    sig = inspect.signature(fn)
    assert list(sig.parameters)[0] == ind.primary
    assert [p.name for p in ind.params] == list(sig.parameters)[1 : 1 + len(ind.params)]
    assert ">>>" in fn.__doc__ and "Parameters" in fn.__doc__
    assert fn.__doc__.splitlines()[0] == ind.summary


def test_missing_column_lists_the_columns_found(walk):
    with pytest.raises(ValueError, match=r"rsi: no 'close' column .* among \['open', 'high'"):
        walk.drop("close").kf.rsi(14)


def test_ambiguous_columns_are_reported():
    df = pl.DataFrame({"close": [1.0], "Close": [2.0]})
    with pytest.raises(ValueError, match="several columns match 'close'"):
        df.kf.sma(2)


def test_column_override(walk):
    df = walk.rename({"close": "adj"})
    out = df.kf.sma(5, close="adj")
    assert out["sma_5"].equals(walk.select(kf.sma("close", 5))["close"].alias("sma_5"))


def test_wrong_type_parameter():
    with pytest.raises(TypeError, match="sma: window must be a number, got 'x'"):
        kf.sma("close", "x")
    with pytest.raises(ValueError, match=r"sma: window must be an integer >= 1, got 2.5"):
        kf.sma("close", 2.5)
    with pytest.raises(TypeError, match=r"sma: window must be a number, got np.True_"):
        kf.sma("close", np.bool_(True))


def test_bad_input_and_huge_parameter_name_the_function():
    with pytest.raises(TypeError, match=r"sma: close must be a column name, expression, Series or array, got int 123"):
        kf.sma(123)
    with pytest.raises(TypeError, match=r"atr: high must be a column name, expression, Series or array, got float 1.5"):
        kf.atr(high=1.5)
    with pytest.raises(ValueError, match=r"sma: window is out of range, got an integer of 1329 bits"):
        kf.sma("close", 10**400)
    with pytest.raises(ValueError, match=r"sma: window is out of range, got an integer of 16610 bits"):
        kf.sma("close", 10**5000)


def test_numpy_scalar_parameters_are_numbers(walk):
    # A window computed with numpy is a numpy integer; it means the same as the Python int.
    want = walk.select(kf.bbands("close", 20, 2.0))
    assert walk.select(kf.bbands("close", np.int64(20), np.float32(2.0))).equals(want)
    assert walk.select(kf.bbands("close", np.int32(20), np.float64(2.0))).equals(want)


@pytest.mark.parametrize("ind", ENTRIES, ids=IDS)
def test_expression_output_is_named_after_its_primary_input(ind, walk):
    assert walk.select(expr_of(ind)).columns == [ind.primary]
    assert walk.lazy().select(expr_of(ind)).collect_schema().names() == [ind.primary]
