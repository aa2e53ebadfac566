"""polars-kimsfinance: technical analysis and financial charts, native to Polars.

>>> import polars_kimsfinance as kf
>>> df = kf.sample_ohlcv(30)
>>> df.kf.rsi(14).select("close", "rsi_14").tail(1).shape
(1, 2)
"""

from __future__ import annotations

from . import chart as _chart  # adds df.kf.render
from . import namespaces as _namespaces  # registers the ``kf`` namespaces
from . import transforms as _transforms  # adds the frame-producing DataFrame methods
from .adapter import __all__ as _adapter_all
from .adapter import (
    _track,
    activate,
    calibrate_gpu,
    config,
    configure,
    deactivate,
    get_config,
    get_performance_stats,
    gpu_available,
    gpu_info,
    is_active,
    record_fallback,
    reset_config,
    reset_performance_stats,
    select_engine,
)
from .catalogue import BY_NAME, CATALOGUE
from .data import load_sample, sample_ohlcv
from .functions import *  # noqa: F403
from .functions import FUNCTIONS

__version__ = "0.1.0"

__all__ = ["BY_NAME", "CATALOGUE", "FUNCTIONS", "load_sample", "sample_ohlcv", *_adapter_all, *FUNCTIONS]
del _namespaces, _transforms, _chart
