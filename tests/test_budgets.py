"""Work and memory bounded by the request: sizes and counts are checked before any long loop or allocation.

Each case runs in a child process with a generous timeout, so a regression shows as a failure here instead of a
suite that never ends (the loops these guard against held the GIL: Ctrl-C could not stop them).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent / "python"


def run_child(code: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PYTHONPATH": str(PYTHON_DIR), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize(
    ("close", "box_size"),
    [([1e6, 1e6], 1e-300), ([1e6, 1e6 + 1e-9], 1e-20), ([1.8e19] * 1000, 1.0)],
    ids=["box-1e-300", "sub-resolution-step", "flat-at-1.8e19"],
)
def test_renko_box_below_the_price_resolution_fails_at_once(close: list[float], box_size: float) -> None:
    out = run_child(
        f"""
        import polars as pl, polars_kimsfinance as kf
        df = pl.DataFrame({{"close": {close!r}}})
        try:
            df.kf.renko({box_size!r})
        except ValueError as e:
            print(e)
        for kind in ("renko",):
            try:
                df.kf.render(kind, box_size={box_size!r}, width=400, height=300)
            except ValueError as e:
                print(e)
        """
    )
    lines = out.strip().splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith(f"renko: box_size {box_size!r}") and "resolution" in lines[0]
    assert lines[1].startswith("render: renko: box_size") and "resolution" in lines[1]


def test_renko_brick_budget_names_the_count() -> None:
    out = run_child(
        """
        import polars as pl, polars_kimsfinance as kf
        try:
            pl.DataFrame({"close": [0.0, 1e9]}).kf.renko(1.0)
        except ValueError as e:
            print(e)
        """
    )
    assert "1000000000 bricks, more than 10000000" in out


def test_volume_profile_at_the_maximum_bins_is_linear_in_bars_plus_bins() -> None:
    # 5,000 bars at the documented maximum of 10M bins took minutes (bars x bins); bars + bins now.
    out = run_child(
        """
        import numpy as np, polars as pl, polars_kimsfinance as kf
        rng = np.random.default_rng(1)
        low = rng.uniform(0, 100, 5000)
        df = pl.DataFrame({"low": low, "high": low + rng.uniform(0, 50, 5000), "volume": rng.uniform(1, 9, 5000)})
        p = df.kf.volume_profile(10_000_000)
        print(p.height, abs(p["volume"].sum() / df["volume"].sum() - 1) < 1e-9, p["volume"].min() >= 0)
        """,
        timeout=60,
    )
    assert out.split() == ["10000000", "True", "True"]


def test_volume_profile_matches_the_level_by_level_definition() -> None:
    import numpy as np
    import polars as pl

    import polars_kimsfinance  # noqa: F401  (registers df.kf)

    rng = np.random.default_rng(7)
    low = rng.uniform(10, 20, 300)
    high = low + rng.uniform(0, 3, 300)
    vol = rng.uniform(0, 100, 300)
    bins = 40
    p = pl.DataFrame({"low": low, "high": high, "volume": vol}).kf.volume_profile(bins)
    lo, hi = low.min(), high.max()
    width = (hi - lo) / bins
    want = np.zeros(bins)
    for a_price, b_price, v in zip(low, high, vol):
        a = min(max(int(np.floor((a_price - lo) / width)), 0), bins - 1)
        b = min(max(int(np.floor((b_price - lo) / width)), 0), bins - 1)
        want[a : b + 1] += v / (b - a + 1)
    np.testing.assert_allclose(p["volume"].to_numpy(), want, rtol=1e-9, atol=1e-9)


def test_a_window_far_longer_than_the_series_allocates_by_the_series() -> None:
    # The fuzz finding: rolling_min with window 2**33 sized its ring buffer by the window (64 GiB) before reading a
    # row. Every window parameter of every entry at 2**33 on three rows, with the child's address space capped a
    # couple of GiB above its warm state, must give what a window of 10**6 gives (both longer than the series).
    out = run_child(
        """
        import re, resource
        import polars as pl, polars_kimsfinance as kf

        df = pl.DataFrame({c: [1.0, 2.0, 3.0] for c in ("open", "high", "low", "close", "volume")})
        df = df.with_columns(session=pl.lit(0))

        def outcome(ind, param, window):
            try:
                out = df.select(kf.FUNCTIONS[ind.name](**{**ind.example_params, param: window}).alias("o"))
                return ("ok", out.unnest("o") if out.schema["o"] == pl.Struct else out)
            except (ValueError, TypeError, pl.exceptions.PolarsError) as e:
                # The same refusal either way, with the window's value in it (printed as it is)
                return ("error", re.sub(r"[0-9.e+]+", "N", str(e)))

        cases = [(ind, p.name) for ind in kf.CATALOGUE for p in ind.params if p.kind == "window"]
        for ind, param in cases:  # warm every kernel before the cap, so the cap measures the big windows only
            outcome(ind, param, 10**6)
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + (2 << 30), resource.RLIM_INFINITY))
        for ind, param in cases:
            small, big = outcome(ind, param, 10**6), outcome(ind, param, 2**33)
            same = small[0] == big[0] and (small[1] == big[1] if small[0] == "error" else small[1].equals(big[1]))
            print(ind.name, param, small[0], "same" if same else f"differs: {small!r} {big!r}")
        for name in ("rolling_min", "rolling_max"):
            got = pl.Series([1.0, 2.0, 3.0]).to_frame("close").select(getattr(kf, name)("close", 2**33))
            print(name, got.to_series().to_list())
        """,
        timeout=120,
    )
    lines = out.strip().splitlines()
    assert lines[-2:] == ["rolling_min [None, None, None]", "rolling_max [None, None, None]"], out
    cases = lines[:-2]
    assert len(cases) > 60, out
    assert all(line.endswith(" same") for line in cases), out


def test_image_sizes_are_checked_before_allocating() -> None:
    import struct
    import zlib

    from polars_kimsfinance import _internal

    # A PNG header claiming 100,000 x 100,000 RGBA pixels (40 GB decoded) is refused from the header alone.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    with pytest.raises(ValueError, match=r"decode_image: image of 100000x100000 pixels: at most 16384 a side"):
        _internal._decode_image(png)
    # An empty image is an error naming the size (width 0 divided by zero in the fast encoder: a fuzz finding).
    for width, height in [(0, 4), (4, 0)]:
        with pytest.raises(ValueError, match=rf"encode_png: width and height must be at least 1, got {width}x{height}"):
            _internal._encode_png(b"", width, height)
