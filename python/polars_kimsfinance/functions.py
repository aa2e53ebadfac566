"""Plain typed functions, one per catalogue entry: ``kf.rsi("close", 14)`` returns a ``pl.Expr``.

The functions are made from the catalogue (see ``catalogue/``) so that a parameter, a default or a docstring is
declared once; ``functions.pyi`` spells out their signatures for type checkers and IDEs.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Union

import polars as pl
from polars.plugins import register_plugin_function

from .catalogue import CATALOGUE
from .catalogue.spec import Indicator

#: A column name, an expression, or values: a Polars Series, a numpy array or a pandas Series.
IntoExpr = Union[pl.Expr, str, pl.Series, Any]
_LIB = Path(__file__).parent


def _is_array_like(value: object) -> bool:
    """A numpy array or a pandas Series: turned into a Polars Series (pandas is never imported for the check)."""
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray":
        return True
    return kind.__module__.startswith("pandas") and kind.__name__ == "Series"


def _to_expr(func: str, name: str, value: IntoExpr) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value
    if isinstance(value, str):
        return pl.col(value)
    if isinstance(value, pl.Series):
        return pl.lit(value)
    if _is_array_like(value):
        return pl.lit(pl.Series(name, value))
    raise TypeError(
        f"{func}: {name} must be a column name, expression, Series or array, got {type(value).__name__} {value!r}"
    )


def indicator_expr(ind: Indicator, inputs: dict[str, IntoExpr], values: dict[str, Any]) -> pl.Expr:
    """Validate parameters and build the plugin expression for ``ind`` (inputs keyed by the catalogue's names)."""
    params = ind.kernel_params(values)
    # The primary input goes first so the output is named after it, as Polars names expressions.
    args = (ind.primary, *ind.secondary)
    return register_plugin_function(
        plugin_path=_LIB,
        function_name="kf_indicator",
        args=[_to_expr(ind.name, name, inputs[name]) for name in args],
        kwargs={
            "name": ind.name,
            "params": params,
            "fields": list(ind.fields),
            "order": [args.index(name) for name in ind.inputs],
        },
        is_elementwise=False,
    )


def signature(ind: Indicator) -> inspect.Signature:
    """``(primary="close", <params in TA-Lib order>, *, <other inputs>)``."""
    P = inspect.Parameter
    params = [P(ind.primary, P.POSITIONAL_OR_KEYWORD, default=ind.primary, annotation="IntoExpr")]
    params += [P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default, annotation=p.annotation) for p in ind.params]
    params += [P(name, P.KEYWORD_ONLY, default=name, annotation="IntoExpr") for name in ind.secondary]
    return inspect.Signature(params, return_annotation="pl.Expr")


def docstring(ind: Indicator, *, inputs_doc: str = "column name or expression") -> str:
    lines = [ind.summary, ""]
    if ind.description:
        lines += [ind.description.strip(), ""]
    lines += ["Parameters", "----------"]
    for name in (ind.primary, *ind.secondary):
        lines += [f"{name} : str | pl.Expr, default {name!r}", f"    The {name} {inputs_doc}."]
    for p in ind.params:
        lines += [f"{p.name} : {p.annotation}, default {p.default!r}", f"    {p.doc}"]
    lines += ["", "Returns", "-------", "pl.Expr"]
    if len(ind.fields) == 1:
        lines += ["    Float64 (Float32 when every input is Float32); warm-up rows and missing bars are null."]
    else:
        lines += [f"    A struct with fields {', '.join(ind.fields)}; unnest it or use ``df.kf.{ind.name}``."]
    notes = ["Rows with a null or NaN input are missing bars: their output is null and the kernel skips them."]
    if ind.talib:
        notes.insert(0, f"Equals TA-Lib's ``{ind.talib}`` (same values and warm-up rows, which are null here).")
    lines += ["", "Notes", "-----", *notes]
    if ind.example:
        lines += ["", "Examples", "--------", ind.example.strip("\n")]
    return "\n".join(lines) + "\n"


def make_function(ind: Indicator) -> Callable[..., pl.Expr]:
    sig = signature(ind)

    def function(*args: Any, **kwargs: Any) -> pl.Expr:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{ind.name}: {e}") from None
        bound.apply_defaults()
        values = bound.arguments
        return indicator_expr(ind, {name: values[name] for name in ind.inputs}, values)

    function.__name__ = function.__qualname__ = ind.name
    function.__module__ = __name__
    function.__signature__ = sig  # type: ignore[attr-defined]
    function.__doc__ = docstring(ind)
    return function


FUNCTIONS: dict[str, Callable[..., pl.Expr]] = {ind.name: make_function(ind) for ind in CATALOGUE}
globals().update(FUNCTIONS)
__all__ = sorted(FUNCTIONS)
