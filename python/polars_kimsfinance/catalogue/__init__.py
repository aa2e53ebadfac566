"""The indicator catalogue: every indicator declared once, grouped by family."""

from __future__ import annotations

from . import averages, channels, levels, momentum, rolling, trend, volatility, volume
from .spec import OHLCV, Indicator, Param

CATALOGUE: tuple[Indicator, ...] = tuple(
    Indicator(**{**ind.__dict__, "family": module.__name__.rsplit(".", 1)[-1]})
    for module in (rolling, averages, momentum, trend, volatility, channels, volume, levels)
    for ind in module.INDICATORS
)
BY_NAME: dict[str, Indicator] = {ind.name: ind for ind in CATALOGUE}

__all__ = ["BY_NAME", "CATALOGUE", "OHLCV", "Indicator", "Param"]
