"""Live indicator streams: ``df.kf.stream([kf.rsi("close", 14), ...], by="symbol")`` returns a :class:`Stream`.

The stream keeps each indicator's kernel state per key in Rust (``_internal._Stream``) and advances it with the rows
given to :meth:`Stream.update`; its outputs equal the batch expression ``.over(by)`` on the concatenated frame, bit
for bit (see docs/stream.md for the one limit, groups past 2^21 rows). This module reads the catalogue calls back out
of the expressions, checks the frames and dtypes, and turns keys and times into what the Rust side takes.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import polars as pl

from . import _internal
from .catalogue import BY_NAME
from .catalogue.spec import Indicator
from .columns import time_column
from .namespaces import DataFrameNamespace, LazyFrameNamespace

__all__ = ["Stream", "read_call"]

FrameLike = Union[pl.DataFrame, pl.LazyFrame]


class _PlainData(pickle.Unpickler):
    """Unpickles plain data only (dicts, lists, strings, numbers): the plugin kwargs Polars keeps in an expression."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")


def _describe(expr: pl.Expr) -> str:
    text = str(expr)
    return text if len(text) <= 120 else text[:117] + "..."


def read_call(func: str, expr: Any) -> tuple[Indicator, dict[str, float], list[str], list[str]]:
    """The catalogue call inside ``expr`` (``kf.rsi("close", 14).alias("rsi")``): its entry, kernel parameters,
    input columns in kernel order and output column names. Anything else raises ``TypeError`` naming it."""
    if not isinstance(expr, pl.Expr):
        raise TypeError(f"{func}: expected indicator expressions such as kf.rsi('close', 14), got {expr!r}")
    refused = f"{func}: {_describe(expr)} is not a polars_kimsfinance indicator call on columns"
    try:
        tree = json.loads(expr.meta.serialize(format="json"))
    except Exception as e:  # an expression Polars cannot serialise (a Python UDF) is not an indicator either
        raise TypeError(f"{refused} ({e})") from None
    alias = None
    if isinstance(tree, dict) and "Alias" in tree:
        tree, alias = tree["Alias"]
    plugin = tree.get("Function", {}) if isinstance(tree, dict) else {}
    ffi = plugin.get("function", {}).get("FfiPlugin") if isinstance(plugin.get("function"), dict) else None
    if not ffi or ffi.get("symbol") != "kf_indicator" or not Path(str(ffi.get("lib", ""))).name.startswith("_internal"):
        raise TypeError(f"{refused}; only catalogue calls (kf.rsi(...), kf.macd(...), ...) can stream")
    try:
        kwargs = _PlainData(io.BytesIO(bytes(ffi["kwargs"]))).load()
    except Exception as e:
        raise TypeError(f"{refused} (its parameters cannot be read: {e})") from None
    ind = BY_NAME.get(kwargs.get("name"))
    if ind is None:
        raise TypeError(f"{refused} (unknown indicator {kwargs.get('name')!r})")
    args = []
    for arg in plugin.get("input", []):
        if not (isinstance(arg, dict) and set(arg) == {"Column"}):
            raise TypeError(
                f"{func}: {ind.name}'s inputs must be plain columns (pl.col('close')), got {_describe(expr)}"
            )
        args.append(arg["Column"])
    columns = [args[i] for i in kwargs["order"]]
    fields = list(kwargs["fields"])
    outputs = fields if len(fields) > 1 else [alias or expr.meta.output_name()]
    return ind, {k: float(v) for k, v in kwargs["params"].items()}, columns, outputs


def _physical_time(func: str, name: str, series: pl.Series) -> pl.Series:
    dtype = series.dtype
    if not (dtype.is_temporal() or dtype.is_integer()):
        raise TypeError(f"{func}: time column {name!r} must be a date, datetime or integer column, got {dtype}")
    if series.null_count():
        raise ValueError(f"{func}: time column {name!r} has {series.null_count()} null values")
    return series if dtype == pl.Int64 else series.to_physical().cast(pl.Int64)


def _from_physical(values: pl.Series | pl.Expr, dtype: pl.DataType) -> Any:
    """Int64 physical time values back to the time column's dtype (a Date goes through its Int32)."""
    physical = pl.Series([], dtype=dtype).to_physical().dtype
    return values.cast(physical).cast(dtype)


def _schema_bytes(schema: dict[str, pl.DataType]) -> str:
    buffer = io.BytesIO()
    pl.DataFrame(schema=schema).write_ipc(buffer)
    return buffer.getvalue().hex()


def _schema_from(hex_bytes: str) -> dict[str, pl.DataType]:
    return dict(pl.read_ipc(io.BytesIO(bytes.fromhex(hex_bytes))).schema)


class Stream:
    """Indicators kept live for many keys: see ``DataFrame.kf.stream``.

    ``update(rows)`` appends rows and returns their outputs, ``peek(rows)`` the same without keeping them,
    ``latest()`` the newest outputs per key, ``copy()`` an independent fork, ``snapshot()`` bytes that
    ``Stream.restore`` reads back (in another process too), ``memory_bytes()`` the memory the states hold.
    """

    def __init__(self, inner: Any, meta: dict[str, Any]) -> None:
        self._inner = inner
        self._meta = meta
        self._by: str | None = meta["by"]
        self._time: str | None = meta["time"]
        self._columns: list[str] = meta["columns"]
        self._schema = _schema_from(meta["schema"])
        self._outputs: list[list[str]] = meta["outputs"]
        self._float32: list[bool] = meta["float32"]
        self._int_keys: bool = meta["int_keys"]

    @classmethod
    def _build(cls, func: str, df: FrameLike, exprs: Sequence[Any], by: str | None, time: str | None | bool) -> Stream:
        if isinstance(exprs, pl.Expr):
            exprs = [exprs]
        if not isinstance(exprs, Sequence) or isinstance(exprs, (str, bytes)):
            example = "[kf.rsi('close', 14)]"
            raise TypeError(f"{func}: expected a list of indicator expressions such as {example}, got {exprs!r}")
        if not exprs:
            raise ValueError(f"{func}: give at least one indicator expression")
        frame = df.collect() if isinstance(df, pl.LazyFrame) else df
        if not isinstance(frame, pl.DataFrame):
            raise TypeError(f"{func}: expected a DataFrame or LazyFrame, got {type(df).__name__}")
        calls = [read_call(func, e) for e in exprs]
        if by is not None and by not in frame.columns:
            raise ValueError(f"{func}: by column {by!r} not found; columns: {frame.columns}")
        time_name = None if time is False else time_column(func, frame, None if time is True else time)
        columns: list[str] = []
        specs, outputs, float32, described = [], [], [], []
        for ind, params, inputs, names in calls:
            missing = [c for c in inputs if c not in frame.columns]
            if missing:
                raise ValueError(f"{func}: {ind.name} needs column(s) {missing}, not in the frame: {frame.columns}")
            for c in inputs:
                dtype = frame.schema[c]
                if not (dtype.is_numeric() or dtype == pl.Null):
                    raise TypeError(f"{func}: {ind.name}'s column {c!r} has dtype {dtype}; expected a numeric column")
                if c not in columns:
                    columns.append(c)
            specs.append((ind.name, params, [columns.index(c) for c in inputs]))
            outputs.append(names)
            float32.append(all(frame.schema[c] == pl.Float32 for c in inputs))
            described.append({"name": ind.name, "params": params, "inputs": inputs})
        flat = [n for names in outputs for n in names]
        taken = {by, time_name} - {None}
        clashes = sorted({n for n in flat if flat.count(n) > 1 or n in taken})
        if clashes:
            raise ValueError(f"{func}: output names {clashes} are used twice; give each expression its own .alias()")
        schema = {c: frame.schema[c] for c in [by, time_name, *columns] if c is not None}
        key_dtype = frame.schema[by] if by is not None else None
        meta = {
            "by": by,
            "time": time_name,
            "columns": columns,
            "schema": _schema_bytes(schema),
            "outputs": outputs,
            "float32": float32,
            "int_keys": bool(key_dtype is not None and key_dtype.is_integer()),
            "indicators": described,
        }
        inner = _internal._Stream(specs, len(columns), time_name is not None, json.dumps(meta))
        stream = cls(inner, meta)
        stream._feed(func, frame, commit=True, outputs=False)
        return stream

    def _check(self, func: str, rows: Any) -> pl.DataFrame:
        if isinstance(rows, pl.LazyFrame):
            rows = rows.collect()
        if not isinstance(rows, pl.DataFrame):
            raise TypeError(f"{func}: expected a DataFrame of new rows, got {type(rows).__name__}")
        schema = rows.schema
        missing = [c for c in self._schema if c not in schema]
        if missing:
            raise ValueError(f"{func}: column(s) {missing} missing from the new rows; they have {rows.columns}")
        wrong = [f"{c!r} is {schema[c]}, expected {t}" for c, t in self._schema.items() if schema[c] != t]
        if wrong:
            raise TypeError(f"{func}: column dtypes differ from the stream's: {'; '.join(wrong)}")
        return rows

    def _keys(self, frame: pl.DataFrame) -> pl.Series | None:
        if self._by is None:
            return None
        key = frame.get_column(self._by)
        cast: pl.Series = key.cast(pl.Int64) if self._int_keys else key.cast(pl.String)
        return cast

    def _feed(self, func: str, frame: pl.DataFrame, *, commit: bool, outputs: bool) -> pl.DataFrame | None:
        times = None
        if self._time is not None:
            times = _physical_time(func, self._time, frame.get_column(self._time))
        columns = [frame.get_column(c).cast(pl.Float64) for c in self._columns]
        prefix = [frame.get_column(c) for c in (self._by, self._time) if c is not None]
        out, late = self._inner.update(
            self._keys(frame),
            times,
            columns,
            commit,
            prefix,
            self._outputs if outputs else None,
            self._float32,
        )
        if late is not None:
            row, key, previous, time = late
            dtype = self._schema[self._time]  # type: ignore[index]
            shown = _from_physical(pl.Series([previous, time]), dtype).to_list()
            where = f"key {key} ({self._by})" if self._by is not None else "the series"
            raise ValueError(
                f"{func}: row {row} of {where} has {self._time} {shown[1]}, older than its newest row so far "
                f"({shown[0]}); nothing was updated"
            )
        return out  # type: ignore[no-any-return]

    def update(self, rows: FrameLike) -> pl.DataFrame:
        """Append ``rows`` (several keys, several rows each, in time order within a key) and return one row per
        input row: the key, the time column if the stream has one, and every output. All or nothing: on an error
        the stream is as before."""
        frame = self._check("Stream.update", rows)
        out = self._feed("Stream.update", frame, commit=True, outputs=True)
        assert out is not None
        return out

    def peek(self, rows: FrameLike) -> pl.DataFrame:
        """The outputs :meth:`update` would return for ``rows`` (a still-forming bar), keeping nothing."""
        frame = self._check("Stream.peek", rows)
        out = self._feed("Stream.peek", frame, commit=False, outputs=True)
        assert out is not None
        return out

    def latest(self) -> pl.DataFrame:
        """The outputs of every key's newest row, one row per key in order of first appearance."""
        key = self._by or "key"
        out: pl.DataFrame = self._inner.latest(key, self._int_keys, self._time, self._outputs, self._float32)
        casts = []
        if self._by is not None:
            casts.append(pl.col(key).cast(self._schema[key]))
        else:
            out = out.drop(key)
        if self._time is not None:
            dtype = self._schema[self._time]
            casts.append(_from_physical(pl.col(self._time), dtype))
        return out.with_columns(casts) if casts else out

    def copy(self) -> Stream:
        """An independent fork: updates of one do not reach the other."""
        return Stream(self._inner.copy(), self._meta)

    def snapshot(self) -> bytes:
        """The stream as bytes (versioned, with a checksum); :meth:`Stream.restore` reads them back."""
        blob: bytes = self._inner.snapshot()
        return blob

    @classmethod
    def restore(cls, blob: bytes) -> Stream:
        """A stream from :meth:`snapshot`'s bytes. Bytes from an incompatible version, truncated or altered bytes
        raise ``ValueError`` saying which."""
        if not isinstance(blob, (bytes, bytearray, memoryview)):
            raise TypeError(f"Stream.restore: blob must be bytes, got {type(blob).__name__}")
        inner = _internal._Stream.restore(bytes(blob))
        return cls(inner, json.loads(inner.meta))

    def memory_bytes(self) -> int:
        """Bytes held by the states of every key and indicator, the key index and the newest times."""
        return int(self._inner.memory_bytes())

    def bytes_per_key(self) -> dict[str, int]:
        """Bytes each indicator holds per key (its state, window buffers and newest outputs)."""
        sizes = self._inner.bytes_per_key()
        return {"+".join(names): int(b) for names, b in zip(self._outputs, sizes)}

    @property
    def keys(self) -> int:
        """How many keys the stream has seen."""
        return int(self._inner.key_count())

    def __repr__(self) -> str:
        names = [n for names in self._outputs for n in names]
        by = f", by={self._by!r}" if self._by else ""
        return f"Stream({names}{by}, keys={self.keys}, memory_bytes={self.memory_bytes()})"


def _stream_method(
    self: Any, exprs: Sequence[pl.Expr], by: str | None = None, *, time: str | bool | None = None
) -> Stream:
    """A live :class:`Stream` of ``exprs`` (catalogue calls such as ``kf.rsi("close", 14).alias("rsi")``), one
    state per value of ``by`` (without it the frame is one series), primed on this frame's rows.

    ``time``: the column whose values must not go back within a key (found as the charts find it when not given;
    ``False`` for none). Outputs of :meth:`Stream.update` equal ``expr.over(by)`` on the concatenated frame bit for
    bit."""
    return Stream._build("stream", self._frame, exprs, by, time)


setattr(DataFrameNamespace, "stream", _stream_method)
setattr(LazyFrameNamespace, "stream", _stream_method)
