"""The wgpu engine through the Python API: the same chart as the CPU engine (within antialiasing tolerance), engine
selection, fallback counting. On a machine without any adapter the GPU tests skip, unless KF_REQUIRE_GPU=1 (CI
installs Mesa's lavapipe and sets it, so there they run for real)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import polars_kimsfinance as kf

INFO = kf.gpu_info()
needs_gpu = pytest.mark.skipif(
    INFO is None and os.environ.get("KF_REQUIRE_GPU") != "1", reason="no GPU adapter (install mesa-vulkan-drivers)"
)


@pytest.fixture(autouse=True)
def clean_stats():
    kf.reset_performance_stats()
    with kf.config(performance_tracking=True):
        yield


def test_adapter_is_found_when_required():
    if os.environ.get("KF_REQUIRE_GPU") == "1":
        assert INFO is not None, "KF_REQUIRE_GPU=1 but no wgpu adapter was found"
        assert kf.gpu_available()


@needs_gpu
@pytest.mark.parametrize("kind", ["candle", "ohlc", "line", "hollow", "renko", "pnf"])
def test_gpu_chart_matches_cpu_chart(kind):
    df = kf.load_sample()
    cpu = df.kf.render(kind, width=640, height=360, engine="cpu")
    gpu = df.kf.render(kind, width=640, height=360, engine="gpu")
    assert cpu.timings["engine"] == "cpu" and gpu.timings["engine"] == "gpu"
    a = cpu.to_numpy().astype(np.int16)
    b = gpu.to_numpy().astype(np.int16)
    assert a.shape == b.shape == (360, 640, 4)
    diff = np.abs(a - b)
    assert diff.mean() < 2.0, f"{kind}: mean difference {diff.mean():.3f}"
    assert (diff.max(axis=2) > 64).mean() < 0.01


@needs_gpu
def test_gpu_calls_are_counted():
    df = kf.sample_ohlcv(200)
    df.kf.render(width=320, height=200, engine="gpu")
    stats = kf.get_performance_stats()
    assert stats["gpu_calls"] == 1 and stats["operations"]["render"]["calls"] == 1


def test_auto_never_picks_a_software_adapter():
    df = kf.sample_ohlcv(300)
    with kf.config(default_engine="auto", gpu_min_candles=1):
        img = df.kf.render(width=320, height=200)
    hardware = INFO is not None and not INFO["software"]
    assert img.timings["engine"] == ("gpu" if hardware else "cpu")


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'cpu', 'gpu', got 'tpu'"):
        kf.sample_ohlcv(10).kf.render(width=320, height=200, engine="tpu")


def test_cpu_render_is_counted_as_cpu():
    kf.sample_ohlcv(50).kf.render(width=320, height=200, engine="cpu")
    stats = kf.get_performance_stats()
    assert stats["cpu_calls"] == 1 and stats["gpu_calls"] == 0
    assert stats["operations"]["render"]["candles"] == 50
    assert stats["bytes_produced"] > 0
