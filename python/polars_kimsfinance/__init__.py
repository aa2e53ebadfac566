"""polars-kimsfinance: technical analysis and financial charts, native to Polars.

>>> import polars_kimsfinance as kf
>>> df = kf.sample_ohlcv(30)
>>> df.kf.rsi(14).select("close", "rsi_14").tail(1).shape
(1, 2)
"""

# Importing these modules registers the ``kf`` namespaces and their methods (chart adds ``df.kf.render``,
# transforms the frame-producing methods); the names are only needed for that side effect.
from . import _internal, chart, namespaces, stream, transforms  # noqa: F401
from .annotations import LINE_STYLES, MARKER_SHAPES
from .batch import iter_render, render_many
from .calibrate import calibrate_gpu
from .catalogue import BY_NAME, CATALOGUE
from .chart import ChartImage
from .data import load_sample, sample_ohlcv
from .functions import *  # noqa: F403
from .functions import FUNCTIONS
from .mplfinance import activate, deactivate, is_active
from .settings import config, configure, get_config, gpu_available, gpu_info, reset_config, select_engine
from .stats import get_performance_stats, record_fallback, reset_performance_stats
from .stream import Stream

# The one version source is Cargo.toml: the extension is compiled with it, and maturin writes it into the wheel.
__version__: str = _internal.__version__


def __getattr__(name: str) -> object:
    # ``kf.ray`` is imported on first use: it is the optional Ray integration, and importing the package must not
    # cost (or require) Ray.
    if name == "ray":
        import importlib

        return importlib.import_module(f"{__name__}.ray")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BY_NAME",
    "CATALOGUE",
    "ChartImage",
    "FUNCTIONS",
    "LINE_STYLES",
    "MARKER_SHAPES",
    "Stream",
    "activate",
    "calibrate_gpu",
    "config",
    "configure",
    "deactivate",
    "get_config",
    "get_performance_stats",
    "gpu_available",
    "gpu_info",
    "is_active",
    "iter_render",
    "load_sample",
    "record_fallback",
    "reset_config",
    "render_many",
    "reset_performance_stats",
    "sample_ohlcv",
    "select_engine",
    # The indicator functions, one per catalogue entry (the catalogue is their one list).
    *FUNCTIONS,
]
