"""Live streams (``df.kf.stream`` -> ``kf.Stream``): for every catalogue entry and random splits of a frame into a
history and updates (one row at a time too, with nulls, NaN and keys first seen in an update), the outputs of
``update`` equal the batch expression ``.over(by)`` on the concatenated frame bit for bit. Then errors, all-or-nothing
updates, peek / copy / latest, snapshots across processes, threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polars_kimsfinance as kf

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = [ind.name for ind in kf.CATALOGUE]


def frame(n: int, seed: int, keys: int = 3, missing: float = 0.05) -> pl.DataFrame:
    """``n`` rows of OHLCV for ``keys`` symbols, interleaved at random, with nulls and NaN scattered over them."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    spread = np.abs(rng.normal(0, 0.005, n))
    columns = {
        "open": open_,
        "high": np.maximum(open_, close) * (1 + spread),
        "low": np.minimum(open_, close) * (1 - spread),
        "close": close,
        "volume": np.floor(rng.lognormal(10, 0.5, n)) + 1,
    }
    out = {}
    for name, values in columns.items():
        values = values.copy()
        draw = rng.random(n)
        values[draw < missing / 2] = np.nan
        out[name] = pl.Series(name, values).set(pl.Series(draw > 1 - missing / 2), None)
    return pl.DataFrame(
        {
            "symbol": rng.choice([f"s{k}" for k in range(keys)], n),
            "t": np.arange(n, dtype=np.int64),
            "session": np.arange(n) // 25,
            **out,
        }
    )


def call(name: str, **params: object) -> pl.Expr:
    """The catalogue call for ``name`` on the frame's columns, with the entry's example parameters."""
    ind = kf.BY_NAME[name]
    values = {**ind.example_params, **params}
    inputs = {role: role for role in ind.inputs if role != ind.primary}
    return kf.FUNCTIONS[name](ind.primary, **values, **inputs).alias(f"out_{name}")


def batch(df: pl.DataFrame, exprs: list[pl.Expr], by: str | None) -> pl.DataFrame:
    """The batch outputs: each expression ``.over(by)`` (or over the whole frame), structs unnested."""
    out = df.select(*(([by] if by else []) + ["t"]), *[e.over(by) if by else e for e in exprs])
    structs = [c for c, t in out.schema.items() if isinstance(t, pl.Struct)]
    return out.unnest(structs) if structs else out


def assert_same_bits(got: pl.DataFrame, want: pl.DataFrame, label: str) -> None:
    assert got.columns == want.columns, label
    for name in got.columns:
        a, b = got[name], want[name]
        assert a.dtype == b.dtype, f"{label}: {name} dtype {a.dtype} vs {b.dtype}"
        assert a.is_null().to_list() == b.is_null().to_list(), f"{label}: {name} nulls differ"
        if a.dtype.is_float():
            x = a.to_numpy().astype(np.float64)
            y = b.to_numpy().astype(np.float64)
            same = (x.view(np.uint64) == y.view(np.uint64)) | (np.isnan(x) & np.isnan(y))
            assert same.all(), f"{label}: {name} differs first at row {int(np.flatnonzero(~same)[0])}"
        else:
            assert a.to_list() == b.to_list(), f"{label}: {name}"


def run_splits(df: pl.DataFrame, exprs: list[pl.Expr], cuts: list[int], by: str | None = "symbol") -> None:
    """Primes on ``df[:cuts[0]]``, updates with the pieces between the cuts, and compares with the batch."""
    live = df.head(cuts[0]).kf.stream(exprs, by=by, time="t")
    pieces = [live.update(df[a:b]) for a, b in zip(cuts, cuts[1:] + [df.height])]
    got = pl.concat(pieces)
    want = batch(df, exprs, by).slice(cuts[0])
    assert_same_bits(got, want, f"cuts {cuts}")


@st.composite
def splits(draw: st.DrawFn) -> tuple[int, list[int]]:
    n = draw(st.integers(60, 260))
    seed = draw(st.integers(0, 2**31))
    history = draw(st.integers(0, n))
    cuts = sorted(set(draw(st.lists(st.integers(history, n), max_size=6))) | {history})
    # Now and then one row at a time at the end.
    if draw(st.booleans()):
        cuts = sorted(set(cuts) | set(range(max(history, n - 5), n)))
    return seed, [n, *cuts]


@pytest.mark.parametrize("name", ENTRIES)
@settings(max_examples=12, deadline=None)
@given(case=splits())
def test_every_entry_streams_bit_for_bit_like_the_batch_over(name, case):
    seed, (n, *cuts) = case
    # Four keys over the frame, so that some appear first in an update.
    df = frame(n, seed, keys=4)
    run_splits(df, [call(name)], cuts)


def test_several_indicators_one_row_at_a_time_and_without_by():
    df = frame(300, 5, keys=1).drop("symbol")
    exprs = [call("rsi"), call("macd"), call("atr"), call("bbands"), call("parabolic_sar")]
    run_splits(df, exprs, list(range(100, 300)), by=None)


def test_float32_inputs_give_float32_outputs_equal_to_the_batch():
    df = frame(400, 8).with_columns(pl.col("open", "high", "low", "close", "volume").cast(pl.Float32))
    run_splits(df, [call("rsi"), call("bbands"), call("atr")], [150, 151, 300])


def test_lazy_and_chunked_history():
    df = frame(500, 9)
    history = pl.concat([df[:100], df[100:250], df[250:400]], rechunk=False)
    assert history.n_chunks() > 1
    exprs = [call("ema"), call("stoch")]
    live = history.lazy().kf.stream(exprs, by="symbol", time="t")
    assert_same_bits(live.update(df[400:]), batch(df, exprs, "symbol").slice(400), "lazy")


def test_integer_keys_and_datetime_times():
    df = frame(300, 10).with_columns(
        pl.col("symbol").str.slice(1).cast(pl.Int32).alias("symbol"),
        (pl.datetime(2024, 1, 1) + pl.duration(minutes=pl.col("t"))).alias("ts"),
    )
    exprs = [call("rsi")]
    live = df.head(200).kf.stream(exprs, by="symbol", time="ts")
    out = live.update(df[200:])
    assert out.columns == ["symbol", "ts", "out_rsi"]
    assert out.schema["symbol"] == pl.Int32 and out.schema["ts"] == pl.Datetime("us")
    want = df.select(call("rsi").over("symbol")).slice(200)
    assert_same_bits(out.select("out_rsi"), want, "int keys")
    latest = live.latest()
    assert latest.schema["symbol"] == pl.Int32 and latest.schema["ts"] == pl.Datetime("us")


def test_latest_is_the_newest_row_of_each_key():
    df = frame(300, 11)
    exprs = [call("macd"), call("atr")]
    live = df.kf.stream(exprs, by="symbol", time="t")
    want = batch(df, exprs, "symbol").group_by("symbol", maintain_order=True).last()
    assert_same_bits(live.latest(), want, "latest")


def test_peek_keeps_nothing_and_copy_is_independent():
    df = frame(400, 12)
    exprs = [call("rsi"), call("bbands")]
    live = df.head(300).kf.stream(exprs, by="symbol", time="t")
    before = live.snapshot()
    peeked = live.peek(df[300:310])
    assert live.snapshot() == before
    fork = live.copy()
    assert_same_bits(live.update(df[300:310]), peeked, "peek")
    assert fork.snapshot() == before
    assert_same_bits(fork.update(df[300:]), batch(df, exprs, "symbol").slice(300), "fork")


def test_an_older_row_names_the_key_and_both_times_and_changes_nothing():
    df = frame(200, 13)
    live = df.head(150).kf.stream([call("rsi")], by="symbol", time="t")
    before = live.snapshot()
    key = df["symbol"][149]
    # A new key first (which must not be kept), then a row older than `key`'s newest.
    bad = pl.concat([df[150:151].with_columns(symbol=pl.lit("new")), df[149:150].with_columns(t=pl.lit(3, pl.Int64))])
    with pytest.raises(
        ValueError, match=rf"Stream.update: row 1 of key \"{key}\" \(symbol\) has t 3, older than .*\(149\)"
    ):
        live.update(bad)
    assert live.snapshot() == before
    assert live.keys == 3
    assert_same_bits(live.update(df[150:]), batch(df, [call("rsi")], "symbol").slice(150), "after the error")


def test_rows_out_of_order_within_one_update_are_refused():
    df = frame(100, 14, keys=1)
    live = df.head(50).kf.stream([call("sma")], by="symbol", time="t")
    with pytest.raises(ValueError, match="older than"):
        live.update(df[50:60].reverse())


def test_missing_columns_and_other_dtypes_are_named():
    df = frame(100, 15)
    live = df.head(50).kf.stream([call("atr")], by="symbol", time="t")
    with pytest.raises(ValueError, match=r"column\(s\) \['low'\] missing"):
        live.update(df[50:].drop("low"))
    with pytest.raises(TypeError, match=r"'high' is Float32, expected Float64"):
        live.update(df[50:].with_columns(pl.col("high").cast(pl.Float32)))
    with pytest.raises(TypeError, match=r"'symbol' is Categorical"):
        live.update(df[50:].with_columns(pl.col("symbol").cast(pl.Categorical)))


def test_expressions_other_than_catalogue_calls_are_refused_by_name():
    df = frame(50, 16)
    with pytest.raises(
        TypeError, match=r"stream: \[\(col\(\"close\"\)\) \* .*2\)\] is not a polars_kimsfinance indicator call"
    ):
        df.kf.stream([pl.col("close") * 2], by="symbol")
    with pytest.raises(TypeError, match=r"rsi's inputs must be plain columns"):
        df.kf.stream([kf.rsi(pl.col("close").log(), 14)], by="symbol")
    with pytest.raises(TypeError, match=r"is not a polars_kimsfinance indicator call"):
        df.kf.stream([kf.rsi("close", 14).over("symbol")], by="symbol")
    with pytest.raises(TypeError, match=r"expected indicator expressions"):
        df.kf.stream(["close"], by="symbol")
    with pytest.raises(ValueError, match=r"output names \['close'\] are used twice"):
        df.kf.stream([kf.rsi("close", 14), kf.ema("close", 5)], by="symbol")


def test_snapshots_restore_in_another_process():
    df = frame(600, 17)
    exprs = [call("rsi"), call("macd"), call("atr"), call("bbands")]
    live = df.head(500).kf.stream(exprs, by="symbol", time="t")
    blob = live.snapshot()
    script = (
        "import sys, polars as pl, polars_kimsfinance as kf\n"
        "live = kf.Stream.restore(sys.stdin.buffer.read())\n"
        "df = pl.read_ipc(sys.argv[1])\n"
        "live.update(df).write_ipc(sys.argv[2])\n"
    )
    rows, result = Path(f"/tmp/kf-stream-rows-{id(df)}.ipc"), Path(f"/tmp/kf-stream-out-{id(df)}.ipc")
    df[500:].write_ipc(rows)
    env = {"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(rows), str(result)], input=blob, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    assert_same_bits(pl.read_ipc(result), batch(df, exprs, "symbol").slice(500), "restored in a child")
    rows.unlink()
    result.unlink()


def test_damaged_snapshots_are_errors():
    live = frame(200, 18).kf.stream([call("rsi"), call("kama")], by="symbol", time="t")
    blob = live.snapshot()
    for n in (0, 5, 20, len(blob) // 2, len(blob) - 1):
        with pytest.raises(ValueError, match="Stream.restore: (truncated|not a stream)"):
            kf.Stream.restore(blob[:n])
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x01
    with pytest.raises(ValueError, match="corrupt snapshot"):
        kf.Stream.restore(bytes(flipped))
    other = bytearray(blob)
    other[8] += 1
    with pytest.raises(ValueError, match="snapshot layout 3 .* cannot be read by this version"):
        kf.Stream.restore(bytes(other))
    with pytest.raises(TypeError, match="blob must be bytes"):
        kf.Stream.restore("not bytes")  # type: ignore[arg-type]


def test_memory_is_bounded_by_the_window():
    df = frame(2000, 19, keys=5)
    small = df.kf.stream([kf.sma("close", 10)], by="symbol")
    large = df.kf.stream([kf.sma("close", 200)], by="symbol")
    (per_small,) = small.bytes_per_key().values()
    (per_large,) = large.bytes_per_key().values()
    assert per_large - per_small == 190 * 8
    assert large.memory_bytes() >= 5 * per_large
    # It does not grow with the rows fed, only with the keys.
    before = large.memory_bytes()
    large.update(frame(500, 20, keys=5).with_columns(pl.col("t") + 10_000))
    assert large.memory_bytes() == before


def test_one_stream_from_several_threads_and_streams_in_parallel():
    df = frame(4000, 21, keys=8)
    exprs = [call("rsi"), call("atr")]
    want = batch(df, exprs, "symbol").slice(1000)
    # Several streams updated at once from threads: each equals the batch.
    streams = [df.head(1000).kf.stream(exprs, by="symbol", time="t") for _ in range(4)]
    results: dict[int, list[pl.DataFrame]] = {i: [] for i in range(4)}

    def feed(i: int) -> None:
        for a in range(1000, 4000, 250):
            results[i].append(streams[i].update(df[a : a + 250]))

    threads = [threading.Thread(target=feed, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        assert_same_bits(pl.concat(results[i]), want, f"stream {i}")
    # One stream shared by threads, each updating its own keys: updates are serialised, so nothing is lost.
    shared = df.head(1000).kf.stream(exprs, by="symbol", time="t")
    tail = df[1000:]
    outs: list[pl.DataFrame] = []

    def own_keys(key: str) -> None:
        rows = tail.filter(pl.col("symbol") == key)
        for a in range(0, rows.height, 50):
            outs.append(shared.update(rows[a : a + 50]))

    threads = [threading.Thread(target=own_keys, args=(k,)) for k in sorted(set(df["symbol"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = pl.concat(outs).sort("t")
    assert_same_bits(got, want, "shared stream")
