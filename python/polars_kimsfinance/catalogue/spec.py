"""The shape of a catalogue entry: one declaration per indicator drives its Python function, the ``kf`` namespace
methods, the docstrings, the type stubs and the tests."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

#: The largest window or count an indicator takes (the kernels' bound, ``kernels::params::MAX_COUNT``).
MAX_COUNT = 10**12

#: The canonical OHLCV input names. A catalogue entry lists the inputs its kernel reads, in kernel order.
OHLCV = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Param:
    """One numeric parameter.

    ``kind`` decides validation: ``window`` (integer >= 1), ``count`` (integer >= 0), ``positive`` (float > 0),
    ``non_negative`` (float >= 0), ``fraction`` (float in (0, 1]), ``real`` (any finite float), ``flag`` (bool).
    """

    name: str
    default: Any
    kind: str
    doc: str
    in_name: bool = False  # part of the DataFrame method's output column name, e.g. ``rsi_14``

    def check(self, func: str, value: Any) -> float:
        """Validate ``value`` and return it as the float the kernel receives; raise ``ValueError`` naming it.

        A parameter whose default is ``None`` accepts ``None`` (the entry's ``prepare`` resolves it)."""
        if value is None and self.default is None:
            return None  # type: ignore[return-value]
        if self.kind == "flag":
            if not isinstance(value, (bool, numbers.Integral)):
                raise TypeError(f"{func}: {self.name} must be a bool, got {value!r}")
            return float(bool(value))
        # numbers.Real takes numpy's integer and float scalars too (np.int64(20) is a window); bool is not a number
        # here.
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{func}: {self.name} must be a number, got {value!r}")
        try:
            v = float(value)
        except OverflowError:  # an int beyond float's range: no window or multiplier is that large
            # (its digits are not printed: Python refuses to print more than 4,300 of them)
            size = f"an integer of {value.bit_length()} bits" if isinstance(value, int) else "a number beyond floats"
            raise ValueError(f"{func}: {self.name} is out of range, got {size}") from None
        if math.isnan(v):
            raise ValueError(f"{func}: {self.name} must be a number, got nan")
        if self.kind in ("window", "count"):
            low = 1 if self.kind == "window" else 0
            if not float(v).is_integer() or v < low or math.isinf(v):
                raise ValueError(f"{func}: {self.name} must be an integer >= {low}, got {value!r}")
            if v > MAX_COUNT:
                raise ValueError(f"{func}: {self.name} must be at most {MAX_COUNT}, got {value!r}")
        elif self.kind == "positive" and not (0 < v < math.inf):
            raise ValueError(f"{func}: {self.name} must be > 0, got {value!r}")
        elif self.kind == "non_negative" and not (0 <= v < math.inf):
            raise ValueError(f"{func}: {self.name} must be >= 0, got {value!r}")
        elif self.kind == "fraction" and not (0 < v <= 1):
            raise ValueError(f"{func}: {self.name} must be in (0, 1], got {value!r}")
        elif self.kind == "real" and math.isinf(v):
            raise ValueError(f"{func}: {self.name} must be finite, got {value!r}")
        return v

    @property
    def annotation(self) -> str:
        base = {"window": "int", "count": "int", "flag": "bool"}.get(self.kind, "float")
        return f"{base} | None" if self.default is None else base


def window(default: int, doc: str = "Number of bars in the window.", name: str = "window") -> Param:
    return Param(name, default, "window", doc, in_name=True)


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue."""

    name: str
    summary: str
    inputs: tuple[str, ...]
    params: tuple[Param, ...] = ()
    outputs: tuple[str, ...] = ()  # empty: one output, named after the indicator
    description: str = ""
    talib: str | None = None  # the TA-Lib function it equals, if any
    example: str = ""
    #: Turns the user's parameter values into the kernel's (e.g. ``ewm_mean``'s com/span/half_life into alpha).
    prepare: Callable[[Mapping[str, Any]], dict[str, float]] | None = None
    #: Extra constraints across parameters: returns an error message or None.
    validate: Callable[[Mapping[str, float]], str | None] | None = None
    family: str = ""
    #: Parameters for generic tests and demos where the defaults alone are not a valid call (``ewm_mean``).
    example_params: dict[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...]:
        return self.outputs or (self.name,)

    @property
    def primary(self) -> str:
        """The input a method on ``pl.col(...).kf`` is called on: ``close`` where the kernel reads it."""
        return "close" if "close" in self.inputs else self.inputs[0]

    @property
    def secondary(self) -> tuple[str, ...]:
        return tuple(i for i in self.inputs if i != self.primary)

    def kernel_params(self, values: Mapping[str, Any]) -> dict[str, float]:
        """Validate the user's values; return the float parameters the kernel receives."""
        checked = {p.name: p.check(self.name, values[p.name]) for p in self.params}
        if self.validate is not None:
            problem = self.validate(checked)
            if problem:
                raise ValueError(f"{self.name}: {problem}")
        if self.prepare is not None:
            return self.prepare({**values, **checked})
        return checked

    def column_name(self, values: Mapping[str, Any]) -> str:
        """The DataFrame method's name for a single output, e.g. ``rsi_14`` or ``bbands`` fields unnested."""
        parts = [self.name] + [_fmt(values[p.name]) for p in self.params if p.in_name]
        return "_".join(parts)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
