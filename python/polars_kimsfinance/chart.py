"""Charts: ``df.kf.render(...)`` and the image it returns."""

from __future__ import annotations
