"""``polars_kimsfinance.talib``: TA-Lib's names, signatures and defaults, equal to TA-Lib to rtol 1e-9 for every
twin, MA types, numpy / pandas / Polars inputs, and the stream handles (``talib.stream.RSI(history, 14)``)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import polars as pl
import pytest
import talib as ta
import talib.abstract
from reference import random_walk

import polars_kimsfinance as kf
from polars_kimsfinance import talib
from polars_kimsfinance.catalogue.talib_twins import MA_TYPES, TWINS

DF = random_walk(3000, 3)
ARRAYS = {name: DF[name].to_numpy() for name in DF.columns}
ARRAYS["real"] = ARRAYS["close"]
NAMES = [t.name for t in TWINS]


def args_for(name: str) -> list[np.ndarray]:
    return [ARRAYS[i] for i in next(t for t in TWINS if t.name == name).inputs]


def as_tuple(out: object) -> tuple[np.ndarray, ...]:
    return out if isinstance(out, tuple) else (out,)  # type: ignore[return-value]


def assert_close(ours: tuple[np.ndarray, ...], theirs: tuple[np.ndarray, ...], label: str, atol: float = 1e-9) -> None:
    assert len(ours) == len(theirs), label
    for a, b in zip(ours, theirs):
        assert isinstance(a, np.ndarray) and a.dtype == np.float64
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{label}: NaN warm-up differs"
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=atol, err_msg=label)


def test_every_catalogue_twin_has_a_function():
    twins = {ind.talib for ind in kf.CATALOGUE if ind.talib}
    assert twins == set(NAMES)
    assert set(talib.__all__) == {*NAMES, "MA", "FUNCTIONS", "stream"}


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_talibs(name):
    ours = inspect.signature(getattr(talib, name))
    info = ta.abstract.Function(name).info
    theirs_inputs = [
        i for group in info["input_names"].values() for i in ([group] if isinstance(group, str) else group)
    ]
    # The abstract API calls a lone price series "close"; the functions call it "real".
    if info["input_names"].get("price") == "close":
        theirs_inputs[0] = "real"
    names = list(ours.parameters)
    assert names[: len(theirs_inputs)] == theirs_inputs
    params = {k: ours.parameters[k].default for k in names[len(theirs_inputs) :]}
    assert params == dict(info["parameters"])


@pytest.mark.parametrize("name", NAMES)
def test_defaults_equal_talib(name):
    assert_close(as_tuple(getattr(talib, name)(*args_for(name))), as_tuple(getattr(ta, name)(*args_for(name))), name)


PARAMS = {
    "SMA": [{"timeperiod": 5}],
    "EMA": [{"timeperiod": 9}],
    "T3": [{"timeperiod": 3, "vfactor": 0.5}],
    "RSI": [{"timeperiod": 2}, {"timeperiod": 30}],
    "MACD": [{"fastperiod": 5, "slowperiod": 13, "signalperiod": 4}],
    "STOCH": [{"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}],
    "PPO": [{"fastperiod": 5, "slowperiod": 13, "matype": 1}],
    "APO": [{"fastperiod": 5, "slowperiod": 13, "matype": 1}],
    "BBANDS": [{"timeperiod": 20, "nbdevup": 2.5, "nbdevdn": 1.5}],
    "ULTOSC": [{"timeperiod1": 5, "timeperiod2": 10, "timeperiod3": 20}],
    "SAR": [{"acceleration": 0.03, "maximum": 0.3}],
    "ADOSC": [{"fastperiod": 5, "slowperiod": 20}],
}


@pytest.mark.parametrize("name,params", [(n, p) for n, ps in PARAMS.items() for p in ps])
def test_parameters_equal_talib(name, params):
    ours = as_tuple(getattr(talib, name)(*args_for(name), **params))
    # ADOSC is the difference of two EMAs of the accumulation/distribution line (a running sum, here ~1e7): where it
    # crosses zero, both libraries' results carry the rounding of that line, so the absolute tolerance is its scale.
    atol = 1e-15 * float(np.nanmax(np.abs(ta.AD(*args_for("AD"))))) if name == "ADOSC" else 1e-9
    assert_close(ours, as_tuple(getattr(ta, name)(*args_for(name), **params)), f"{name} {params}", atol=max(atol, 1e-9))


@pytest.mark.parametrize("matype", sorted(MA_TYPES))
def test_ma_types_as_in_talib(matype):
    close = ARRAYS["close"]
    assert_close((talib.MA(close, 20, matype),), (ta.MA(close, 20, matype),), f"MA {matype}")
    ours = talib.BBANDS(close, 20, 2.0, 1.0, matype)
    assert_close(ours, ta.BBANDS(close, 20, 2.0, 1.0, matype), f"BBANDS matype {matype}")


def test_unsupported_ma_types_are_refused():
    with pytest.raises(ValueError, match=r"MA: matype must be one of .*; got 7"):
        talib.MA(ARRAYS["close"], 30, 7)
    with pytest.raises(ValueError, match=r"STOCH: slowk_matype must be 0 \(SMA\)"):
        talib.STOCH(ARRAYS["high"], ARRAYS["low"], ARRAYS["close"], slowk_matype=1)


def test_pandas_polars_and_lists_are_accepted():
    close = ARRAYS["close"]
    want = ta.RSI(close, 14)
    for value in (pd.Series(close), pl.Series(close), list(close)):
        np.testing.assert_array_equal(talib.RSI(value, 14), talib.RSI(close, 14))
    np.testing.assert_allclose(talib.RSI(pd.Series(close)), want, rtol=1e-9)
    # A strided view is made contiguous, not read past its elements.
    np.testing.assert_array_equal(talib.SMA(close[::2], 5), talib.SMA(close[::2].copy(), 5))


def test_bad_arguments_name_the_function_and_parameter():
    with pytest.raises(ValueError, match=r"RSI: rsi: window must be an integer >= 1, got 0|RSI: .*window.*0"):
        talib.RSI(ARRAYS["close"], 0)
    with pytest.raises(ValueError, match=r"ATR: inputs must have the same length"):
        talib.ATR(ARRAYS["high"][:10], ARRAYS["low"], ARRAYS["close"])
    with pytest.raises(TypeError, match=r"RSI: real must be a numeric array"):
        talib.RSI(["a", "b"])
    with pytest.raises(TypeError, match=r"RSI: got an unexpected keyword argument 'window'"):
        talib.RSI(ARRAYS["close"], window=3)


def test_plain_functions_take_numpy_and_pandas():
    close = ARRAYS["close"]
    want = pl.select(kf.rsi(pl.Series("close", close), 14)).to_series()
    for value in (close, pd.Series(close, name="close")):
        got = pl.select(kf.rsi(value, 14)).to_series()
        assert got.to_list() == want.to_list()


@pytest.mark.parametrize("name", NAMES)
def test_stream_handles_equal_the_functions(name):
    args = args_for(name)
    history = [a[:2000] for a in args]
    handle = getattr(talib.stream, name)(*history)
    batch = as_tuple(getattr(talib, name)(*args))
    fork = handle.copy()
    for i in range(2000, 2100):
        bar = [float(a[i]) for a in args]
        peeked = handle.peek(*bar)
        got = handle.update(*bar)
        assert as_tuple(peeked) == as_tuple(got)
        assert as_tuple(handle.value) == as_tuple(got)
        want = tuple(b[i] for b in batch)
        for g, w in zip(as_tuple(got), want):
            assert (np.isnan(g) and np.isnan(w)) or g == w, f"{name} row {i}: {g} vs {w}"
    # The fork did not move: it continues from row 2000.
    got = as_tuple(fork.update(*[float(a[2000]) for a in args]))
    assert got == tuple(b[2000] for b in batch), name


def test_stream_handle_matches_talibs_handle():
    close = ARRAYS["close"]
    ours = talib.stream.RSI(close[:1000], timeperiod=14)
    theirs = ta.stream.RSI(close[:1000], timeperiod=14)
    for x in close[1000:1200]:
        assert ours.update(float(x)) == pytest.approx(theirs.update(float(x)), rel=1e-9)


def test_outputs_are_ordinary_writable_arrays_that_own_their_memory():
    out = talib.SMA(ARRAYS["close"], 5)
    assert out.flags.c_contiguous and out.flags.writeable and out.shape == (3000,)
    want = out.copy()
    out[:5] = 1.0  # writing into the extension's buffer is allowed
    assert out[5:].tolist() == want[5:].tolist()
    view = out[10:20]
    del out
    np.testing.assert_array_equal(view, want[10:20])  # the view keeps the buffer alive
