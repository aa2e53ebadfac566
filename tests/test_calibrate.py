"""kf.calibrate_gpu: measuring the size from which the GPU engine is faster, and setting gpu_min_candles from it.

One real calibration runs on whatever adapter this machine has (Mesa's lavapipe in CI, where KF_REQUIRE_GPU=1 makes a
missing adapter a failure, as in test_gpu_render.py); the decision logic is tested on made-up timings, since a real
machine only ever shows one of its cases."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import polars_kimsfinance as kf
from polars_kimsfinance import calibrate
from polars_kimsfinance.calibrate import CalibrationRow, _gpu_threshold

INFO = kf.gpu_info()
needs_gpu = pytest.mark.skipif(
    INFO is None and os.environ.get("KF_REQUIRE_GPU") != "1", reason="no GPU adapter (install mesa-vulkan-drivers)"
)
# Small enough that the whole file runs in seconds on a shared 2-core machine with a software adapter.
SMALL = dict(width=320, height=200, repeats=2)
FAKE_HARDWARE = {
    "name": "Fake GPU",
    "backend": "Vulkan",
    "device_type": "DiscreteGpu",
    "driver": "1",
    "software": False,
}


@pytest.fixture(autouse=True)
def clean_config():
    kf.reset_config()
    yield
    kf.reset_config()


def table(*rows):
    """Hand-made rows from (candles, cpu_ms, gpu_ms) triples."""
    return [CalibrationRow(n, cpu, gpu, None if gpu is None else gpu / cpu) for n, cpu, gpu in rows]


def fake_timings(monkeypatch, gpu_ms, adapter_info=FAKE_HARDWARE):
    """Replace the timed render by fixed times: the CPU takes candles / 100 ms, the GPU ``gpu_ms(candles)``."""

    def timed(render, frame, engine):
        return frame.height / 100 if engine == "cpu" else gpu_ms(frame.height)

    monkeypatch.setattr(calibrate, "_timed_render", timed)
    monkeypatch.setattr(calibrate, "gpu_info", lambda: adapter_info)


# ---------------------------------------------------------------- the threshold rule


@pytest.mark.parametrize(
    "rows, expected",
    [
        pytest.param([(100, 5, 50), (1000, 8, 40), (10000, 12, 30)], None, id="never wins"),
        pytest.param([(100, 5, 50), (1000, 8, 40), (10000, 31, 30)], 10000, id="wins only at the top"),
        pytest.param([(100, 5, 1), (1000, 8, 40), (10000, 31, 30)], 10000, id="wins, loses, wins"),
        pytest.param(
            [(100, 5, 1), (1000, 8, 7), (3000, 9, 10), (10000, 20, 9), (30000, 25, 9)],
            10000,
            id="wins, wins, loses, wins, wins",
        ),
        pytest.param([(100, 5, 4), (1000, 8, 7), (10000, 12, 11)], 100, id="wins everywhere"),
        pytest.param([(100, 5, 50), (1000, 8, 40), (10000, 30, 30)], None, id="a tie is not a win"),
        pytest.param([(10000, 31, 30), (100, 5, 50), (1000, 9, 8)], 1000, id="unsorted rows"),
        pytest.param([(100, 5, None), (1000, 8, None)], None, id="no adapter"),
        pytest.param([], None, id="no rows"),
    ],
)
def test_threshold_is_where_the_gpu_wins_from_there_up(rows, expected):
    assert _gpu_threshold(table(*rows)) == expected


# ---------------------------------------------------------------- a real measurement


@needs_gpu
def test_measures_both_engines_at_every_size_and_applies_only_a_threshold():
    before = kf.get_config()
    result = kf.calibrate_gpu(sizes=(n for n in (800, 50, 200, 50)), apply=True, **SMALL)
    assert [row.candles for row in result.rows] == [50, 200, 800]
    for row in result.rows:
        assert 0 < row.cpu_ms < 10_000 and 0 < row.gpu_ms < 10_000
        assert row.ratio == pytest.approx(row.gpu_ms / row.cpu_ms)
    assert result.adapter == INFO
    assert result.threshold == _gpu_threshold(result.rows)
    assert (result.width, result.height, result.repeats) == (320, 200, 2)
    after = kf.get_config()
    if result.threshold is None:
        assert (
            not result.applied
            and after == before
            and "stays None (unset: engine='auto' stays on the CPU)" in result.note
        )
    else:
        assert result.applied and after == {**before, "gpu_min_candles": result.threshold}
    assert result.gpu_min_candles == after["gpu_min_candles"]
    assert ("software rasteriser" in result.note) is INFO["software"]
    text = str(result)
    assert "| candles | cpu ms | gpu ms | gpu / cpu |" in text and "| 800 |" in text and INFO["name"] in text


def test_without_an_adapter_only_the_cpu_is_measured(monkeypatch):
    monkeypatch.setattr(calibrate, "gpu_info", lambda: None)
    kf.configure(gpu_min_candles=1234)
    result = kf.calibrate_gpu(sizes=(50, 100), apply=True, **SMALL)
    assert [(row.candles, row.gpu_ms, row.ratio) for row in result.rows] == [(50, None, None), (100, None, None)]
    assert all(row.cpu_ms > 0 for row in result.rows)
    assert result.threshold is None and result.adapter is None and not result.applied
    assert kf.get_config()["gpu_min_candles"] == 1234
    assert result.note == "no GPU adapter: only the CPU was measured; gpu_min_candles stays 1234"
    assert "| 50 | " in result.table() and " - | - |" in result.table()


# ---------------------------------------------------------------- apply, on made-up timings


def test_apply_sets_gpu_min_candles_to_the_threshold(monkeypatch):
    fake_timings(monkeypatch, lambda n: 50.0)  # the CPU is slower from 5,000 candles up
    result = kf.calibrate_gpu(sizes=np.array([1000, 10000, 100000]), apply=True, **SMALL)
    assert [row.ratio for row in result.rows] == pytest.approx([5.0, 0.5, 0.05])
    assert result.threshold == 10000 and result.applied
    assert kf.get_config()["gpu_min_candles"] == result.gpu_min_candles == 10000
    assert result.note == "gpu_min_candles set to 10000"


def test_without_apply_the_threshold_is_only_reported(monkeypatch):
    fake_timings(monkeypatch, lambda n: 50.0)
    kf.configure(gpu_min_candles=77)
    result = kf.calibrate_gpu(sizes=(1000, 10000), **SMALL)
    assert result.threshold == 10000 and not result.applied
    assert kf.get_config()["gpu_min_candles"] == result.gpu_min_candles == 77
    assert result.note == "not applied: pass apply=True or call kf.configure(gpu_min_candles=10000)"


def test_apply_leaves_the_config_alone_when_the_gpu_never_wins(monkeypatch):
    fake_timings(monkeypatch, lambda n: n)  # always 100x slower
    kf.configure(gpu_min_candles=1234, default_engine="cpu")
    before = kf.get_config()
    result = kf.calibrate_gpu(sizes=(1000, 10000), apply=True, **SMALL)
    assert result.threshold is None and not result.applied
    assert kf.get_config() == before
    assert result.note == (
        "the GPU is not faster at the largest size measured (10,000 candles); gpu_min_candles stays 1234"
    )


def test_a_software_adapter_is_still_never_used_by_auto(monkeypatch):
    software = {**FAKE_HARDWARE, "name": "llvmpipe", "device_type": "Cpu", "software": True}
    fake_timings(monkeypatch, lambda n: 0.001, software)
    result = kf.calibrate_gpu(sizes=(100, 1000), apply=True, **SMALL)
    assert result.threshold == 100 and kf.get_config()["gpu_min_candles"] == 100
    assert result.note.endswith("; the adapter is a software rasteriser, which engine='auto' never uses")
    # The render path decides from the real adapter, which the calibration cannot change.
    image = kf.sample_ohlcv(300).kf.render(width=320, height=200, engine="auto")
    assert image.timings["engine"] == ("gpu" if INFO is not None and not INFO["software"] else "cpu")


def test_a_gpu_render_that_fell_back_is_not_timed_as_gpu():
    class Image:
        timings = {"engine": "cpu"}

    with pytest.raises(RuntimeError, match="the gpu render of 10 candles ran on 'cpu'"):
        calibrate._timed_render(lambda frame, engine: Image(), kf.sample_ohlcv(10), "gpu")


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sizes": ()}, "sizes must be a non-empty sequence of integers >= 1, got ()"),
        ({"sizes": "100"}, "sizes must be a non-empty sequence of integers >= 1, got '100'"),
        ({"sizes": 100}, "sizes must be a non-empty sequence of integers >= 1, got 100"),
        ({"sizes": []}, "sizes must be a non-empty sequence of integers >= 1, got []"),
        ({"sizes": (100, 0)}, "sizes must hold integers >= 1, got 0 in (100, 0)"),
        ({"sizes": [1.5]}, "sizes must hold integers >= 1, got 1.5 in [1.5]"),
        ({"sizes": [True]}, "sizes must hold integers >= 1, got True in [True]"),
        ({"repeats": 0}, "repeats must be an integer >= 1, got 0"),
        ({"repeats": 2.0}, "repeats must be an integer >= 1, got 2.0"),
        ({"width": 63}, "width must be an integer between 64 and 16384, got 63"),
        ({"height": 16385}, "height must be an integer between 64 and 16384, got 16385"),
        ({"width": True}, "width must be an integer between 64 and 16384, got True"),
        ({"apply": 1}, "apply must be True or False, got 1"),
        ({"apply": "yes"}, "apply must be True or False, got 'yes'"),
    ],
)
def test_bad_arguments_are_rejected_before_anything_runs(kwargs, message, monkeypatch):
    monkeypatch.setattr(calibrate, "_timed_render", pytest.fail)  # nothing may be rendered
    with pytest.raises(ValueError, match="^" + re.escape("calibrate_gpu: " + message) + "$"):
        kf.calibrate_gpu(**kwargs)
    assert kf.get_config()["gpu_min_candles"] is None


def test_exported_from_the_package():
    assert "calibrate_gpu" in kf.__all__ and kf.calibrate_gpu is calibrate.calibrate_gpu
