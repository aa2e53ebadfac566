"""Decimal columns are numeric, as Polars counts them: indicators, transforms, render and streams accept them, cast
to Float64 (the README's "every numeric dtype"). Each catalogue entry on a Decimal frame gives, bit for bit, its
result on the same values cast to Float64 first."""

from __future__ import annotations

import math

import polars as pl
import pytest
from reference import outputs, random_walk, with_missing

import polars_kimsfinance as kf

COLUMNS = ("open", "high", "low", "close", "volume")


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    df = with_missing(random_walk(400, 21), 21).with_columns(pl.all().fill_nan(None))
    df = df.with_columns(session=pl.int_range(pl.len()) // 100)
    decimal = df.with_columns(pl.col(*COLUMNS).cast(pl.Decimal(18, 6)), pl.col("session").cast(pl.Decimal(10, 0)))
    return decimal, decimal.with_columns(pl.all().cast(pl.Float64))


@pytest.mark.parametrize("ind", kf.CATALOGUE, ids=lambda i: i.name)
def test_every_indicator_takes_decimal_columns_as_float64(ind, frames) -> None:
    decimal, floats = frames
    before = decimal.clone()
    got = outputs(decimal, kf.FUNCTIONS[ind.name](**ind.example_params))
    want = outputs(floats, kf.FUNCTIONS[ind.name](**ind.example_params))
    assert [s.dtype for s in got] == [pl.Float64] * len(want)
    for g, w in zip(got, want):
        assert g.fill_nan(math.inf).equals(w.fill_nan(math.inf)), ind.name
    assert decimal.equals(before)


def test_decimal_through_the_frame_namespace_transforms_render_and_streams(frames) -> None:
    decimal, floats = frames
    assert decimal.kf.rsi(14).select("rsi_14").equals(floats.kf.rsi(14).select("rsi_14"))
    assert decimal.kf.renko(1.0).equals(floats.kf.renko(1.0))
    assert decimal.kf.volume_profile(12).equals(floats.kf.volume_profile(12))
    assert bytes(decimal.kf.render(width=300, height=200)) == bytes(floats.kf.render(width=300, height=200))
    live = decimal.head(300).kf.stream([kf.sma("close", 5)])
    batch = decimal.select(kf.sma("close", 5)).tail(100).to_series()
    assert live.update(decimal.tail(100))["close"].equals(batch)
