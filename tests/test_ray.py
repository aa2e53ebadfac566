"""kf.ray on a local two-CPU Ray cluster: indicators and charts equal the single-machine ones exactly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import polars_kimsfinance as kf

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = {"AAPL": 260, "BRK/B": 120, "MSFT": 75}
CHART = {"width": 320, "height": 200, "overlays": ["sma:10"], "panels": ["rsi"]}


def test_importing_the_package_does_not_import_ray():
    code = (
        "import sys, polars_kimsfinance as kf\n"
        "assert 'ray' not in sys.modules and 'polars_kimsfinance.ray' not in sys.modules\n"
        "assert kf.ray.__name__ == 'polars_kimsfinance.ray'\n"
        "assert 'ray' not in sys.modules, 'kf.ray imported ray before a function was called'\n"
    )
    env = {"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def bars() -> pl.DataFrame:
    """Three symbols of different lengths, interleaved so that no group is contiguous."""
    frames = [
        kf.sample_ohlcv(n, seed=i).with_columns(symbol=pl.lit(sym)).with_row_index("i")
        for i, (sym, n) in enumerate(SYMBOLS.items())
    ]
    return pl.concat(frames).sort("i", "symbol").drop("i")


@pytest.fixture(scope="module")
def ray_data() -> Iterator[Any]:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'polars-kimsfinance[ray]')")
    import ray
    import ray.data

    # The workers import this checkout's package, as the driver does.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT / "python")}},
    )
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    # The sort-based shuffle starts in seconds on a small cluster; the default hash shuffle first starts actors.
    ctx.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    try:
        yield ray.data
    finally:
        ray.shutdown()


def dataset(data: Any, df: pl.DataFrame) -> Any:
    # Several blocks, so groups are really gathered from different places.
    table = df.to_arrow()
    return data.from_arrow([table.slice(i, 100) for i in range(0, table.num_rows, 100)])


def float_bits(df: pl.DataFrame) -> pl.DataFrame:
    """Floats as their bit patterns, so that equality is bit for bit (NaN payloads and -0.0 included)."""
    return df.with_columns(pl.col(pl.Float64).reinterpret(signed=False))


def test_with_indicators_equals_one_machine_bit_for_bit(ray_data: Any) -> None:
    df = bars()
    exprs = [
        kf.rsi("close", 14).alias("rsi"),
        kf.sma("close", 20).alias("sma"),
        kf.macd("close").alias("macd"),
        kf.atr(window=14).alias("atr"),
    ]
    expected = df.sort("symbol", "date").with_columns(e.over("symbol") for e in exprs).unnest("macd")
    out = kf.ray.with_indicators(dataset(ray_data, df), exprs, by="symbol", num_partitions=2)
    got = collect(out).sort("symbol", "date").unnest("macd")
    assert got.columns == expected.columns
    assert got.schema == expected.schema
    assert float_bits(got).equals(float_bits(expected))
    # The indicators are not trivially empty: most values are real numbers.
    assert got["rsi"].is_nan().sum() + got["rsi"].null_count() < got.height // 4


def collect(ds: Any) -> pl.DataFrame:
    import pyarrow as pa
    import ray

    frame = pl.from_arrow(pa.concat_tables(ray.get(ds.to_arrow_refs())))
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_render_by_writes_the_single_machine_charts(ray_data: Any, tmp_path: Path) -> None:
    df = bars()
    ds = dataset(ray_data, df)
    paths = kf.ray.render_by(ds, "symbol", out_dir=tmp_path, num_partitions=2, **CHART)
    assert list(paths) == sorted(SYMBOLS)
    assert paths["BRK/B"] == tmp_path / "BRK_B.png"
    # Exactly one file per chart: no temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AAPL.png", "BRK_B.png", "MSFT.png"]
    for key, path in paths.items():
        assert path.read_bytes() == df.filter(pl.col("symbol") == key).kf.render(**CHART), key

    # An existing chart is an error before any work; overwrite=True replaces it.
    before = {p: p.stat().st_mtime_ns for p in paths.values()}
    with pytest.raises(FileExistsError, match="overwrite=True"):
        kf.ray.render_by(ds, "symbol", out_dir=tmp_path, **CHART)
    assert {p: p.stat().st_mtime_ns for p in paths.values()} == before
    again = kf.ray.render_by(ds, "symbol", out_dir=tmp_path, overwrite=True, num_partitions=2, format="svg")
    assert [p.name for p in again.values()] == ["AAPL.svg", "BRK_B.svg", "MSFT.svg"]


def test_render_by_failing_chart_names_its_key(ray_data: Any, tmp_path: Path) -> None:
    tiny = kf.sample_ohlcv(5).with_columns(symbol=pl.lit("TINY"))
    ok = kf.sample_ohlcv(60).with_columns(symbol=pl.lit("OK"))
    ds = dataset(ray_data, pl.concat([ok, tiny]))
    # Point-and-figure needs a box size, derived from ATR(14), which 5 bars cannot give.
    with pytest.raises(ValueError, match=r"kf.ray.render_by: chart 'TINY': .*box size"):
        kf.ray.render_by(ds, "symbol", out_dir=tmp_path, kind="pnf", num_partitions=2)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_render_by_rejects_bad_input_before_any_work(ray_data: Any, tmp_path: Path) -> None:
    ds = dataset(ray_data, bars())
    with pytest.raises(TypeError, match=r"kf.ray.render_by: unknown render option\(s\) 'widht'"):
        kf.ray.render_by(ds, out_dir=tmp_path, widht=300)
    with pytest.raises(ValueError, match="kf.ray.render_by: render: width must be an integer between 64"):
        kf.ray.render_by(ds, out_dir=tmp_path, width=5)
    with pytest.raises(ValueError, match="kf.ray.render_by: by column 'ticker' not found"):
        kf.ray.render_by(ds, "ticker", out_dir=tmp_path)
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(NotADirectoryError, match="kf.ray.render_by: out_dir .* exists and is not a directory"):
        kf.ray.render_by(ds, out_dir=a_file)
    clash = pl.concat([kf.sample_ohlcv(30).with_columns(symbol=pl.lit(s)) for s in ("a/b", "a_b")])
    with pytest.raises(ValueError, match="keys 'a/b' and 'a_b' both give the file name 'a_b.png'"):
        kf.ray.render_by(dataset(ray_data, clash), out_dir=tmp_path / "clash")
    with pytest.raises(TypeError, match="kf.ray.with_indicators: exprs must be a polars Expr"):
        kf.ray.with_indicators(ds, "rsi")
    with pytest.raises(TypeError, match="ds must be a ray.data.Dataset, got DataFrame"):
        kf.ray.with_indicators(bars(), kf.rsi())
    assert list(tmp_path.iterdir()) == [a_file]
