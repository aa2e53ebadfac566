"""The bad-input matrix, generated from the catalogue and the render option vocabularies (not written case by
case): every bad parameter of every indicator, every bad input column, and every bad render option gets its
documented outcome, a ValueError / TypeError naming the function, the parameter or column, and the bad value, or
the documented null result. No case crashes, hangs or modifies its input. docs/reliability.md prints its size."""

from __future__ import annotations

import math

import polars as pl
import pytest
from reference import random_walk

import polars_kimsfinance as kf
from polars_kimsfinance import _internal
from polars_kimsfinance.transforms import TRANSFORMS

# Bad values per parameter kind (catalogue/spec.py, Param.kind).
BAD = {
    "window": [0, -1, 2.5, math.nan, math.inf, True, "20", 10**13, 2**70],
    "count": [-1, 2.5, math.nan, math.inf, "3", 10**13],
    "positive": [0, -1.0, math.nan, math.inf, "2", True],
    "non_negative": [-1.0, math.nan, math.inf, "0"],
    "fraction": [0, -0.5, 1.5, math.nan, "0.5"],
    "real": [math.nan, math.inf, -math.inf, "1"],
    "flag": ["yes", 2.5],
}

PARAM_CASES = [
    (ind, p.name, bad)
    for ind in kf.CATALOGUE
    for p in ind.params
    if p.default is not None  # None-default parameters: OPTIONAL_CASES
    for bad in BAD[p.kind]
]

# Parameters whose default is None (ewm_mean's com / span / half_life / alpha: give exactly one) are resolved by
# the entry's prepare step: each is given alone with every bad value of its kind, and with a value whose derived
# kernel parameter would be out of range.
OPTIONAL_BAD = {"half_life": [1e20]}
OPTIONAL_CASES = [
    (ind, p.name, bad)
    for ind in kf.CATALOGUE
    for p in ind.params
    if p.default is None
    for bad in BAD[p.kind] + OPTIONAL_BAD.get(p.name, [])
]
# An entry with several None-default parameters takes exactly one of them: none, or all together, is an error.
OPTIONAL_GROUPS = [
    (ind, given)
    for ind in kf.CATALOGUE
    if len(optional := tuple(p.name for p in ind.params if p.default is None)) > 1
    for given in ((), optional)
]

INPUT_CASES = [(ind, column, kind) for ind in kf.CATALOGUE for column in ind.inputs for kind in ("string", "missing")]

RENDER_CASES = [
    ("kind", "bogus"),
    ("kind", 3),
    ("theme", "neon"),
    ("format", "gif"),
    ("speed", "warp"),
    ("width", _internal.MIN_SIZE - 1),
    ("width", _internal.MAX_SIZE + 1),
    ("height", 0),
    ("height", 2.5),
    ("width", "800"),
    ("engine", "tpu"),
    ("engine", 5),
    *[("colors", {key: "not-a-colour"}) for key in _internal.COLOR_KEYS],
    ("colors", {"nonsense_key": "#ffffff"}),
    ("overlays", ["nonsense:3"]),
    ("panels", ["rsi:0"]),
]


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return random_walk(300, 3).with_columns(session=pl.int_range(pl.len()) // 50)


def _call(ind, frame: pl.DataFrame, **params):
    return frame.select(kf.FUNCTIONS[ind.name](**{**ind.example_params, **params}).alias("out"))


@pytest.mark.parametrize(("ind", "param", "bad"), PARAM_CASES, ids=[f"{i.name}-{p}-{b!r}" for i, p, b in PARAM_CASES])
def test_bad_parameter_names_function_parameter_and_value(ind, param: str, bad: object, frame) -> None:
    before = frame.clone()
    with pytest.raises((ValueError, TypeError)) as info:
        _call(ind, frame, **{param: bad})
    message = str(info.value)
    assert message.startswith(f"{ind.name}: "), message
    assert param in message, message
    assert repr(bad) in message or str(bad) in message or "bits" in message, message
    assert frame.equals(before)


def _without_optional(ind) -> dict:
    optional = {p.name for p in ind.params if p.default is None}
    return {k: v for k, v in ind.example_params.items() if k not in optional}


@pytest.mark.parametrize(
    ("ind", "param", "bad"), OPTIONAL_CASES, ids=[f"{i.name}-{p}-{b!r}" for i, p, b in OPTIONAL_CASES]
)
def test_bad_optional_parameter_names_function_parameter_and_value(ind, param: str, bad: object, frame) -> None:
    before = frame.clone()
    with pytest.raises((ValueError, TypeError)) as info:
        frame.select(kf.FUNCTIONS[ind.name](**{**_without_optional(ind), param: bad}))
    message = str(info.value)
    assert message.startswith(f"{ind.name}: "), message
    assert param in message and repr(bad) in message, message
    assert frame.equals(before)


@pytest.mark.parametrize(
    ("ind", "names"), OPTIONAL_GROUPS, ids=[f"{i.name}-{'+'.join(n) or 'none'}" for i, n in OPTIONAL_GROUPS]
)
def test_optional_parameters_need_exactly_one(ind, names: tuple[str, ...], frame) -> None:
    given = {name: 0.5 for name in names}
    with pytest.raises(ValueError, match=f"^{ind.name}: give exactly one of") as info:
        frame.select(kf.FUNCTIONS[ind.name](**{**_without_optional(ind), **given}))
    assert str(info.value).endswith(f"got {sorted(names)}" if names else "got none"), str(info.value)


@pytest.mark.parametrize(("ind", "column", "kind"), INPUT_CASES, ids=[f"{i.name}-{c}-{k}" for i, c, k in INPUT_CASES])
def test_bad_input_column_names_function_and_column(ind, column: str, kind: str, frame) -> None:
    df = frame.with_columns(pl.col(column).cast(pl.String)) if kind == "string" else frame.drop(column)
    before = df.clone()
    with pytest.raises(Exception) as info:  # Polars wraps plan-time errors in its own exception types
        df.kf.__getattribute__(ind.name)(**ind.example_params)
    message = str(info.value)
    assert ind.name in message and column in message, message
    assert type(info.value).__name__ != "PanicException"
    assert df.equals(before)


@pytest.mark.parametrize(("option", "bad"), RENDER_CASES, ids=[f"{o}-{b!r}" for o, b in RENDER_CASES])
def test_bad_render_option_names_render_option_and_value(option: str, bad: object) -> None:
    df = kf.sample_ohlcv(50)
    before = df.clone()
    kwargs = {"width": 400, "height": 300, option: bad}
    kind = kwargs.pop("kind", "candle")
    with pytest.raises((ValueError, TypeError)) as info:
        df.kf.render(kind, **kwargs)
    message = str(info.value)
    assert message.startswith("render: "), message
    assert df.equals(before)


# ---------------------------------------------------------------------------------------------------------------
# Transforms: cases generated from each function's signature. A parameter's annotation says what it takes (a
# number, an integer count, a column name, a choice among names, a flag, a list of levels), and each gets the bad
# values of its kind. The documented outcome: ValueError / TypeError starting "<transform>: " and naming the
# parameter and the value (a column parameter: the column), the frame unchanged.

TRANSFORM_BAD = {
    "number": [0, -1.0, math.nan, math.inf, "2", True, 2**1100],
    "count": [0, -1, 2.5, "3", True, 2**70],
    "column": ["no_such_column", 5],
    "choice": ["bogus", 5, None],
    "flag": ["yes", 2],
    "levels": ["0.5", [math.nan], [0.5, "x"], 5],
}


def _param_kind(func: str, name: str, annotation: str) -> str | None:
    if name in ("open", "high", "low", "close", "volume", "time", "price", "size") and "str" in annotation:
        return "column"
    if annotation.startswith("float"):
        return "number"
    if annotation == "int":
        return "count"
    if annotation == "str":
        return "choice"
    if annotation == "bool":
        return "flag"
    if annotation.startswith("Sequence[float]"):
        return "levels"
    raise AssertionError(f"{func}.{name}: no bad values for annotation {annotation!r}")


def _transform_cases():
    import inspect

    cases = []
    for func_name, function in sorted(TRANSFORMS.items()):
        for p in list(inspect.signature(function).parameters.values())[1:]:
            kind = _param_kind(func_name, p.name, str(p.annotation))
            cases += [(func_name, p.name, kind, bad) for bad in TRANSFORM_BAD[kind]]
    return cases


TRANSFORM_CASES = _transform_cases()

# Arguments that make a call valid before the bad value goes in (the required ones).
TRANSFORM_BASE = {"tick_bars": {"n": 10}, "volume_bars": {"volume": 1e6}, "range_bars": {"range": 1.0}}
# kagi reads high and low only for its absolute-mode default reversal (documented): that call reads them.
COLUMN_BASE = {"kagi": {"mode": "absolute"}}


@pytest.fixture(scope="module")
def tick_frame() -> pl.DataFrame:
    df = random_walk(300, 5)
    times = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 1, 4, 59), "1m", eager=True)
    return df.with_columns(time=times, price=pl.col("close"), size=pl.col("volume"))


@pytest.mark.parametrize(
    ("func", "param", "kind", "bad"), TRANSFORM_CASES, ids=[f"{f}-{p}-{b!r}"[:80] for f, p, _, b in TRANSFORM_CASES]
)
def test_bad_transform_parameter_names_transform_parameter_and_value(func, param, kind, bad, tick_frame) -> None:
    before = tick_frame.clone()
    base = {**TRANSFORM_BASE.get(func, {}), **(COLUMN_BASE.get(func, {}) if kind == "column" else {})}
    kwargs = {**base, param: bad}
    with pytest.raises((ValueError, TypeError)) as info:
        TRANSFORMS[func](tick_frame, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{func}: "), message
    assert type(info.value).__name__ != "PanicException"
    if kind == "column" and isinstance(bad, str):
        assert bad in message, message
    else:
        assert param in message, message
        shown = [repr(bad), str(bad)] + ([f"{bad.bit_length()} bits"] if isinstance(bad, int) else [])
        assert any(s in message for s in shown) or kind == "levels", message
    assert tick_frame.equals(before)


# ---------------------------------------------------------------------------------------------------------------
# Batch options (kf.render_many, df.kf.render_by): each batch argument with the bad values of its kind, and every
# bad render option of RENDER_CASES passed through a batch. Outcome: ValueError / TypeError starting
# "render_many: " / "render_by: ", naming the argument and the value, before any chart is drawn (a bad render
# option: "<batch>: chart <i>: " and render's message for it, naming the option and the value), the frames
# unchanged.

BATCH_BAD = {
    "workers": [0, -1, 2.5, "4", True],
    "errors": ["ignore", 1],
    "progress": ["yes", 1],
    "overwrite": ["yes", 1],
    "out_dir": [5],
    "unknown option": ["bogus_option"],
}
BATCH_FUNCS = ("render_many", "render_by")
BATCH_CASES = [(func, arg, bad) for func in BATCH_FUNCS for arg, bads in BATCH_BAD.items() for bad in bads]
BATCH_CASES += [("render_by", "key", bad) for bad in (5, "no_such_key")] + [("render_by", "sort", "yes")]
BATCH_RENDER_CASES = [(func, o, b) for func in BATCH_FUNCS for o, b in RENDER_CASES]


def _batch_call(func: str, frames: list[pl.DataFrame], **kwargs):
    kwargs = {"width": 200, "height": 150, **kwargs}
    if func == "render_many":
        return kf.render_many(frames, **kwargs)
    key = kwargs.pop("key", "symbol")
    both = pl.concat([f.with_columns(symbol=pl.lit(i)) for i, f in enumerate(frames)])
    return both.kf.render_by(key, **kwargs)


@pytest.mark.parametrize(("func", "arg", "bad"), BATCH_CASES, ids=[f"{f}-{a}-{b!r}" for f, a, b in BATCH_CASES])
def test_bad_batch_argument_names_function_argument_and_value(func, arg, bad) -> None:
    frames = [kf.sample_ohlcv(30, seed=s) for s in range(2)]
    before = [f.clone() for f in frames]
    kwargs = {bad: 1} if arg == "unknown option" else {arg: bad}
    with pytest.raises((ValueError, TypeError)) as info:
        _batch_call(func, frames, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{func}: "), message
    assert (arg if arg != "unknown option" else "option") in message, message
    assert repr(bad) in message or str(bad) in message or type(bad).__name__ in message, message
    assert all(f.equals(b) for f, b in zip(frames, before))


@pytest.mark.parametrize(
    ("func", "option", "bad"), BATCH_RENDER_CASES, ids=[f"{f}-{o}-{b!r}" for f, o, b in BATCH_RENDER_CASES]
)
def test_bad_render_option_in_a_batch_names_the_chart_and_the_render_error(func, option, bad) -> None:
    frames = [kf.sample_ohlcv(30, seed=s) for s in range(2)]
    before = [f.clone() for f in frames]
    kwargs = {option: bad}
    with pytest.raises((ValueError, TypeError)) as info:
        _batch_call(func, frames, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{func}: chart 0: "), message
    named = {"overlays": "overlay", "panels": "panel"}.get(option, option)
    assert named in message, message
    shown = bad if not isinstance(bad, (dict, list)) else next(iter(bad.values() if isinstance(bad, dict) else bad))
    assert repr(shown) in message or str(shown) in message or (option == "colors" and "key" in message), message
    assert all(f.equals(b) for f, b in zip(frames, before))


# ---------------------------------------------------------------------------------------------------------------
# Stream options: df.kf.stream's expressions, by and time; Stream.update's rows; Stream.restore's bytes. Outcome:
# ValueError / TypeError starting "stream: " / "Stream.update: " / "Stream.restore: " naming what is wrong, the
# frame (and for update, the stream) unchanged.


def _stream_frame() -> pl.DataFrame:
    df = random_walk(60, 9)
    times = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 1, 0, 59), "1m", eager=True)
    return df.with_columns(symbol=pl.Series(["a", "b"] * 30), t=times, label=pl.lit("x"))


# (argument, bad value, a word the message must contain)
STREAM_BUILD_CASES = [
    ("exprs", [], "at least one"),
    ("exprs", 5, "5"),
    ("exprs", [5], "5"),
    ("exprs", [pl.col("close")], 'col("close")'),
    ("exprs", [pl.col("close").rolling_mean(3)], "rolling"),
    ("exprs", [kf.sma("close", 5), kf.sma("close", 5)], "used twice"),
    ("exprs", [kf.sma("nope", 5)], "nope"),
    ("exprs", [kf.sma("label", 5)], "label"),
    ("exprs", [kf.sma(pl.col("close") * 2, 5)], "plain columns"),
    ("by", "no_such", "no_such"),
    ("by", 5, "5"),
    ("time", "no_such", "no_such"),
    ("time", "label", "label"),
    ("time", 5, "5"),
]


@pytest.mark.parametrize(
    ("arg", "bad", "word"), STREAM_BUILD_CASES, ids=[f"{a}-{b!r}"[:60] for a, b, _ in STREAM_BUILD_CASES]
)
def test_bad_stream_argument_names_stream_and_value(arg, bad, word) -> None:
    df = _stream_frame()
    before = df.clone()
    kwargs = {"exprs": [kf.sma("close", 5)], "by": "symbol", "time": "t", arg: bad}
    with pytest.raises((ValueError, TypeError)) as info:
        df.kf.stream(kwargs.pop("exprs"), **kwargs)
    message = str(info.value)
    assert message.startswith("stream: "), message
    assert word in message, message
    assert df.equals(before)


def _update_rows(df: pl.DataFrame) -> dict[str, object]:
    later = df.tail(4).with_columns(pl.col("t") + pl.duration(hours=2))
    return {
        "not a frame": (later.to_dict(), "dict"),
        "missing column": (later.drop("close"), "close"),
        "missing key column": (later.drop("symbol"), "symbol"),
        "wrong dtype": (later.with_columns(pl.col("close").cast(pl.Float32)), "Float32"),
        "wrong key dtype": (later.with_columns(pl.col("symbol").cast(pl.Categorical)), "symbol"),
        "older time": (df.head(2), "older than its newest row"),
        "null time": (later.with_columns(t=pl.lit(None, dtype=pl.Datetime("us"))), "null"),
        "string time": (later.with_columns(t=pl.lit("x")), "t"),
    }


UPDATE_CASES = sorted(_update_rows(_stream_frame()))


@pytest.mark.parametrize("case", UPDATE_CASES)
def test_bad_stream_update_rows_leave_the_stream_as_it_was(case) -> None:
    df = _stream_frame()
    stream = df.kf.stream([kf.sma("close", 5).alias("sma"), kf.rsi("close", 3).alias("rsi")], by="symbol", time="t")
    rows, word = _update_rows(df)[case]
    before_rows = rows.clone() if isinstance(rows, pl.DataFrame) else None
    latest, snapshot = stream.latest(), stream.snapshot()
    with pytest.raises((ValueError, TypeError)) as info:
        stream.update(rows)
    message = str(info.value)
    assert message.startswith("Stream.update: "), message
    assert word in message, message
    assert stream.latest().equals(latest) and stream.snapshot() == snapshot
    if before_rows is not None:
        assert rows.equals(before_rows)


def _restore_blobs() -> dict[str, tuple[object, str]]:
    good = _stream_frame().kf.stream([kf.sma("close", 5)], by="symbol").snapshot()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x40
    return {
        "str": ("not bytes", "must be bytes"),
        "empty": (b"", "truncated"),
        "garbage": (b"x" * 100, "not a stream snapshot"),
        "truncated": (good[: len(good) - 3], "truncated"),
        "header only": (good[:30], "truncated"),
        "flipped byte": (bytes(flipped), "checksum"),
        "extra bytes": (good + b"\0", "corrupt"),
    }


RESTORE_CASES = sorted(_restore_blobs())


@pytest.mark.parametrize("case", RESTORE_CASES)
def test_bad_snapshot_is_refused_naming_restore(case) -> None:
    blob, word = _restore_blobs()[case]
    with pytest.raises((ValueError, TypeError)) as info:
        kf.Stream.restore(blob)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("Stream.restore: "), message
    assert word in message, message
