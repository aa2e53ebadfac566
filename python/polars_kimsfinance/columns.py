"""Finding a frame's input columns, shared by the ``kf`` namespace methods, the bar transforms and the charts.

A role (``close``, ``high``, ...) maps to the column named in an override, else the one column whose name matches it
case-insensitively; a missing or ambiguous column raises ``ValueError`` listing the columns that exist.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from .catalogue.spec import Indicator
from .functions import FUNCTIONS, indicator_expr

__all__ = [
    "STRUCT_COLUMN",
    "TIME_NAMES",
    "frame_expr",
    "median_atr",
    "method_signature",
    "optional_column",
    "resolve_columns",
    "time_column",
]

#: Column names taken as the time axis, in order of preference.
TIME_NAMES = ("date", "datetime", "time", "timestamp")

#: Name of the struct column a multi-output method adds and unnests straight away.
STRUCT_COLUMN = "__kf_struct__"


def resolve_columns(
    func: str, available: Sequence[str], needed: Sequence[str], overrides: Mapping[str, str | None]
) -> dict[str, str]:
    """Map each needed canonical input (``close``, ...) to a column: an explicit override, else the column whose
    name matches case-insensitively. A missing or ambiguous column raises ``ValueError`` listing what exists."""
    found: dict[str, str] = {}
    for role in needed:
        override = overrides.get(role)
        if override is not None:
            if override not in available:
                raise ValueError(f"{func}: column {override!r} given for {role} not found; columns: {list(available)}")
            found[role] = override
            continue
        matches = [c for c in available if c.lower() == role]
        if len(matches) > 1:
            raise ValueError(f"{func}: several columns match {role!r}: {matches}; pass {role}=... to choose one")
        if not matches:
            raise ValueError(
                f"{func}: no {role!r} column (case-insensitive) among {list(available)}; pass {role}=... to name it"
            )
        found[role] = matches[0]
    return found


def optional_column(func: str, df: pl.DataFrame, roles: Sequence[str], override: str | None) -> str | None:
    """The column for the first of ``roles`` present (case-insensitively), the override when given, else None."""
    if override is not None:
        return resolve_columns(func, df.columns, [roles[0]], {roles[0]: override})[roles[0]]
    for role in roles:
        if any(c.lower() == role for c in df.columns):
            return resolve_columns(func, df.columns, [role], {})[role]
    return None


def time_column(func: str, df: pl.DataFrame, time: str | None) -> str | None:
    """``time`` when given; else a column named date / datetime / time / timestamp (any case); else the only
    Date or Datetime column; else None."""
    if time is not None:
        if time not in df.columns:
            raise ValueError(f"{func}: column {time!r} given for time not found; columns: {df.columns}")
        return time
    found = optional_column(func, df, TIME_NAMES, None)
    if found is not None:
        return found
    temporal = [c for c, t in df.schema.items() if t == pl.Date or isinstance(t, pl.Datetime)]
    return temporal[0] if len(temporal) == 1 else None


def median_atr(func: str, df: pl.DataFrame, high: str | None, low: str | None, close: str | None) -> float:
    """Median of ATR(14) over the frame: the scale for default box sizes."""
    cols = resolve_columns(func, df.columns, ("high", "low", "close"), {"high": high, "low": low, "close": close})
    atr = FUNCTIONS["atr"](high=pl.col(cols["high"]), window=14, low=pl.col(cols["low"]), close=pl.col(cols["close"]))
    value = df.select(atr.fill_nan(None).median()).item()
    if value is None or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"{func}: cannot derive a default box size from the median ATR(14) of this frame (got {value!r}; "
            "it needs at least 15 valid bars that move); pass it explicitly"
        )
    return float(value)


def default_box_size(
    func: str, kind: str, df: pl.DataFrame, high: str | None, low: str | None, close: str | None
) -> float:
    """The box size when none is given, shared by the transforms and the charts: 0.75 times the median ATR(14) for
    renko bricks, the median ATR(14) itself for point-and-figure boxes."""
    atr = median_atr(func, df, high, low, close)
    return 0.75 * atr if kind == "renko" else atr


def method_signature(ind: Indicator) -> inspect.Signature:
    """The signature of the indicator's DataFrame method: its parameters, then each input as a column-name
    keyword (and ``name`` for a single output)."""
    P = inspect.Parameter
    params = [P("self", P.POSITIONAL_ONLY)]
    params += [P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default, annotation=p.annotation) for p in ind.params]
    params += [P(name, P.KEYWORD_ONLY, default=None, annotation="str | None") for name in ind.inputs]
    if len(ind.fields) == 1:
        params.append(P("name", P.KEYWORD_ONLY, default=None, annotation="str | None"))
    return inspect.Signature(params)


def frame_expr(ind: Indicator, columns: Sequence[str], args: tuple[Any, ...], kwargs: dict[str, Any]) -> pl.Expr:
    """The DataFrame method's expression over a frame with ``columns``: a named column, or for several outputs one
    struct named :data:`STRUCT_COLUMN` (evaluated once, on every Polars release, then unnested by the caller) rather
    than one ``struct.field`` expression per field."""
    sig = method_signature(ind)
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{ind.name}: {e}") from None
    bound.apply_defaults()
    values = bound.arguments
    cols = resolve_columns(ind.name, columns, ind.inputs, {name: values[name] for name in ind.inputs})
    expr: pl.Expr = indicator_expr(ind, {role: pl.col(c) for role, c in cols.items()}, values)
    if len(ind.fields) == 1:
        return expr.alias(values.get("name") or ind.column_name(values))
    return expr.alias(STRUCT_COLUMN)
