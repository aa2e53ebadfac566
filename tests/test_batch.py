"""Batches of charts: kf.render_many, df.kf.render_by / lf.kf.render_by, kf.iter_render and the CLI's --by."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

import polars_kimsfinance as kf

SMALL = dict(width=240, height=160)


def frames(n: int, bars: int = 60) -> list[pl.DataFrame]:
    return [kf.sample_ohlcv(bars + i % 5, seed=i) for i in range(n)]


def long_frame() -> pl.DataFrame:
    """Three symbols whose rows are interleaved (not one block per symbol), one with a null key."""
    parts = [
        kf.sample_ohlcv(40, seed=1).with_columns(symbol=pl.lit("B/x")),
        kf.sample_ohlcv(30, seed=2).with_columns(symbol=pl.lit("A")),
        kf.sample_ohlcv(35, seed=3).with_columns(symbol=pl.lit(None, dtype=pl.String)),
    ]
    df = pl.concat(parts).with_row_index("i")
    # Interleave: sort by date puts the symbols' bars side by side (each symbol's own rows stay in order).
    return df.sort("date", "i").drop("i")


# ---------------------------------------------------------------------------------------------------------------
# Same charts as render()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"overlays": ["sma:10", ("mid", (pl.col("high") + pl.col("low")) / 2, "#FF8800")], "panels": ["rsi", "macd"]},
        {"kind": "heikin_ashi", "volume": False},
        {"kind": "line", "fill": True, "theme": "light"},
        {"kind": "renko"},
        {"kind": "pnf", "reversal": 2},
        {"overlays": [("level", pl.col("close").mean())], "format": "svg"},
        {"format": "webp", "antialias": False, "colors": {"up": "#00FF00"}},
    ],
)
def test_render_many_draws_what_render_draws(options):
    fs = frames(4)
    charts = kf.render_many(fs, **SMALL, **options)
    assert [bytes(c) for c in charts] == [bytes(f.kf.render(**SMALL, **options)) for f in fs]
    assert all(c.timings["engine"] == "cpu" for c in charts)


def test_bytes_do_not_depend_on_workers():
    fs = frames(12)
    one = kf.render_many(fs, workers=1, **SMALL)
    two = kf.render_many(fs, workers=2, **SMALL)
    assert [bytes(c) for c in one] == [bytes(c) for c in two]


def test_a_batch_longer_than_one_call_into_rust_with_a_failure_inside():
    # More charts than one call into Rust takes (batch._STEP), a failing chart in the middle splitting a run.
    fs = frames(300, bars=30)
    fs[150] = bad_frame()
    out = kf.render_many(fs, errors="collect", width=96, height=64)
    assert isinstance(out[150], ValueError) and "chart 150" in str(out[150])
    for i in (0, 127, 128, 149, 151, 299):
        assert bytes(out[i]) == bytes(fs[i].kf.render(width=96, height=64)), i


def test_per_chart_options_as_lists_and_callables():
    fs = frames(3)
    charts = kf.render_many(
        fs,
        width=[240, 300, 360],
        height=160,
        title=lambda i: f"chart {i}",
        overlays=[["sma:5"], ["ema:8"], ["sma:5"]],
        theme=["light", "classic", "modern"],
    )
    for i, (f, c) in enumerate(zip(fs, charts)):
        expected = f.kf.render(
            width=[240, 300, 360][i],
            height=160,
            title=f"chart {i}",
            overlays=[["sma:5"], ["ema:8"], ["sma:5"]][i],
            theme=["light", "classic", "modern"][i],
        )
        assert bytes(c) == bytes(expected), i


def test_lazy_frames_and_generators():
    fs = frames(3)
    charts = kf.render_many((f.lazy() for f in fs), **SMALL)
    assert [bytes(c) for c in charts] == [bytes(f.kf.render(**SMALL)) for f in fs]


def test_frames_with_different_schemas_are_drawn_each_by_its_own():
    a = kf.sample_ohlcv(50, seed=1)
    b = a.with_columns(pl.col("volume").cast(pl.Int64)).rename({"close": "Close"})
    charts = kf.render_many([a, b, a], **SMALL)
    assert bytes(charts[1]) == bytes(b.kf.render(**SMALL))
    assert bytes(charts[0]) == bytes(charts[2]) == bytes(a.kf.render(**SMALL))


def test_null_times_take_their_own_charts_times():
    a, b = kf.sample_ohlcv(30, seed=1), kf.sample_ohlcv(30, seed=2)
    b = b.with_columns(date=pl.when(pl.int_range(pl.len()) < 3).then(None).otherwise(pl.col("date")))
    charts = kf.render_many([a, b], **SMALL)
    assert bytes(charts[1]) == bytes(b.kf.render(**SMALL))


def test_gpu_engine_is_chosen_per_chart_as_for_render():
    if not kf.gpu_available():
        pytest.skip("no GPU adapter (not even a software one)")
    fs = frames(3)
    charts = kf.render_many(fs, engine="gpu", **SMALL)
    assert [c.timings["engine"] for c in charts] == [f.kf.render(engine="gpu", **SMALL).timings["engine"] for f in fs]
    assert [bytes(c) for c in charts] == [bytes(f.kf.render(engine="gpu", **SMALL)) for f in fs]


def test_volume_panel_is_decided_per_chart():
    with_volume = kf.sample_ohlcv(50, seed=1)
    no_volume = with_volume.with_columns(volume=pl.lit(0.0))
    charts = kf.render_many([with_volume, no_volume], **SMALL)
    assert bytes(charts[0]) == bytes(with_volume.kf.render(**SMALL))
    assert bytes(charts[1]) == bytes(no_volume.kf.render(**SMALL))
    assert bytes(charts[1]) == bytes(no_volume.kf.render(**SMALL, volume=False))


# ---------------------------------------------------------------------------------------------------------------
# render_by


def test_render_by_groups_in_first_appearance_order():
    df = long_frame()
    charts = df.kf.render_by("symbol", **SMALL, overlays=["sma:10"], title=lambda k: f"{k} daily")
    assert list(charts) == ["B/x", "A", None]
    for key, chart in charts.items():
        rows = df.filter(pl.col("symbol").is_null() if key is None else pl.col("symbol") == key)
        assert bytes(chart) == bytes(rows.kf.render(**SMALL, overlays=["sma:10"], title=f"{key} daily")), key


def test_render_by_sort_and_lazy():
    df = long_frame()
    assert list(df.kf.render_by("symbol", sort=True, **SMALL)) == ["A", "B/x", None]
    lazy = df.lazy().kf.render_by("symbol", **SMALL)
    eager = df.kf.render_by("symbol", **SMALL)
    assert {k: bytes(v) for k, v in lazy.items()} == {k: bytes(v) for k, v in eager.items()}


def test_render_by_integer_keys_and_empty_frame():
    df = pl.concat([kf.sample_ohlcv(30, seed=s).with_columns(sid=pl.lit(s)) for s in (7, 3)])
    assert list(df.kf.render_by("sid", **SMALL)) == [7, 3]
    assert df.head(0).kf.render_by("sid", **SMALL) == {}


def test_render_by_missing_key_column():
    with pytest.raises(ValueError, match=r"render_by: no key column 'ticker'"):
        long_frame().kf.render_by("ticker")


# ---------------------------------------------------------------------------------------------------------------
# Files


def test_out_dir_writes_one_file_per_chart(tmp_path):
    df = long_frame().with_columns(
        pl.when(pl.col("symbol") == "A").then(pl.lit("..")).otherwise(pl.col("symbol")).alias("symbol")
    )
    paths = df.kf.render_by("symbol", out_dir=tmp_path / "charts", **SMALL)
    assert [p.name for p in paths.values()] == ["B_x.png", "_.png", "null.png"]
    for key, path in paths.items():
        rows = df.filter(pl.col("symbol").is_null() if key is None else pl.col("symbol") == key)
        assert path.read_bytes() == bytes(rows.kf.render(**SMALL))
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["B_x.png", "_.png", "null.png"]


def test_file_names_are_made_safe(tmp_path):
    keys = ["a/b", "c\\d", "..", "CON", "nul.txt", "x\x00y", "e\nf", ".hidden"]
    df = pl.concat([kf.sample_ohlcv(20, seed=i).with_columns(k=pl.lit(key)) for i, key in enumerate(keys)])
    paths = df.kf.render_by("k", out_dir=tmp_path, format="svg", **SMALL)
    assert [p.name for p in paths.values()] == [
        "a_b.svg",
        "c_d.svg",
        "_.svg",
        "_CON.svg",
        "_nul.txt.svg",
        "x_y.svg",
        "e_f.svg",
        "hidden.svg",
    ]
    assert all(p.parent == tmp_path for p in paths.values())


def test_colliding_file_names_are_an_error_before_any_work(tmp_path):
    df = pl.concat([kf.sample_ohlcv(20, seed=i).with_columns(k=pl.lit(key)) for i, key in enumerate(["a/b", "a_b"])])
    with pytest.raises(ValueError, match=r"render_by: charts 'a/b' and 'a_b' would both be written to 'a_b.png'"):
        df.kf.render_by("k", out_dir=tmp_path, **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_existing_files_need_overwrite(tmp_path):
    fs = frames(3)
    paths = kf.render_many(fs, out_dir=tmp_path, **SMALL)
    assert [p.name for p in paths] == ["0.png", "1.png", "2.png"]
    (tmp_path / "0.png").unlink()
    (tmp_path / "1.png").write_bytes(b"old")
    with pytest.raises(FileExistsError, match=r"render_many: .*1\.png' exists; pass overwrite=True"):
        kf.render_many(fs, out_dir=tmp_path, **SMALL)
    assert not (tmp_path / "0.png").exists()  # checked before any work
    assert (tmp_path / "1.png").read_bytes() == b"old"
    kf.render_many(fs, out_dir=tmp_path, overwrite=True, **SMALL)
    assert (tmp_path / "1.png").read_bytes() == bytes(fs[1].kf.render(**SMALL))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.png", "1.png", "2.png"]  # no temporary file left


def test_out_dir_that_is_a_file_or_unwritable(tmp_path):
    file = tmp_path / "f"
    file.write_text("x")
    with pytest.raises(NotADirectoryError, match=r"render_many: out_dir .* exists and is not a directory"):
        kf.render_many(frames(1), out_dir=file)
    with pytest.raises(PermissionError, match=r"render_many: cannot create out_dir"):
        kf.render_many(frames(1), out_dir=file / "sub")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(PermissionError, match=r"not writable"):
            kf.render_many(frames(1), out_dir=locked)


# ---------------------------------------------------------------------------------------------------------------
# Errors


def bad_frame() -> pl.DataFrame:
    df = kf.sample_ohlcv(40, seed=9)
    return df.with_columns(high=pl.when(pl.int_range(pl.len()) == 5).then(0.0).otherwise(pl.col("high")))


def test_a_failing_chart_raises_after_the_others_finished(tmp_path):
    fs = [*frames(2), bad_frame(), *frames(2)]
    with pytest.raises(ValueError, match=r"render_many: chart 2: high < low at row 5") as info:
        kf.render_many(fs, out_dir=tmp_path, **SMALL)
    assert isinstance(info.value.__cause__, ValueError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.png", "1.png", "3.png", "4.png"]


def test_errors_collect_puts_the_exception_in_place():
    fs = [frames(1)[0], bad_frame(), frames(1)[0].head(0), frames(1)[0].drop("close")]
    out = kf.render_many(fs, errors="collect", **SMALL)
    assert isinstance(out[0], kf.chart.ChartImage)
    assert isinstance(out[1], ValueError) and str(out[1]).startswith("render_many: chart 1: high < low at row 5")
    assert isinstance(out[2], ValueError) and "chart 2: the frame is empty" in str(out[2])
    assert isinstance(out[3], ValueError) and "chart 3: no 'close' column" in str(out[3])
    assert "__kf_chart" not in str(out[3])


def test_render_by_errors_name_the_key():
    df = pl.concat(
        [kf.sample_ohlcv(40, seed=1).with_columns(s=pl.lit("ok")), bad_frame().with_columns(s=pl.lit("bad"))]
    )
    with pytest.raises(ValueError, match=r"render_by: chart 'bad': high < low at row 5"):
        df.kf.render_by("s", **SMALL)
    out = df.kf.render_by("s", errors="collect", **SMALL)
    assert isinstance(out["ok"], kf.chart.ChartImage) and isinstance(out["bad"], ValueError)


def test_several_failures_are_counted_in_the_message():
    with pytest.raises(ValueError, match=r"chart 0: .*\(2 other chart\(s\) failed too\)"):
        kf.render_many([bad_frame()] * 3, **SMALL)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"workers": 0}, ValueError, r"render_many: workers must be >= 1"),
        ({"workers": 1.5}, TypeError, r"render_many: workers must be a positive integer"),
        ({"colour": "#fff"}, TypeError, r"render_many: unknown option 'colour'"),
        ({"errors": "ignore"}, ValueError, r"render_many: errors must be 'raise' or 'collect'"),
        ({"progress": "yes"}, TypeError, r"render_many: progress must be True, False or None"),
        ({"width": 10}, ValueError, r"render_many: chart 0: width must be an integer between 64"),
        ({"width": [300, 400]}, ValueError, r"render_many: width is a list of 2 values, but there are 1 charts"),
        ({"theme": lambda i: "neon"}, ValueError, r"render_many: chart 0: theme must be one of"),
        ({"engine": "tpu"}, ValueError, r"render_many: chart 0: engine must be"),
    ],
)
def test_bad_options_fail_before_any_work(kwargs, error, message, tmp_path):
    with pytest.raises(error, match=message):
        kf.render_many(frames(1), out_dir=tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_empty_input_and_non_frames():
    assert kf.render_many([]) == []
    assert list(kf.iter_render([])) == []
    with pytest.raises(TypeError, match=r"render_many: chart 1: expected a polars DataFrame or LazyFrame, got dict"):
        kf.render_many([frames(1)[0], {"close": [1.0]}])


def test_user_frames_are_not_modified():
    fs = frames(2)
    before = [f.clone() for f in fs]
    kf.render_many(fs, overlays=["sma:5"], **SMALL)
    assert all(a.equals(b) and a.columns == b.columns for a, b in zip(fs, before))


# ---------------------------------------------------------------------------------------------------------------
# Streaming


def test_iter_render_yields_in_order_with_bounded_frames_in_flight():
    fs = frames(9)
    pulled = []

    def source():
        for i, f in enumerate(fs):
            pulled.append(i)
            yield f

    stream = kf.iter_render(source(), workers=2, title=lambda i: f"#{i}", **SMALL)
    first = next(stream)
    assert len(pulled) <= 4  # 2 * workers
    rest = list(stream)
    got = [first, *rest]
    assert [bytes(c) for c in got] == [bytes(f.kf.render(title=f"#{i}", **SMALL)) for i, f in enumerate(fs)]


def test_iter_render_writes_files_named_by_position(tmp_path):
    paths = list(kf.iter_render(frames(5), workers=1, out_dir=tmp_path, **SMALL))
    assert [p.name for p in paths] == [f"{i}.png" for i in range(5)]


def test_iter_render_refuses_list_options():
    with pytest.raises(TypeError, match=r"iter_render: width must be one value or a callable"):
        next(kf.iter_render(frames(2), width=[300, 400]))


# ---------------------------------------------------------------------------------------------------------------
# Statistics, progress, GIL


def test_statistics_count_every_chart_of_a_batch():
    fs = frames(25)
    candles = sum(f.height for f in fs)
    with kf.config(performance_tracking=True):
        kf.reset_performance_stats()
        kf.render_many(fs, workers=2, **SMALL)
        kf.render_many(fs[:5], workers=1, errors="collect", **SMALL)
        stats = kf.get_performance_stats()
    render = stats["operations"]["render"]
    assert render["calls"] == 30
    assert stats["candles_processed"] == candles + sum(f.height for f in fs[:5])
    assert render["bytes"] > 0


def test_progress_bar_on_request_and_never_when_off(capsys):
    pytest.importorskip("tqdm")
    kf.render_many(frames(3), progress=True, **SMALL)
    assert "render_many" in capsys.readouterr().err
    kf.render_many(frames(3), progress=False, **SMALL)
    kf.render_many(frames(3), **SMALL)  # automatic: stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""


def test_other_python_threads_run_while_a_batch_draws():
    import threading

    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    fs = frames(150, bars=300)
    thread = threading.Thread(target=count)
    thread.start()
    try:
        before = ticks
        kf.render_many(fs, workers=1, width=800, height=450)
        during = ticks - before
    finally:
        stop.set()
        thread.join()
    assert during > 1000  # held GIL: the counter would barely move


# ---------------------------------------------------------------------------------------------------------------
# Ctrl-C


CHILD = textwrap.dedent(
    """
    import sys, time
    import polars_kimsfinance as kf
    base = [kf.sample_ohlcv(300, seed=i) for i in range(7)]
    frames = [base[i % 7] for i in range(20_000)]
    print("ready", flush=True)
    try:
        kf.render_many(frames, width=1920, height=1080, out_dir=sys.argv[1], workers=2, progress=False)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted {time.monotonic()!r}", flush=True)
    """
)


def test_ctrl_c_stops_a_batch_quickly_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "charts"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(out)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while (not out.exists() or len(os.listdir(out)) < 20) and time.monotonic() < deadline:
            time.sleep(0.01)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        line = child.stdout.readline().split()
        child.wait(60)
    finally:
        child.kill()
    assert line[0] == "interrupted", line
    # The latency is reported, not asserted (a timed assertion fails on a loaded machine, not on a slow batch);
    # the batch checks for Ctrl-C every 10 ms between charts, and stopping long before the end is asserted below.
    print(f"batch stopped {(float(line[1]) - sent) * 1000:.1f} ms after SIGINT")
    names = os.listdir(out)
    assert 20 <= len(names) < 20_000
    assert not [n for n in names if n.endswith(".tmp")]
    for name in names:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND", name


# ---------------------------------------------------------------------------------------------------------------
# CLI


def test_cli_render_by_writes_a_chart_per_symbol(tmp_path, capsys):
    from polars_kimsfinance.cli import main

    src = tmp_path / "long.parquet"
    long_frame().write_parquet(src)
    out = tmp_path / "charts"
    assert main(["render", str(src), "--by", "symbol", "--out-dir", str(out), "--width", "300", "--height", "200"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["A.png", "B_x.png", "null.png"]
    assert "wrote 3 charts" in capsys.readouterr().out
    assert main(["render", str(src), "--by", "symbol", "--out-dir", str(out)]) == 2
    assert "exists; pass overwrite=True" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# Flat memory


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads RSS from /proc")
def test_soak_20000_charts_keep_memory_flat():
    fs = frames(500, bars=80)
    kw = dict(width=320, height=180, overlays=["sma:10"], workers=2)
    with kf.config(performance_tracking=True):
        kf.reset_performance_stats()
        stats_memory = kf.get_performance_stats()["memory_bytes"]
        for _ in range(4):  # warm-up: allocator pools, pool threads, first-use caches
            kf.render_many(fs, **kw)
        warm = rss_bytes()
        peak = warm
        for _ in range(36):  # 36 x 500 = 18,000 more (20,000 in all)
            kf.render_many(fs, **kw)
            peak = max(peak, rss_bytes())
        stats = kf.get_performance_stats()
    growth = rss_bytes() - warm
    print(
        f"RSS after warm-up {warm / 2**20:.1f} MiB, growth {growth / 2**20:.2f} MiB, peak +{(peak - warm) / 2**20:.2f}"
    )
    assert growth < 10 * 2**20
    assert stats["memory_bytes"] == stats_memory
    assert stats["operations"]["render"]["calls"] == 20_000
