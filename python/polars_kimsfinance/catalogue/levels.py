"""Levels indicators."""

from __future__ import annotations

from .spec import Indicator

INDICATORS: list[Indicator] = []
