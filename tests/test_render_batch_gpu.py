"""_internal._render_batch_gpu: many charts, same arguments as one render each, drawn in GPU pages. Pixels match the
CPU engine within the GPU tests' tolerance; a bad chart is reported in its place while the others are drawn. Skips
without an adapter unless KF_REQUIRE_GPU=1."""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pytest

import polars_kimsfinance as kf
from polars_kimsfinance import _internal
from polars_kimsfinance.chart import ChartImage, _chart_arguments

needs_gpu = pytest.mark.skipif(
    kf.gpu_info() is None and os.environ.get("KF_REQUIRE_GPU") != "1", reason="no GPU adapter (mesa-vulkan-drivers)"
)


def charts(n: int) -> list[pl.DataFrame]:
    return [kf.sample_ohlcv(80 + 10 * i, seed=i) for i in range(n)]


def as_image(result: tuple) -> ChartImage:
    data, width, height, fmt, timings = result
    return ChartImage(data, width=width, height=height, format=fmt, timings=timings)


@needs_gpu
def test_batch_matches_the_cpu_engine_chart_for_chart():
    options = {"width": 480, "height": 270, "overlays": ["sma:10"], "panels": ["rsi"]}
    frames = charts(30)  # 30 charts of 480x270: more than one page (8 Mi pixels each)
    calls = [_chart_arguments(df, "candle", **options) for df in frames]
    results = _internal._render_batch_gpu([_internal._Chart(*args, **kwargs) for args, kwargs in calls])
    assert len(results) == len(frames)
    for i, (df, result) in enumerate(zip(frames, results)):
        assert isinstance(result, tuple), f"chart {i}: {result!r}"
        image = as_image(result)
        assert image.timings["engine"] == "gpu", i
        assert (image.width, image.height, image.format) == (480, 270, "png")
        cpu = df.kf.render(engine="cpu", **options).to_numpy().astype(np.int16)
        diff = np.abs(image.to_numpy().astype(np.int16) - cpu)
        assert diff.mean() < 2.0, f"chart {i}: mean difference {diff.mean():.3f}"
        assert (diff.max(axis=2) > 64).mean() < 0.01, f"chart {i}"


@needs_gpu
def test_a_bad_chart_is_reported_in_place_and_the_others_are_drawn():
    good = kf.sample_ohlcv(50)
    args, kwargs = _chart_arguments(good, "candle", width=320, height=200, format="webp")
    bad = {**kwargs, "width": 5}  # past the Python checks: the binding's own check names it
    results = _internal._render_batch_gpu(
        [_internal._Chart(*args, **kwargs), _internal._Chart(*args, **bad), _internal._Chart(*args, **kwargs)]
    )
    assert isinstance(results[1], ValueError) and "width must be between 64" in str(results[1])
    for result in (results[0], results[2]):
        image = as_image(result)
        assert image.format == "webp" and image.to_numpy().shape == (200, 320, 4)
    assert _internal._render_batch_gpu([]) == []
