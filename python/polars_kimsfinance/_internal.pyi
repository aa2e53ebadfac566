# Types of the Rust extension module (src/lib.rs, src/bindings/*.rs): the functions the Python modules call.
# Keep in step with the #[pyfunction] signatures there.

from typing import Any

import polars as pl

__version__: str
# The engine names a call may ask for.
ENGINES: tuple[str, ...]
# The render option vocabularies (src/render/options.rs) and the image size limits.
KINDS: tuple[str, ...]
THEMES: tuple[str, ...]
FORMATS: tuple[str, ...]
SPEEDS: tuple[str, ...]
COLOR_KEYS: tuple[str, ...]
LINE_STYLES: tuple[str, ...]
MARKER_SHAPES: tuple[str, ...]
PANEL_LINE_KINDS: tuple[str, ...]
MIN_SIZE: int
MAX_SIZE: int

# ---- settings and engine selection (src/bindings/adapter.rs)
def _configure(options: dict[str, Any]) -> dict[str, Any]: ...
def _get_config() -> dict[str, Any]: ...
def _reset_config() -> None: ...
def _select_engine(engine: str | None = None, candles: int = 0, gpu_available: bool | None = None) -> str: ...
def _gpu_available() -> bool: ...

# ---- statistics (src/bindings/adapter.rs)
def _record_fallback() -> None: ...
def _track(op: str, latency_ns: int, rows: int = 0, bytes: int = 0, engine: str = "cpu") -> None: ...
def _performance_stats() -> dict[str, Any]: ...
def _reset_performance_stats() -> None: ...
def _stress(ops: int, threads: int = 1) -> int: ...
def _tracking_overhead_ns(n: int = 1_000_000) -> float: ...
def _allocator_is_polars() -> bool: ...
def _kernel_threads() -> int: ...

# ---- rendering (src/bindings/render.rs)
# (label, values, colour, style, on the second y axis, width in pixels or 0, on the volume panel)
_Line = tuple[str, pl.Series, str | None, str, bool, float, bool]
# (title, lines, histogram, reference levels,
#  (line kind, fixed y range, log scale, histogram bar width, histogram colour, histogram on the second axis))
_Panel = tuple[
    str,
    list[_Line],
    pl.Series | None,
    list[float],
    tuple[str, tuple[float, float] | None, bool, float | None, str | None, bool],
]
# (colour, width, style, label)
_Look = tuple[str | None, float, str, str | None]
# (hlines as (price, look), vlines as (row, look), alines as ([(row, price), ...], look), log_scale)
_Lines = tuple[list[tuple[float, _Look]], list[tuple[int, _Look]], list[tuple[list[tuple[int, float]], _Look]], bool]
# Keys: title_center, title_bold, ylabel, ylabel_lower, volume_exponent, last_price, legend, datetime_format,
# panel_ratios, subtitle, scale, yaxis ("left" | "right"), xrotation, xlabel, main_panel, volume_panel,
# volume_log_scale, mco_faceonly, lines (_Lines | None)
_Decor = dict[str, Any]
# (y1, y2, colour, alpha 0..255, label, panel "price" | "volume" | "<sub-panel index>")
_Fill = tuple[pl.Series, pl.Series, str | None, int, str | None, str]
# (prices, shape, size, colour, label)
_Marker = tuple[pl.Series, str, float, str | None, str | None]

def _gpu_info() -> dict[str, Any] | None: ...
def _render(
    kind: str,
    bars: tuple[pl.Series | None, pl.Series, pl.Series, pl.Series, pl.Series, pl.Series | None] | None = None,
    *,
    renko: tuple[pl.Series, float] | None = None,
    pnf: tuple[pl.Series, pl.Series, float, int] | None = None,
    overlays: list[_Line] = ...,
    panels: list[_Panel] = ...,
    width: int = 1920,
    height: int = 1080,
    theme: str = "modern",
    colors: dict[str, str] | None = None,
    volume: bool | None = True,
    antialias: bool = True,
    title: str | None = None,
    format: str = "png",
    speed: str = "fast",
    engine: str | None = None,
    decor: _Decor | None = None,
    brick_times: pl.Series | None = None,
    fills: list[_Fill] = ...,
    markers: list[_Marker] = ...,
    bar_colors: pl.Series | None = None,
) -> tuple[bytes, int, int, str, dict[str, Any]]: ...

# ---- batches of charts (src/bindings/batch.rs)
# (width, height, theme, colors, volume, antialias, title, format, speed, engine, (box_size, reversal), decor)
_ChartArg = tuple[
    int, int, str, dict[str, str] | None, bool | None, bool, str | None, str, str, str | None, tuple[float, int], _Decor
]

def _render_batch(
    kind: str,
    offsets: list[int],
    charts: list[_ChartArg],
    bars: tuple[pl.Series | None, pl.Series, pl.Series, pl.Series, pl.Series, pl.Series | None] | None = None,
    *,
    bricks: tuple[pl.Series, pl.Series | None] | None = None,
    brick_times: pl.Series | None = None,
    overlays: list[_Line] = ...,
    panels: list[_Panel] = ...,
    fills: list[_Fill] = ...,
    markers: list[_Marker] = ...,
    bar_colors: pl.Series | None = None,
    workers: int = 1,
    paths: list[str] | None = None,
) -> list[tuple[bytes | None, int, int, str, dict[str, Any]] | BaseException]: ...
def _decode_image(data: bytes) -> tuple[int, int, bytes]: ...
def _encode_png(rgba: bytes, width: int, height: int, speed: str = "fast") -> bytes: ...

# ---- bar transforms (src/bindings/transforms.rs)
def _resample_runs(keys: pl.Series, columns: list[pl.Series], aggs: list[str]) -> pl.DataFrame: ...
def _renko(close: pl.Series, box_size: float) -> pl.DataFrame: ...
def _three_line_break(close: pl.Series, lines: int) -> pl.DataFrame: ...
def _kagi(close: pl.Series, reversal: float, relative: bool) -> pl.DataFrame: ...
def _pnf(high: pl.Series, low: pl.Series, box_size: float, reversal: int) -> pl.DataFrame: ...
def _trade_bars(
    func: str, price: pl.Series, size: pl.Series | None, rule: str, threshold: float, include_partial: bool
) -> pl.DataFrame: ...
def _volume_profile(low: pl.Series, high: pl.Series, volume: pl.Series, bins: int) -> pl.DataFrame: ...

# ---- live streams (src/bindings/stream.rs)
class _Stream:
    def __init__(
        self, specs: list[tuple[str, dict[str, float], list[int]]], columns: int, timed: bool, meta: str
    ) -> None: ...
    def update(
        self,
        keys: pl.Series | None,
        times: pl.Series | None,
        columns: list[pl.Series],
        commit: bool,
        prefix: list[pl.Series],
        names: list[list[str]] | None,
        float32: list[bool],
    ) -> tuple[pl.DataFrame | None, tuple[int, str, int, int] | None]: ...
    def latest(
        self, key_name: str, int_keys: bool, time_name: str | None, names: list[list[str]], float32: list[bool]
    ) -> pl.DataFrame: ...
    def step(self, values: tuple[float, ...] | list[float], commit: bool) -> list[float]: ...
    def push1(self, value: float) -> float: ...
    def peek1(self, value: float) -> float: ...
    def newest(self) -> list[float]: ...
    def copy(self) -> _Stream: ...
    def snapshot(self) -> bytes: ...
    @staticmethod
    def restore(blob: bytes) -> _Stream: ...
    @property
    def meta(self) -> str: ...
    def key_count(self) -> int: ...
    def memory_bytes(self) -> int: ...
    def bytes_per_key(self) -> list[int]: ...

# ---- kernels on numpy buffers (src/bindings/arrays.rs)
class _Buffer:
    @property
    def __array_interface__(self) -> dict[str, Any]: ...

def _kernel_arrays(name: str, params: dict[str, float], inputs: list[int], len: int) -> list[_Buffer]: ...
