"""DataFrame methods that produce new frames: bar transforms (renko, point-and-figure, kagi, three-line break,
tick / volume / range bars, resampling), the volume profile and Fibonacci retracements."""

from __future__ import annotations
