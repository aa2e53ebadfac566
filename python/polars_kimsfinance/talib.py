"""TA-Lib's function names and signatures on numpy arrays: ``from polars_kimsfinance import talib``, then
``talib.RSI(close, timeperiod=14)``, ``talib.MACD(close)`` -> a tuple, ``talib.BBANDS(close, matype=1)``,
``talib.MA(close, 30, matype=3)``.

The functions are made from the catalogue's TA-Lib twins (``catalogue/talib_twins.py``): each takes numpy float64
arrays (or anything numpy turns into one: pandas and Polars Series, lists), runs the catalogue kernel straight on the
array buffers with the GIL released (``_internal._kernel_arrays``; no Polars frame is built) and returns numpy
arrays with NaN over TA-Lib's warm-up rows. ``talib.stream.RSI(history, timeperiod=14)`` returns a handle with
``update`` / ``peek`` / ``copy`` / ``value`` as TA-Lib's stream handles have, on the Rust streams of
:class:`polars_kimsfinance.Stream`.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np
import polars as pl

from . import _internal
from .catalogue import BY_NAME
from .catalogue.spec import Indicator
from .catalogue.talib_twins import MA_TYPES, TWINS, TalibTwin

__all__ = ["FUNCTIONS", "MA", "stream", *(t.name for t in TWINS)]


def _array(func: str, name: str, value: Any) -> np.ndarray:
    if isinstance(value, pl.Series):
        value = value.cast(pl.Float64).to_numpy()
    try:
        array = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{func}: {name} must be a numeric array, got {type(value).__name__} ({e})") from None
    if array.ndim != 1:
        raise ValueError(f"{func}: {name} must be one-dimensional, got shape {array.shape}")
    return array


def _run(func: str, ind: Indicator, values: Mapping[str, Any], inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The kernel of ``ind`` with the catalogue's checked ``values`` over ``inputs`` (kernel order)."""
    try:
        params = ind.kernel_params({p.name: values.get(p.name, p.default) for p in ind.params})
    except (TypeError, ValueError) as e:
        raise type(e)(f"{func}: {e}") from None
    try:
        buffers = _internal._kernel_arrays(ind.name, params, [a.ctypes.data for a in inputs], len(inputs[0]))
    except ValueError as e:
        raise ValueError(f"{func}: {e}") from None
    # The buffers come from the extension's allocator; numpy wraps them without a copy.
    return [np.asarray(b) for b in buffers]


def _inputs(func: str, twin: TalibTwin, ind: Indicator, bound: Mapping[str, Any]) -> list[np.ndarray]:
    """TA-Lib's inputs as arrays in the kernel's order (``real`` is the entry's price input)."""
    price = next(i for i in ind.inputs if i != "volume")
    by_role = {(price if name == "real" else name): _array(func, name, bound[name]) for name in twin.inputs}
    lengths = {len(a) for a in by_role.values()}
    if len(lengths) > 1:
        shown = {name: len(bound[name]) for name in twin.inputs}
        raise ValueError(f"{func}: inputs must have the same length, got {shown}")
    return [by_role[role] for role in ind.inputs]


def _values(func: str, twin: TalibTwin, bound: Mapping[str, Any]) -> dict[str, Any]:
    """The catalogue parameters set by TA-Lib's; MA types the entry fixes must be 0."""
    renamed = dict(twin.renamed)
    values = {}
    for name, _ in twin.params:
        if name in twin.sma_only:
            if bound[name] != 0:
                raise ValueError(f"{func}: {name} must be 0 (SMA), the only average it supports; got {bound[name]!r}")
            continue
        values[renamed.get(name, name)] = bound[name]
    return values


def _signature(twin: TalibTwin) -> inspect.Signature:
    P = inspect.Parameter
    params = [P(name, P.POSITIONAL_OR_KEYWORD) for name in twin.inputs]
    params += [P(name, P.POSITIONAL_OR_KEYWORD, default=default) for name, default in twin.params]
    return inspect.Signature(params)


def _bind(func: str, sig: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{func}: {e}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


def _moving_average(func: str, real: Any, timeperiod: Any, matype: Any) -> np.ndarray:
    valid = isinstance(matype, (int, np.integer)) and not isinstance(matype, bool)
    entry = MA_TYPES.get(int(matype)) if valid else None
    if entry is None:
        known = ", ".join(f"{k} ({v.upper()})" for k, v in MA_TYPES.items())
        raise ValueError(f"{func}: matype must be one of {known}; got {matype!r}")
    ind = BY_NAME[entry]
    return _run(func, ind, {"window": timeperiod}, [_array(func, "real", real)])[0]


def _bbands(bound: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    """BBANDS: with matype 0 the catalogue's bbands; otherwise TA-Lib's definition, that average of the prices as
    the middle band and ``nbdev`` times their STDDEV (population, over the same period) either side."""
    func = "BBANDS"
    if bound["matype"] == 0:
        ind = BY_NAME["bbands"]
        values = {"window": bound["timeperiod"], "nbdevup": bound["nbdevup"], "nbdevdn": bound["nbdevdn"]}
        return tuple(_run(func, ind, values, [_array(func, "real", bound["real"])]))
    real = _array(func, "real", bound["real"])
    middle = _moving_average(func, real, bound["timeperiod"], bound["matype"])
    deviation = _run(func, BY_NAME["stddev"], {"window": bound["timeperiod"], "nbdev": 1.0}, [real])[0]
    for param in BY_NAME["bbands"].params:
        if param.name in ("nbdevup", "nbdevdn"):
            param.check(func, bound[param.name])
    return middle + bound["nbdevup"] * deviation, middle, middle - bound["nbdevdn"] * deviation


def _make(twin: TalibTwin) -> Callable[..., Any]:
    ind = BY_NAME[twin.indicator]
    sig = _signature(twin)

    def function(*args: Any, **kwargs: Any) -> Any:
        bound = _bind(twin.name, sig, args, kwargs)
        if twin.name == "BBANDS":
            return _bbands(bound)
        outputs = _run(twin.name, ind, _values(twin.name, twin, bound), _inputs(twin.name, twin, ind, bound))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    function.__name__ = function.__qualname__ = twin.name
    function.__module__ = __name__
    function.__signature__ = sig  # type: ignore[attr-defined]
    outputs = ", ".join(ind.fields)
    function.__doc__ = (
        f"TA-Lib's {twin.name}{sig}: the catalogue's ``{ind.name}`` on numpy arrays.\n\n{ind.summary}\n\n"
        f"Returns {'a tuple of arrays (' + outputs + ')' if len(ind.fields) > 1 else 'a float64 array'}, NaN over "
        "the warm-up rows as TA-Lib; a NaN input is a missing bar (its output is NaN and the kernel skips it)."
    )
    return function


def MA(real: Any, timeperiod: int = 30, matype: int = 0) -> np.ndarray:
    """TA-Lib's MA: the moving average of type ``matype`` (0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA,
    8 T3 with vfactor 0.7; 7, MAMA, is not in the catalogue)."""
    return _moving_average("MA", real, timeperiod, matype)


FUNCTIONS: dict[str, Callable[..., Any]] = {twin.name: _make(twin) for twin in TWINS}
FUNCTIONS["MA"] = MA
globals().update(FUNCTIONS)


class StreamHandle:
    """One indicator on one series, advanced a value at a time: TA-Lib's stream handles (``update``, ``peek``,
    ``copy``, ``value``) on a :class:`polars_kimsfinance.Stream` of one key."""

    __slots__ = ("_inner", "_single", "name", "__dict__")

    def __init__(self, inner: Any, name: str, single: bool, scalar: bool) -> None:
        self._inner = inner
        self._single = single
        self.name = name
        if scalar:
            # One input, one output: the Rust methods themselves, no Python frame per value.
            self.__dict__["update"] = inner.push1
            self.__dict__["peek"] = inner.peek1

    def update(self, *values: float) -> Any:
        """Append one bar (TA-Lib's inputs, in its order) and return the outputs for it."""
        out = self._inner.step(values, True)
        return out[0] if self._single else tuple(out)

    def peek(self, *values: float) -> Any:
        """The outputs :meth:`update` would return, keeping nothing."""
        out = self._inner.step(values, False)
        return out[0] if self._single else tuple(out)

    def copy(self) -> StreamHandle:
        """An independent fork."""
        return StreamHandle(self._inner.copy(), self.name, self._single, "update" in self.__dict__)

    @property
    def value(self) -> Any:
        """The outputs of the newest bar (NaN during the warm-up)."""
        out = self._inner.newest()
        return out[0] if self._single else tuple(out)

    def snapshot(self) -> bytes:
        """The handle as bytes (see :meth:`polars_kimsfinance.Stream.snapshot`)."""
        blob: bytes = self._inner.snapshot()
        return blob

    def __repr__(self) -> str:
        return f"{self.name}_Stream(value={self.value!r})"


def _make_stream(twin: TalibTwin) -> Callable[..., StreamHandle]:
    ind = BY_NAME[twin.indicator]
    sig = _signature(twin)

    def open_stream(*args: Any, **kwargs: Any) -> StreamHandle:
        func = f"stream.{twin.name}"
        bound = _bind(func, sig, args, kwargs)
        if twin.name == "BBANDS" and bound["matype"] != 0:
            raise ValueError(f"{func}: matype must be 0 (SMA) in a stream; got {bound['matype']!r}")
        values = _values(func, twin, bound)
        history = _inputs(func, twin, ind, bound)
        try:
            params = ind.kernel_params({p.name: values.get(p.name, p.default) for p in ind.params})
        except (TypeError, ValueError) as e:
            raise type(e)(f"{func}: {e}") from None
        # The handle takes TA-Lib's inputs in TA-Lib's order; the kernel reads them in the catalogue's.
        price = next(i for i in ind.inputs if i != "volume")
        roles = [price if name == "real" else name for name in twin.inputs]
        order = [roles.index(role) for role in ind.inputs]
        inner = _internal._Stream([(ind.name, params, order)], len(roles), False, "")
        by_role = dict(zip(ind.inputs, history))
        columns = [pl.Series(by_role[role]) for role in roles]
        inner.update(None, None, columns, True, [], None, [])
        return StreamHandle(inner, twin.name, len(ind.fields) == 1, len(roles) == 1 and len(ind.fields) == 1)

    open_stream.__name__ = open_stream.__qualname__ = twin.name
    open_stream.__signature__ = sig  # type: ignore[attr-defined]
    open_stream.__doc__ = f"A stream handle of TA-Lib's {twin.name}, primed on the history arrays."
    return open_stream


stream = types.ModuleType(f"{__name__}.stream", "TA-Lib-style stream handles: ``stream.RSI(history, 14)``.")
for _twin in TWINS:
    setattr(stream, _twin.name, _make_stream(_twin))
stream.__all__ = [t.name for t in TWINS]  # type: ignore[attr-defined]
sys.modules[stream.__name__] = stream
