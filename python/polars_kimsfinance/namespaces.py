"""The ``kf`` namespace on ``pl.Expr``, ``pl.Series``, ``pl.DataFrame`` and ``pl.LazyFrame``.

Every method delegates to the plain function of the same name (``functions.py``), which is the source of truth.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import polars as pl

from ._shield import shielded
from .catalogue import CATALOGUE, OHLCV
from .catalogue.spec import Indicator
from .columns import STRUCT_COLUMN, frame_expr, method_signature
from .functions import FUNCTIONS, docstring


def _frame_method(ind: Indicator, schema_names: Callable[[Any], list[str]]) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        frame = self._frame
        names = schema_names(frame)
        out = frame.with_columns(frame_expr(ind, names, args, kwargs))
        if len(ind.fields) == 1:
            return out
        replaced = [f for f in ind.fields if f in names]  # a second call replaces the first one's columns
        return (out.drop(replaced) if replaced else out).unnest(STRUCT_COLUMN)

    method = shielded(ind.name)(method)
    method.__name__ = method.__qualname__ = ind.name
    method.__signature__ = method_signature(ind)  # type: ignore[attr-defined]
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

    method = shielded(ind.name)(method)
    method.__name__ = method.__qualname__ = ind.name
    method.__doc__ = function.__doc__
    return method


class _Accessor:
    """``obj.kf``: a new namespace on each access, as Polars' own ``.str`` / ``.dt`` are made.

    Polars' registration stores the namespace on the object it was read from, and the namespace holds the object: a
    cycle that only the cyclic garbage collector frees. Chained frame methods (``df.kf.rsi(14).kf.macd(12, 26, 9)``)
    then kept their dead intermediate frames until a collection ran, about +100 MB on 100,000 rows.
    """

    def __init__(self, namespace: type) -> None:
        self._namespace = namespace

    def __get__(self, instance: Any, owner: type) -> Any:
        return self._namespace if instance is None else self._namespace(instance)


def _register(register: Callable[[str], Callable[[type], type]], owner: type) -> Callable[[type], type]:
    """Register the ``kf`` namespace with Polars (its checks and bookkeeping), then read it without the cycle."""

    def decorate(namespace: type) -> type:
        register("kf")(namespace)
        setattr(owner, "kf", _Accessor(namespace))
        return namespace

    return decorate


@_register(pl.api.register_expr_namespace, pl.Expr)
class ExprNamespace:
    """Technical-analysis indicators on an expression: ``pl.col("close").kf.rsi(14)``."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr


@_register(pl.api.register_series_namespace, pl.Series)
class SeriesNamespace:
    """Technical-analysis indicators on a Series: ``s.kf.sma(20)``."""

    def __init__(self, series: pl.Series) -> None:
        self._series = series


@_register(pl.api.register_dataframe_namespace, pl.DataFrame)
class DataFrameNamespace:
    """Indicators on a DataFrame, finding its OHLCV columns: ``df.kf.rsi(14)`` adds ``rsi_14``."""

    def __init__(self, df: pl.DataFrame) -> None:
        self._frame = df


@_register(pl.api.register_lazyframe_namespace, pl.LazyFrame)
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
