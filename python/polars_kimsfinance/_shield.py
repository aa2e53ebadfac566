"""Turns a panic raised inside Polars (or any Rust extension) into an ordinary exception naming our function.

A Rust panic reaches Python as ``PanicException``, which derives from ``BaseException``: ``except Exception`` in a
user's service would miss it. Polars panics on a few extreme inputs (``dt.truncate("1y")`` on a date near the end of
its range, for one), so every public function that runs Polars operations itself stands behind :func:`shielded`.
Our own extension never raises it: its entry points catch their panics (``src/bindings/guard.rs``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def is_panic(error: BaseException) -> bool:
    """Whether ``error`` is a Rust panic (each pyo3 extension has its own ``PanicException`` class)."""
    return type(error).__name__ == "PanicException"


def shielded(func: str) -> Callable[[F], F]:
    """Decorator: a panic in the wrapped call becomes ``ValueError("{func}: Polars failed on this input: ...")``."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except BaseException as error:
                if not is_panic(error):
                    raise
                message = str(error).strip() or "panic"
                raise ValueError(f"{func}: Polars failed on this input ({message})") from None

        return call  # type: ignore[return-value]

    return decorate
