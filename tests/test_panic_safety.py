"""A Rust panic, in our code or inside Polars, reaches the caller as an ordinary exception naming the function.

The development build (``make build``) has the ``test-hooks`` feature: ``_internal._inject_panic(True)`` makes
every shielded entry point panic as a bug would, so each kind of binding (plugin expression, transform, render,
adapter and encoder functions) is shown to turn it into an exception that ``except Exception`` catches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import polars as pl
import pytest

import polars_kimsfinance as kf
from polars_kimsfinance import _internal


@contextlib.contextmanager
def injected_panics() -> Iterator[None]:
    assert hasattr(_internal, "_inject_panic"), "the suite needs the development build (make build: test-hooks)"
    _internal._inject_panic(True)
    try:
        yield
    finally:
        _internal._inject_panic(False)


def _bars(n: int = 50) -> pl.DataFrame:
    return kf.sample_ohlcv(n)


_PIXEL_PNG = _internal._encode_png(b"\0\0\0\0", 1, 1)

# (binding kind, the function name the message must start with, the call)
CALLS = [
    ("plugin expression", "rsi", lambda df: df.select(kf.rsi("close", 14))),
    ("plugin expression via .kf", "macd", lambda df: df.kf.macd(12, 26, 9)),
    ("transform", "renko", lambda df: df.kf.renko(1.0)),
    ("transform", "pnf", lambda df: df.kf.pnf(1.0, 3)),
    ("transform", "kagi", lambda df: df.kf.kagi(1.0)),
    ("transform", "three_line_break", lambda df: df.kf.three_line_break(3)),
    ("transform", "ohlc_resample", lambda df: df.kf.ohlc_resample("1d")),
    ("transform", "tick_bars", lambda df: df.rename({"close": "price"}).kf.tick_bars(5)),
    ("transform", "volume_profile", lambda df: df.kf.volume_profile(10)),
    ("render", "render", lambda df: df.kf.render("candle", width=400, height=300)),
    ("adapter", "get_performance_stats", lambda df: kf.get_performance_stats()),
    ("adapter", "select_engine", lambda df: kf.select_engine("cpu", candles=10)),
    ("adapter", "configure", lambda df: kf.configure(default_engine="cpu")),
    ("encoder", "encode_png", lambda df: _internal._encode_png(b"\0\0\0\0", 1, 1)),
    ("decoder", "decode_image", lambda df: _internal._decode_image(_PIXEL_PNG)),
]


@pytest.fixture(autouse=True)
def _default_settings() -> Iterator[None]:
    # The calls include configure(...): put the process-wide settings back for the tests that follow.
    yield
    kf.reset_config()


@pytest.mark.parametrize(("kind", "func", "call"), CALLS, ids=[f"{k}-{f}" for k, f, _ in CALLS])
def test_a_panic_in_each_binding_is_an_exception_naming_the_function(kind: str, func: str, call: object) -> None:
    df = _bars()
    before = df.clone()
    with injected_panics(), pytest.raises(Exception) as info:
        call(df)  # type: ignore[operator]
    # An ordinary exception (PanicException derives from BaseException only), naming the function.
    assert type(info.value).__name__ != "PanicException"
    assert f"{func}: internal error" in str(info.value)
    assert "panic injected" in str(info.value)
    assert df.equals(before)
    # And the entry point works again once nothing panics.
    call(df)  # type: ignore[operator]


def test_injection_is_off_by_default() -> None:
    assert kf.sma(pl.Series([1.0, 2.0, 3.0]), 2).name is not None
    assert _bars().kf.sma(2)["sma_2"].null_count() == 1


def test_a_polars_panic_in_a_transform_names_the_function() -> None:
    # dt.truncate("1y") panics inside Polars for a date near the end of its range (2**31 days).
    df = pl.DataFrame(
        {
            "date": pl.Series([2**31 - 40] * 3, dtype=pl.Int32).cast(pl.Date),
            "open": [1.0] * 3,
            "high": [1.0] * 3,
            "low": [1.0] * 3,
            "close": [1.0] * 3,
        }
    )
    with pytest.raises(ValueError, match=r"^ohlc_resample: Polars failed on this input"):
        df.kf.ohlc_resample("1y")


def test_shield_passes_other_errors_through() -> None:
    from polars_kimsfinance._shield import shielded

    @shielded("f")
    def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
