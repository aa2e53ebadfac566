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
# (label, values, colour)
_Line = tuple[str, pl.Series, str | None]

def _gpu_info() -> dict[str, Any] | None: ...
def _render(
    kind: str,
    bars: tuple[pl.Series | None, pl.Series, pl.Series, pl.Series, pl.Series, pl.Series | None] | None = None,
    *,
    renko: tuple[pl.Series, float] | None = None,
    pnf: tuple[pl.Series, pl.Series, float, int] | None = None,
    overlays: list[_Line] = ...,
    panels: list[tuple[str, list[_Line], pl.Series | None]] = ...,
    width: int = 1920,
    height: int = 1080,
    theme: str = "modern",
    colors: dict[str, str] | None = None,
    volume: bool = True,
    antialias: bool = True,
    title: str | None = None,
    format: str = "png",
    speed: str = "fast",
    engine: str | None = None,
) -> tuple[bytes, int, int, str, dict[str, Any]]: ...

class _Chart:
    """One chart's arguments for _render_batch_gpu: exactly _render's."""

    def __init__(
        self,
        kind: str,
        bars: tuple[pl.Series | None, pl.Series, pl.Series, pl.Series, pl.Series, pl.Series | None] | None = None,
        *,
        renko: tuple[pl.Series, float] | None = None,
        pnf: tuple[pl.Series, pl.Series, float, int] | None = None,
        overlays: list[_Line] = ...,
        panels: list[tuple[str, list[_Line], pl.Series | None]] = ...,
        width: int = 1920,
        height: int = 1080,
        theme: str = "modern",
        colors: dict[str, str] | None = None,
        volume: bool = True,
        antialias: bool = True,
        title: str | None = None,
        format: str = "png",
        speed: str = "fast",
        engine: str | None = None,
    ) -> None: ...

def _render_batch_gpu(
    charts: list[_Chart],
) -> list[tuple[bytes, int, int, str, dict[str, Any]] | Exception]: ...
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
