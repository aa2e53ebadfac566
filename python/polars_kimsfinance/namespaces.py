"""The ``kf`` namespace on ``pl.Expr``, ``pl.Series``, ``pl.DataFrame`` and ``pl.LazyFrame``.

Every method delegates to the plain function of the same name (``functions.py``), which is the source of truth.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import polars as pl

from .catalogue import CATALOGUE, OHLCV
from .catalogue.spec import Indicator
from .functions import FUNCTIONS, docstring, indicator_expr


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


def _method_signature(ind: Indicator) -> inspect.Signature:
    P = inspect.Parameter
    params = [P("self", P.POSITIONAL_ONLY)]
    params += [P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default, annotation=p.annotation) for p in ind.params]
    params += [P(name, P.KEYWORD_ONLY, default=None, annotation="str | None") for name in ind.inputs]
    if len(ind.fields) == 1:
        params.append(P("name", P.KEYWORD_ONLY, default=None, annotation="str | None"))
    return inspect.Signature(params)


#: Name of the struct column a multi-output method adds and unnests straight away.
_STRUCT_COLUMN = "__kf_struct__"


def _frame_expr(ind: Indicator, columns: Sequence[str], args: tuple, kwargs: dict) -> pl.Expr:
    """The method's expression: a named column, or for several outputs one struct (evaluated once, on every
    Polars release, then unnested) rather than one ``struct.field`` expression per field."""
    sig = _method_signature(ind)
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{ind.name}: {e}") from None
    bound.apply_defaults()
    values = bound.arguments
    cols = resolve_columns(ind.name, columns, ind.inputs, {name: values[name] for name in ind.inputs})
    expr = indicator_expr(ind, {role: pl.col(c) for role, c in cols.items()}, values)
    if len(ind.fields) == 1:
        return expr.alias(values.get("name") or ind.column_name(values))
    return expr.alias(_STRUCT_COLUMN)


def _frame_method(ind: Indicator, schema_names: Callable[[Any], list[str]]) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        frame = self._frame
        names = schema_names(frame)
        out = frame.with_columns(_frame_expr(ind, names, args, kwargs))
        if len(ind.fields) == 1:
            return out
        replaced = [f for f in ind.fields if f in names]  # a second call replaces the first one's columns
        return (out.drop(replaced) if replaced else out).unnest(_STRUCT_COLUMN)

    method.__name__ = method.__qualname__ = ind.name
    method.__signature__ = _method_signature(ind)  # type: ignore[attr-defined]
    method.__doc__ = docstring(ind, inputs_doc="column name (found case-insensitively when not given)")
    return method


def _expr_method(ind: Indicator) -> Callable[..., pl.Expr]:
    function = FUNCTIONS[ind.name]
    sig = inspect.signature(function)
    params = list(sig.parameters.values())

    def method(self: Any, *args: Any, **kwargs: Any) -> pl.Expr:
        return function(self._expr, *args, **kwargs)

    method.__name__ = method.__qualname__ = ind.name
    method.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *params[1:]]
    )
    method.__doc__ = function.__doc__
    return method


def _series_method(ind: Indicator) -> Callable[..., pl.Series]:
    function = FUNCTIONS[ind.name]

    def method(self: Any, *args: Any, **kwargs: Any) -> pl.Series:
        series: pl.Series = self._series
        for role in ind.secondary:
            if not isinstance(kwargs.get(role), pl.Series):
                raise TypeError(f"{ind.name}: pass the {role} input as a Series ({role}=...)")
        return pl.select(function(series, *args, **kwargs)).to_series().alias(series.name)

    method.__name__ = method.__qualname__ = ind.name
    method.__doc__ = function.__doc__
    return method


@pl.api.register_expr_namespace("kf")
class ExprNamespace:
    """Technical-analysis indicators on an expression: ``pl.col("close").kf.rsi(14)``."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr


@pl.api.register_series_namespace("kf")
class SeriesNamespace:
    """Technical-analysis indicators on a Series: ``s.kf.sma(20)``."""

    def __init__(self, series: pl.Series) -> None:
        self._series = series


@pl.api.register_dataframe_namespace("kf")
class DataFrameNamespace:
    """Indicators on a DataFrame, finding its OHLCV columns: ``df.kf.rsi(14)`` adds ``rsi_14``."""

    def __init__(self, df: pl.DataFrame) -> None:
        self._frame = df


@pl.api.register_lazyframe_namespace("kf")
class LazyFrameNamespace:
    """Indicators on a LazyFrame, finding its OHLCV columns: ``lf.kf.rsi(14)`` adds ``rsi_14``."""

    def __init__(self, lf: pl.LazyFrame) -> None:
        self._frame = lf


for _ind in CATALOGUE:
    setattr(ExprNamespace, _ind.name, _expr_method(_ind))
    setattr(SeriesNamespace, _ind.name, _series_method(_ind))
    setattr(DataFrameNamespace, _ind.name, _frame_method(_ind, lambda df: df.columns))
    setattr(LazyFrameNamespace, _ind.name, _frame_method(_ind, lambda lf: lf.collect_schema().names()))

__all__ = ["DataFrameNamespace", "ExprNamespace", "LazyFrameNamespace", "SeriesNamespace", "OHLCV"]
