"""The adapter: settings, engine selection and bounded performance statistics (see docs/adapter.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

import polars_kimsfinance as kf
from polars_kimsfinance import _internal
from polars_kimsfinance.settings import ENGINES
from polars_kimsfinance.stats import _track


def run_in_threads(work, n: int = 8) -> None:
    """Run ``work(i)`` on ``n`` threads at once; any exception in a thread fails the test."""
    errors = []
    barrier = threading.Barrier(n)

    def target(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


OPTIONS = ["default_engine", "gpu_fallback", "gpu_min_candles", "performance_tracking"]


@pytest.fixture(autouse=True)
def clean():
    kf.reset_config()
    kf.reset_performance_stats()
    yield
    kf.reset_config()
    kf.reset_performance_stats()


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


# ---------------------------------------------------------------- settings


def test_defaults():
    assert kf.get_config() == {
        "default_engine": "auto",
        "gpu_fallback": True,
        "gpu_min_candles": None,
        "performance_tracking": False,
    }
    assert kf.gpu_available() is (kf.gpu_info() is not None)


def test_configure_and_get_config():
    kf.configure(default_engine="cpu", gpu_min_candles=5, performance_tracking=True, gpu_fallback=False)
    assert kf.get_config() == {
        "default_engine": "cpu",
        "gpu_fallback": False,
        "gpu_min_candles": 5,
        "performance_tracking": True,
    }
    kf.configure(default_engine="GPU")
    assert kf.get_config()["default_engine"] == "gpu"
    kf.configure(gpu_min_candles=None)
    assert kf.get_config()["gpu_min_candles"] is None


def test_auto_stays_on_the_cpu_until_a_threshold_is_set():
    # No threshold measured on this machine: auto never picks a GPU, however large the chart.
    assert kf.select_engine("auto", candles=10**9, gpu_available=True) == "cpu"
    with kf.config(gpu_min_candles=1000):
        assert kf.select_engine("auto", candles=1000, gpu_available=True) == "gpu"
        assert kf.select_engine("auto", candles=999, gpu_available=True) == "cpu"
    assert kf.select_engine("auto", candles=10**9, gpu_available=True) == "cpu"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"engine": "cpu"}, "unknown option 'engine'; valid options are " + ", ".join(OPTIONS)),
        ({"default_engine": "tpu"}, "default_engine must be one of 'auto', 'cpu', 'gpu', got 'tpu'"),
        ({"default_engine": 1}, "default_engine must be one of 'auto', 'cpu', 'gpu', got 1"),
        ({"performance_tracking": 1}, "performance_tracking must be True or False, got 1"),
        ({"performance_tracking": "yes"}, "performance_tracking must be True or False, got 'yes'"),
        ({"gpu_fallback": None}, "gpu_fallback must be True or False, got None"),
        ({"gpu_min_candles": -1}, "gpu_min_candles must be an integer >= 0 or None, got -1"),
        ({"gpu_min_candles": 2.5}, "gpu_min_candles must be an integer >= 0 or None, got 2.5"),
        ({"gpu_min_candles": True}, "gpu_min_candles must be an integer >= 0 or None, got True"),
        ({"gpu_min_candles": 2**80}, "gpu_min_candles must be an integer >= 0 or None, got " + str(2**80)),
    ],
)
def test_configure_rejects(options, message):
    with pytest.raises(ValueError, match="^configure: " + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        kf.configure(**options)
    assert kf.get_config()["default_engine"] == "auto"


def test_configure_is_all_or_nothing():
    with pytest.raises(ValueError, match="gpu_min_candles"):
        kf.configure(default_engine="cpu", performance_tracking=True, gpu_min_candles="many")
    assert kf.get_config()["default_engine"] == "auto"
    assert kf.get_config()["performance_tracking"] is False


def test_config_context_manager_restores():
    kf.configure(gpu_min_candles=7)
    with kf.config(default_engine="cpu", performance_tracking=True) as cfg:
        assert cfg == {**kf.get_config(), "default_engine": "cpu"}
        assert kf.get_config()["performance_tracking"] is True
        with kf.config(default_engine="gpu", gpu_min_candles=1):
            assert kf.get_config()["default_engine"] == "gpu"
        assert kf.get_config()["default_engine"] == "cpu"
        assert kf.get_config()["gpu_min_candles"] == 7
    assert kf.get_config()["default_engine"] == "auto"
    assert kf.get_config()["performance_tracking"] is False
    with pytest.raises(ZeroDivisionError):
        with kf.config(default_engine="cpu"):
            1 / 0
    assert kf.get_config()["default_engine"] == "auto"
    with pytest.raises(ValueError, match="valid options"):
        with kf.config(colour="red"):
            pass


def test_configure_from_many_threads():
    def worker(i):
        for j in range(300):
            kf.configure(default_engine=("auto", "cpu", "gpu")[(i + j) % 3], gpu_min_candles=i * 1000 + j)
            cfg = kf.get_config()
            assert cfg["default_engine"] in ("auto", "cpu", "gpu")
            assert kf.select_engine(candles=10) in ("cpu", "gpu")

    run_in_threads(worker)


# ---------------------------------------------------------------- engine selection


def test_select_engine_auto_rule():
    kf.configure(gpu_min_candles=1000)
    assert kf.select_engine("auto", candles=999, gpu_available=True) == "cpu"
    assert kf.select_engine("auto", candles=1000, gpu_available=True) == "gpu"
    assert kf.select_engine("auto", candles=10**9, gpu_available=False) == "cpu"
    # detected: "auto" takes only a hardware adapter (CI's lavapipe is software)
    info = kf.gpu_info()
    hardware = info is not None and not info["software"]
    assert kf.select_engine("auto", candles=10**9) == ("gpu" if hardware else "cpu")
    assert kf.select_engine(candles=10**9) == ("gpu" if hardware else "cpu")


def test_select_engine_explicit_beats_config():
    kf.configure(default_engine="cpu", gpu_min_candles=0)
    assert kf.select_engine(candles=10, gpu_available=True) == "cpu"
    assert kf.select_engine("auto", candles=10, gpu_available=True) == "gpu"
    assert kf.select_engine("gpu", candles=10, gpu_available=True) == "gpu"
    kf.configure(default_engine="gpu")
    assert kf.select_engine(candles=10, gpu_available=True) == "gpu"
    assert kf.select_engine("cpu", candles=10, gpu_available=True) == "cpu"
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'cpu', 'gpu', got 'metal'"):
        kf.select_engine("metal")


def test_select_engine_is_a_query():
    kf.configure(performance_tracking=True)
    assert kf.select_engine("gpu", candles=10, gpu_available=False) == "cpu"
    assert kf.get_performance_stats()["fallbacks"] == 0
    kf.record_fallback()
    assert kf.get_performance_stats()["fallbacks"] == 1
    kf.configure(gpu_fallback=False)
    with pytest.raises(RuntimeError, match="no GPU adapter is available"):
        kf.select_engine("gpu", candles=10, gpu_available=False)
    assert kf.get_performance_stats()["fallbacks"] == 1


# A process where wgpu finds no adapter (there is no Metal on Linux): engine="gpu" really falls back there.
NO_GPU_SCRIPT = """
import polars_kimsfinance as kf
kf.configure(performance_tracking=True)
assert not kf.gpu_available()
assert kf.select_engine("gpu", candles=10) == "cpu"
assert kf.get_performance_stats()["fallbacks"] == 0, "a query counted a fallback"
df = kf.sample_ohlcv(50)
for _ in range(3):
    assert df.kf.render(width=200, height=120, engine="gpu").timings["engine"] == "cpu"
s = kf.get_performance_stats()
assert (s["fallbacks"], s["cpu_calls"], s["gpu_calls"]) == (3, 3, 0), s
kf.configure(gpu_fallback=False)
try:
    df.kf.render(width=200, height=120, engine="gpu")
except ValueError as e:
    assert "no GPU adapter is available" in str(e), e
else:
    raise AssertionError("engine='gpu' without a GPU and without fallback rendered")
assert kf.get_performance_stats()["fallbacks"] == 3
print("ok")
"""


@pytest.mark.skipif(sys.platform == "darwin", reason="Metal exists on macOS")
def test_a_render_that_falls_back_counts_it():
    env = {**os.environ, "WGPU_BACKEND": "metal", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", NO_GPU_SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_select_engine_records_nothing():
    kf.configure(performance_tracking=True, gpu_min_candles=100)
    calls = [
        dict(engine=None, candles=10, gpu_available=True),
        dict(engine="auto", candles=1000, gpu_available=True),
        dict(engine="cpu", candles=10, gpu_available=False),
        dict(engine="gpu", candles=10, gpu_available=True),
        dict(engine="gpu", candles=10, gpu_available=False),
    ]
    for call in calls:
        kf.select_engine(**call)
    assert kf.get_performance_stats()["total_calls"] == 0
    assert kf.get_performance_stats()["fallbacks"] == 0


def test_engine_names_have_one_source():
    assert ENGINES == ("auto", "cpu", "gpu") == tuple(_internal.ENGINES)
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'cpu', 'gpu', got 'tpu'"):
        kf.select_engine("tpu")
    # No Python module spells the names out as a value (docstrings may list them): they come from the extension.
    package = Path(kf.__file__).parent
    literal = re.compile(r"[(\[]\s*['\"]auto['\"],\s*['\"]cpu['\"],\s*['\"]gpu['\"]\s*,?\s*[)\]]")
    spelled = [p.name for p in sorted(package.rglob("*.py")) if literal.search(p.read_text())]
    assert spelled == []


def test_only_the_statistics_module_records_a_fallback():
    # A fallback is counted where a render really falls back (in Rust, or a Python render path through
    # kf.record_fallback); no Python module counts one on its own.
    package = Path(kf.__file__).parent
    callers = [p.name for p in sorted(package.rglob("*.py")) if re.search(r"record_fallback\(\)", p.read_text())]
    assert callers == ["stats.py"]


# ---------------------------------------------------------------- statistics


def test_stats_keys_and_tracking_off():
    df = kf.sample_ohlcv(200)
    df.select(kf.rsi("close", 14))
    _track("render", 1000, 10, 10)
    kf.record_fallback()
    s = kf.get_performance_stats()
    assert set(s) == {
        "tracking", "total_calls", "cpu_calls", "gpu_calls", "fallbacks", "rows_processed", "candles_processed",
        "bytes_produced", "memory_bytes", "operations",
    }  # fmt: skip
    assert s["tracking"] is False
    assert (s["total_calls"], s["fallbacks"], s["rows_processed"], s["bytes_produced"]) == (0, 0, 0, 0)
    assert list(s["operations"]) == ["indicator", "transform", "render", "mplfinance", "other"]
    assert set(s["operations"]["render"]) == {"calls", "candles", "bytes", "latency_ns"}
    assert set(s["operations"]["indicator"]) == {"calls", "rows", "bytes", "latency_ns"}
    assert set(s["operations"]["indicator"]["latency_ns"]) == {"p50", "p90", "p99", "max", "mean"}
    assert s["memory_bytes"] > 0


def test_plugin_and_module_share_the_statistics():
    """Polars loads the plugin from the package directory; it must be the very library the module imported."""
    kf.configure(performance_tracking=True)
    df = kf.sample_ohlcv(1000)
    out = df.select(kf.sma("close", 20))
    assert out.height == 1000
    s = kf.get_performance_stats()
    ind = s["operations"]["indicator"]
    assert (ind["calls"], ind["rows"], ind["bytes"]) == (1, 1000, 8000)
    assert (s["total_calls"], s["cpu_calls"], s["gpu_calls"]) == (1, 1, 0)
    assert s["rows_processed"] == 1000 and s["bytes_produced"] == 8000
    assert 0 < ind["latency_ns"]["p50"] <= ind["latency_ns"]["max"]
    # one mapping of the extension in this process, whoever loaded it
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "polars_kimsfinance" in line and "_internal" in line}
    assert len(paths) == 1, paths


def test_real_work_shows_real_numbers():
    kf.configure(performance_tracking=True)
    df = kf.sample_ohlcv(5000)
    df.kf.keltner()  # one plugin call, a struct of three Float64 fields
    df.with_columns(pl.col("close").cast(pl.Float32)).select(kf.ema("close", 10))  # Float32 output
    df.lazy().select(kf.rsi("close", 14).alias("rsi"), kf.atr().alias("atr")).collect()
    s = kf.get_performance_stats()
    ind = s["operations"]["indicator"]
    assert ind["calls"] == 4
    assert ind["rows"] == 4 * 5000
    assert ind["bytes"] == 5000 * (3 * 8 + 4 + 8 + 8)
    lat = ind["latency_ns"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["max"] < 10 * 10**9
    assert s["operations"]["render"]["calls"] == 0


def test_reset_really_resets():
    kf.configure(performance_tracking=True)
    kf.sample_ohlcv(300).select(kf.sma("close", 5))
    _track("render", 5_000, rows=300, bytes=1234, engine="gpu")
    kf.record_fallback()
    before = kf.get_performance_stats()
    assert before["total_calls"] == 2 and before["gpu_calls"] == 1 and before["fallbacks"] == 1
    kf.reset_performance_stats()
    after = kf.get_performance_stats()
    for key in ("total_calls", "cpu_calls", "gpu_calls", "fallbacks", "rows_processed", "candles_processed"):
        assert after[key] == 0, key
    assert after["bytes_produced"] == 0
    for name, op in after["operations"].items():
        assert op["calls"] == 0 and op["bytes"] == 0, name
        assert op["latency_ns"] == {"p50": 0, "p90": 0, "p99": 0, "max": 0, "mean": 0.0}, name
    assert after["memory_bytes"] == before["memory_bytes"]
    assert after["tracking"] is True


def test_track_from_python():
    kf.configure(performance_tracking=True)
    for i in range(100_000):
        _track("render", 1_000 + i, rows=2, bytes=3)
    _track("no-such-operation", 50)
    s = kf.get_performance_stats()
    r = s["operations"]["render"]
    assert (r["calls"], r["candles"], r["bytes"]) == (100_000, 200_000, 300_000)
    assert s["operations"]["other"]["calls"] == 1
    assert s["candles_processed"] == 200_000
    # p50 of 1000..100999 is ~51000 (bucket upper edge, within 6.25 %); max and mean are exact
    assert 50_999 <= r["latency_ns"]["p50"] <= 51_000 * 1.0625
    assert r["latency_ns"]["max"] == 100_999
    assert r["latency_ns"]["mean"] == pytest.approx(50_999.5)
    with pytest.raises(ValueError, match="engine must be 'cpu' or 'gpu'"):
        _track("render", 1, engine="tpu")


def test_ten_million_operations_use_constant_memory():
    kf.configure(performance_tracking=True)
    footprint = kf.get_performance_stats()["memory_bytes"]
    _internal._stress(100_000, 4)  # touch every page once before measuring
    kf.reset_performance_stats()
    rss0 = rss_bytes()
    _internal._stress(10_000_000, 4)
    rss1 = rss_bytes()
    s = kf.get_performance_stats()
    assert s["total_calls"] == 10_000_000
    assert sum(op["calls"] for op in s["operations"].values()) == 10_000_000
    assert s["bytes_produced"] == 80_000_000
    assert s["memory_bytes"] == footprint
    assert rss1 - rss0 < 1024 * 1024, f"RSS grew by {rss1 - rss0} bytes"
    assert footprint < 64 * 1024


def test_eight_threads_computing_indicators_give_exact_counts():
    kf.configure(performance_tracking=True)
    frames = [kf.sample_ohlcv(2000 + 100 * i, seed=i) for i in range(8)]
    iterations = 25

    def worker(i):
        for _ in range(iterations):
            out = frames[i].select(kf.sma("close", 10), kf.rsi("close", 14).alias("rsi"))
            assert out.height == frames[i].height

    run_in_threads(worker)
    s = kf.get_performance_stats()
    ind = s["operations"]["indicator"]
    assert ind["calls"] == 8 * iterations * 2
    rows = sum(f.height for f in frames) * iterations * 2
    assert ind["rows"] == rows and s["rows_processed"] == rows
    assert ind["bytes"] == rows * 8
    assert s["total_calls"] == s["cpu_calls"] == 8 * iterations * 2


def test_eight_threads_rendering_give_exact_counts():
    kf.configure(performance_tracking=True)
    df = kf.sample_ohlcv(500)
    iterations = 5

    def worker(_):
        for _ in range(iterations):
            assert len(bytes(df.kf.render(kind="candle", width=320, height=200))) > 0

    run_in_threads(worker)
    r = kf.get_performance_stats()["operations"]["render"]
    assert r["calls"] == 8 * iterations
    assert r["candles"] == 8 * iterations * 500


def test_transforms_are_recorded():
    kf.reset_performance_stats()
    with kf.config(performance_tracking=True):
        df = kf.load_sample()
        df.kf.renko(2.0)
        df.kf.volume_profile(bins=10)
    stats = kf.get_performance_stats()
    assert stats["operations"]["transform"]["calls"] == 2
    assert stats["operations"]["transform"]["rows"] == 2 * df.height


def test_the_extension_allocates_through_polars_allocator():
    # Polars 2 exports its allocator from polars._plr, Polars 1 from polars.polars; both must be found, or every
    # fresh output column is faulted in and zeroed anew (docs/engine.md).
    from polars_kimsfinance import _internal

    assert _internal._allocator_is_polars() is True


def test_statistics_counters_saturate_at_2_64() -> None:
    from polars_kimsfinance import _internal

    top = 2**64 - 1
    previous = kf.get_config()["performance_tracking"]
    kf.configure(performance_tracking=True)
    try:
        kf.reset_performance_stats()
        for _ in range(2):
            _internal._track("indicator", top, rows=top, bytes=top)
        op = kf.get_performance_stats()["operations"]["indicator"]
        assert (op["calls"], op["rows"], op["bytes"]) == (2, top, top)
        assert op["latency_ns"]["mean"] == float(top) / 2
    finally:
        kf.reset_performance_stats()
        kf.configure(performance_tracking=previous)
