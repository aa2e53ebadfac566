"""Frame-producing transforms (resampling, renko, point and figure, kagi, three-line break, trade bars, volume
profile, Fibonacci retracements) against straightforward loop references written here, on the real data in
the bundled real data (tests/data) and seeded random walks with missing values, plus edge cases."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from reference import DATA_DIR, random_walk, shared_frames, with_missing

import polars_kimsfinance as kf
from polars_kimsfinance import _internal, transforms
from polars_kimsfinance.columns import median_atr

FRAMES = shared_frames()
NAMES = sorted(FRAMES)


def _ok(x) -> bool:
    return x is not None and math.isfinite(x)


def _values(df: pl.DataFrame, name: str) -> list:
    return df[name].cast(pl.Float64).to_list()


def _walk_with_missing(seed: int, n: int = 1500) -> pl.DataFrame:
    return with_missing(random_walk(n, seed), seed, fraction=0.06)


def _dated(name: str) -> pl.DataFrame:
    """A real file with its time column parsed (named ``date``) in chronological order."""
    df = pl.read_csv(DATA_DIR / f"{name}.csv", infer_schema_length=10000)
    df = df.rename({c: c.lower() for c in df.columns})
    if "time" in df.columns:
        df = df.rename({"time": "date", "last": "close"}).reverse()
    fmt = "%m/%d/%Y %H:%M" if name.startswith("SP500") else ("%m/%d/%Y" if name.startswith("jpy") else "%Y-%m-%d")
    return df.select(
        pl.col("date").str.strptime(pl.Datetime("us"), fmt),
        *[pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")],
    )


def _frames_equal(got: pl.DataFrame, expected: dict, label: str, rtol: float = 1e-12) -> None:
    assert got.height == len(next(iter(expected.values()))), f"{label}: {got.height} rows"
    for name, values in expected.items():
        col = got[name].to_list()
        if got[name].dtype.is_float():
            np.testing.assert_allclose(
                np.array(col, dtype=float), np.array(values, dtype=float), rtol=rtol, atol=0, err_msg=f"{label}: {name}"
            )
        else:
            assert col == list(values), f"{label}: {name}"


# ---------------------------------------------------------------------------------------------------------------
# References.


def ref_resample(times: list, keys: list, columns: dict[str, tuple[list, str]]) -> dict:
    out: dict[str, list] = {"date": [], **{n: [] for n in columns}}
    i = 0
    while i < len(keys):
        j = i
        while j < len(keys) and keys[j] == keys[i]:
            j += 1
        out["date"].append(keys[i])
        for name, (values, agg) in columns.items():
            valid = [v for v in values[i:j] if _ok(v)]
            if not valid:
                out[name].append(None)
            elif agg == "first":
                out[name].append(valid[0])
            elif agg == "last":
                out[name].append(valid[-1])
            elif agg == "max":
                out[name].append(max(valid))
            elif agg == "min":
                out[name].append(min(valid))
            else:
                out[name].append(math.fsum(valid))
        i = j
    return out


def ref_renko(close: list, box: float) -> list[tuple]:
    points = [(i, c) for i, c in enumerate(close) if _ok(c)]
    out: list[tuple] = []
    if not points:
        return out
    a = points[0][1]

    def lvl(j):
        return a + j * box

    k, d = 0, 0
    for i, p in points[1:]:
        if d >= 0 and p >= lvl(k + 1):
            while p >= lvl(k + 1):
                out.append((i, lvl(k), lvl(k + 1), 1))
                k += 1
            d = 1
        elif d <= 0 and p <= lvl(k - 1):
            while p <= lvl(k - 1):
                out.append((i, lvl(k), lvl(k - 1), -1))
                k -= 1
            d = -1
        elif d == 1 and p <= lvl(k - 2):
            k -= 1
            while p <= lvl(k - 1):
                out.append((i, lvl(k), lvl(k - 1), -1))
                k -= 1
            d = -1
        elif d == -1 and p >= lvl(k + 2):
            k += 1
            while p >= lvl(k + 1):
                out.append((i, lvl(k), lvl(k + 1), 1))
                k += 1
            d = 1
    return out


def ref_three_line_break(close: list, n: int) -> list[tuple]:
    points = [(i, c) for i, c in enumerate(close) if _ok(c)]
    out: list[tuple] = []
    if not points:
        return out
    start = points[0][1]
    for i, p in points[1:]:
        if not out:
            if p != start:
                out.append((i, start, p, 1 if p > start else -1))
            continue
        _, o, c, d = out[-1]
        recent = out[-n:]
        if d == 1:
            if p > c:
                out.append((i, c, p, 1))
            elif p < min(min(r[1], r[2]) for r in recent):
                out.append((i, o, p, -1))
        else:
            if p < c:
                out.append((i, c, p, -1))
            elif p > max(max(r[1], r[2]) for r in recent):
                out.append((i, o, p, 1))
    return out


def ref_kagi(close: list, reversal: float, relative: bool) -> list[tuple]:
    points = [(i, c) for i, c in enumerate(close) if _ok(c)]
    if not points:
        return []

    def amount(x):
        return reversal * abs(x) if relative else reversal

    b0, p0 = points[0]
    rows = [[b0, p0, 0, None]]
    ext, ext_bar, d, thick = p0, b0, 0, None
    tops, bottoms = [], []
    for i, p in points[1:]:
        if d == 0:
            if p > ext and p - ext >= amount(ext):
                d, thick = 1, "yang"
            elif p < ext and ext - p >= amount(ext):
                d, thick = -1, "yin"
            else:
                continue
            rows[0][3] = thick
            ext, ext_bar = p, i
        elif d == 1:
            if p > ext:
                ext, ext_bar = p, i
                if tops and p > tops[-1]:
                    thick = "yang"
            elif p < ext and ext - p >= amount(ext):
                rows.append([ext_bar, ext, 1, thick])
                tops.append(ext)
                ext, ext_bar, d = p, i, -1
                if bottoms and p < bottoms[-1]:
                    thick = "yin"
        else:
            if p < ext:
                ext, ext_bar = p, i
                if bottoms and p < bottoms[-1]:
                    thick = "yin"
            elif p > ext and p - ext >= amount(ext):
                rows.append([ext_bar, ext, -1, thick])
                bottoms.append(ext)
                ext, ext_bar, d = p, i, 1
                if tops and p > tops[-1]:
                    thick = "yang"
    if d != 0:
        rows.append([ext_bar, ext, d, thick])
    return [tuple(r) for r in rows]


def ref_pnf(high: list, low: list, box: float, r: int) -> list[tuple]:
    cols: list[list] = []  # [kind, top, bottom, start, end]
    first = None
    for i, (h, lo) in enumerate(zip(high, low)):
        if not (_ok(h) and _ok(lo)):
            continue
        hb, lb = math.floor(h / box), math.ceil(lo / box)
        if not cols:
            if first is None:
                first = [hb, lb, i]
                up = down = True
            else:
                up, down = hb > first[0], lb < first[1]
                first[0], first[1] = max(first[0], hb), min(first[1], lb)
            if first[0] - first[1] >= r:
                cols.append(["X" if up or not down else "O", first[0], first[1], first[2], i])
            continue
        col = cols[-1]
        if col[0] == "X":
            if hb > col[1]:
                col[1], col[4] = hb, i
            elif lb <= col[1] - r:
                cols.append(["O", col[1] - 1, lb, i, i])
        else:
            if lb < col[2]:
                col[2], col[4] = lb, i
            elif hb >= col[2] + r:
                cols.append(["X", hb, col[2] + 1, i, i])
    return [(n, k, t * box, b * box, t - b + 1, s, e) for n, (k, t, b, s, e) in enumerate(cols)]


def ref_trade_bars(price: list, size: list | None, rule: str, thr: float, partial: bool = True) -> list[dict]:
    out, cur = [], None
    for i, p in enumerate(price):
        s = 0.0 if size is None else size[i]
        if not (_ok(p) and _ok(s)):
            continue
        if cur is None:
            cur = {"first_row": i, "open": p, "high": p, "low": p, "volume": 0.0, "trades": 0}
        cur["last_row"], cur["close"] = i, p
        cur["high"], cur["low"] = max(cur["high"], p), min(cur["low"], p)
        cur["volume"] += s
        cur["trades"] += 1
        if (
            (rule == "ticks" and cur["trades"] >= thr)
            or (rule == "volume" and cur["volume"] >= thr)
            or (rule == "range" and cur["high"] - cur["low"] >= thr)
        ):
            out.append(cur)
            cur = None
    if cur is not None and partial:
        out.append(cur)
    return out


def ref_volume_profile(low: list, high: list, volume: list, bins: int) -> dict:
    rows = [(min(a, b), max(a, b), v) for a, b, v in zip(low, high, volume) if _ok(a) and _ok(b) and _ok(v)]
    if not rows:
        return {"price_low": [], "price_high": [], "volume": [], "is_poc": []}
    lo, hi = min(r[0] for r in rows), max(r[1] for r in rows)
    if hi == lo:
        bins = 1
    width = (hi - lo) / bins

    def index(x):
        return 0 if bins == 1 else min(max(int(math.floor((x - lo) / width)), 0), bins - 1)

    vols = [0.0] * bins
    for a, b, v in rows:
        i, j = index(a), index(b)
        for k in range(i, j + 1):
            vols[k] += v / (j - i + 1)
    edges_lo = [lo + k * width for k in range(bins)]
    edges_hi = [lo + (k + 1) * width for k in range(bins - 1)] + [hi]
    poc = [False] * bins
    if max(vols) > 0:
        poc[int(np.argmax(vols))] = True
    return {"price_low": edges_lo, "price_high": edges_hi, "volume": vols, "is_poc": poc}


def ref_median_atr(high: list, low: list, close: list, n: int = 14) -> float:
    pts = [(h, lo, c) for h, lo, c in zip(high, low, close) if _ok(h) and _ok(lo) and _ok(c)]
    tr = [max(h, pc) - min(lo, pc) for (h, lo, _), (_, _, pc) in zip(pts[1:], pts[:-1])]
    atr = [sum(tr[:n]) / n]
    for t in tr[n:]:
        atr.append((atr[-1] * (n - 1) + t) / n)
    return float(np.median(atr))


# ---------------------------------------------------------------------------------------------------------------
# Resampling.


@pytest.mark.parametrize(
    "name, every, floor",
    [
        ("SP500_NOV2019_IDay", "15m", lambda t: t.replace(minute=t.minute - t.minute % 15)),
        ("SP500_NOV2019_IDay", "1h", lambda t: t.replace(minute=0)),
        ("yahoofinance-SPY-20080101-20180101", "1w", lambda t: t - timedelta(days=t.weekday())),
        ("jpyusd_barchartdotcom", "1w", lambda t: t - timedelta(days=t.weekday())),
    ],
)
@pytest.mark.parametrize("missing", [False, True])
def test_ohlc_resample_matches_reference(name, every, floor, missing):
    df = _dated(name)
    if missing:
        df = df.select("date").hstack(with_missing(df.drop("date"), 5, fraction=0.1))
    before = df.clone()
    got = df.kf.ohlc_resample(every)
    assert df.equals(before)
    times = df["date"].to_list()
    keys = [floor(t) for t in times]
    aggs = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    expected = ref_resample(times, keys, {c: (_values(df, c), a) for c, a in aggs.items()})
    assert got.columns == ["date", "open", "high", "low", "close", "volume"]
    assert got["date"].to_list() == expected.pop("date")
    for c, values in expected.items():
        col = got[c].to_list()
        assert [v is None for v in col] == [v is None for v in values], c
        assert [v for v in col if v is not None] == pytest.approx([v for v in values if v is not None], rel=1e-12), c


def test_ohlc_resample_details():
    df = pl.DataFrame(
        {
            "Time": [datetime(2024, 1, 1, 9, m) for m in (0, 10, 20, 40, 50)] + [None],
            "Open": pl.Series([1.0, None, 2.0, 3.0, 4.0, 9.0], dtype=pl.Float32),
            "High": [2.0, 5.0, None, 4.0, float("nan"), 9.0],
            "Low": [0.5, 1.0, 1.5, None, None, 9.0],
            "Close": [1.5, 2.5, None, 3.5, 4.5, 9.0],
            "Vol": [10, 20, 30, 40, 50, 60],
        }
    )
    out = df.kf.ohlc_resample("30m", volume="Vol")
    assert out.columns == ["Time", "Open", "High", "Low", "Close", "Vol"]
    assert out.schema["Open"] == pl.Float32 and out.schema["Vol"] == pl.Int64
    assert out.rows() == [
        (datetime(2024, 1, 1, 9, 0), 1.0, 5.0, 0.5, 2.5, 60),
        (datetime(2024, 1, 1, 9, 30), 3.0, 4.0, None, 4.5, 90),
    ]
    no_volume = df.drop("Vol").kf.ohlc_resample("1h")
    assert no_volume.columns == ["Time", "Open", "High", "Low", "Close"] and no_volume.height == 1
    # A Date column and a LazyFrame.
    days = kf.sample_ohlcv(20).with_columns(pl.col("date").cast(pl.Date))
    lazy = days.lazy().kf.ohlc_resample("1w")
    assert lazy.equals(days.kf.ohlc_resample("1w")) and lazy.schema["date"] == pl.Date
    empty = days.clear().kf.ohlc_resample("1d")
    assert empty.height == 0 and empty.columns == days.columns
    with pytest.raises(ValueError, match="ohlc_resample: every"):
        days.kf.ohlc_resample("fortnight")
    with pytest.raises(ValueError, match="ohlc_resample: every"):
        days.kf.ohlc_resample("")
    for zero in ("0h", "0mo", "0ns", "0d0h"):
        # a zero duration would hand the input back unchanged
        with pytest.raises(ValueError, match=f"ohlc_resample: every must be a positive duration, got '{zero}'"):
            days.kf.ohlc_resample(zero)
    assert days.kf.ohlc_resample("0d1w").equals(days.kf.ohlc_resample("1w"))
    with pytest.raises(ValueError, match="sorted"):
        days.reverse().kf.ohlc_resample("1w")
    with pytest.raises(ValueError, match="no time column"):
        days.drop("date").kf.ohlc_resample("1w")
    with pytest.raises(ValueError, match="expected Date or Datetime"):
        days.with_columns(pl.col("date").cast(pl.Int64)).kf.ohlc_resample("1w", time="date")


# ---------------------------------------------------------------------------------------------------------------
# Renko, three-line break, kagi, point and figure.


def _box(df: pl.DataFrame, fraction: float = 0.5) -> float:
    return fraction * ref_median_atr(_values(df, "high"), _values(df, "low"), _values(df, "close"))


@pytest.mark.parametrize("name", NAMES)
def test_renko_matches_reference_on_real_data(name):
    df = FRAMES[name]
    box = _box(df)
    got = df.kf.renko(box)
    expected = ref_renko(_values(df, "close"), box)
    assert got.height == len(expected) > 0
    assert got.rows() == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_renko_with_missing_values(seed):
    df = _walk_with_missing(seed)
    for box in (0.3, 1.0, 2.5):
        assert df.kf.renko(box).rows() == ref_renko(_values(df, "close"), box)


def test_renko_default_box_is_three_quarters_of_median_atr():
    df = FRAMES["yahoofinance-SPY-20080101-20180101"]
    median = median_atr("renko", df, None, None, None)
    assert median == pytest.approx(_box(df, 1.0), rel=1e-9)
    assert df.kf.renko().equals(df.kf.renko(0.75 * median))
    with pytest.raises(ValueError, match="renko: cannot derive"):
        df.head(10).kf.renko()
    with pytest.raises(ValueError, match="renko: cannot derive"):
        pl.DataFrame({"high": [1.0] * 30, "low": [1.0] * 30, "close": [1.0] * 30}).kf.renko()


def test_renko_keeps_time_and_output_shape():
    df = kf.sample_ohlcv(200)
    out = df.kf.renko(2.0)
    assert out.columns == ["bar", "date", "open", "close", "direction"]
    assert out.schema["direction"] == pl.Int8
    assert out["date"].to_list() == df["date"].gather(out["bar"]).to_list()
    assert set(out["direction"].to_list()) <= {1, -1}
    assert (out["close"] - out["open"]).abs().to_list() == pytest.approx([2.0] * out.height)
    assert df.lazy().kf.renko(2.0).equals(out)
    assert df.kf.renko(2.0, time="date").equals(out)
    f32 = df.with_columns(pl.col("close").cast(pl.Float32)).kf.renko(2.0).drop("date")
    assert f32.rows() == ref_renko(df["close"].cast(pl.Float32).cast(pl.Float64).to_list(), 2.0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lines", [1, 2, 3, 5])
def test_three_line_break_matches_reference(name, lines):
    df = FRAMES[name]
    assert df.kf.three_line_break(lines).rows() == ref_three_line_break(_values(df, "close"), lines)


@pytest.mark.parametrize("seed", [1, 2])
def test_three_line_break_with_missing_values(seed):
    df = _walk_with_missing(seed)
    assert df.kf.three_line_break().rows() == ref_three_line_break(_values(df, "close"), 3)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("reversal, mode", [(0.04, "percent"), (0.01, "percent"), (None, "absolute")])
def test_kagi_matches_reference(name, reversal, mode):
    df = FRAMES[name]
    amount = reversal if reversal is not None else _box(df, 1.0)
    got = df.kf.kagi(reversal, mode=mode)
    expected = ref_kagi(_values(df, "close"), amount, mode == "percent")
    assert got.columns == ["bar", "price", "direction", "thickness"]
    assert [r[:3] for r in got.rows()] == [r[:3] for r in expected]
    assert got["thickness"].to_list() == [r[3] for r in expected]


@pytest.mark.parametrize("seed", [1, 2])
def test_kagi_with_missing_values(seed):
    df = _walk_with_missing(seed)
    assert df.kf.kagi().rows() == ref_kagi(_values(df, "close"), 0.04, True)
    assert df.kf.kagi(1.5, mode="absolute").rows() == ref_kagi(_values(df, "close"), 1.5, False)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("source, reversal", [("hl", 3), ("close", 3), ("hl", 1), ("close", 2)])
def test_pnf_matches_reference(name, source, reversal):
    df = FRAMES[name]
    box = _box(df, 1.0)
    got = df.kf.pnf(box, reversal, source=source)
    h, lo = ("high", "low") if source == "hl" else ("close", "close")
    expected = ref_pnf(_values(df, h), _values(df, lo), box, reversal)
    assert got.columns == ["column", "kind", "top", "bottom", "boxes", "start_bar", "end_bar"]
    assert got.height == len(expected) > 0
    assert got.rows() == expected


def test_pnf_defaults_and_missing_values():
    df = _walk_with_missing(4)
    median = ref_median_atr(_values(df, "high"), _values(df, "low"), _values(df, "close"))
    got = df.kf.pnf()
    assert got.height > 3
    for col, exp in zip(got.rows(), ref_pnf(_values(df, "high"), _values(df, "low"), median, 3)):
        assert col[:2] == exp[:2] and col[4:] == exp[4:]
        assert col[2:4] == pytest.approx(exp[2:4], rel=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# Trade bars.


def _trades(name: str) -> pl.DataFrame:
    """Closes of a real file as a trade tape, sizes from its volume (or seeded random when it has none)."""
    df = FRAMES[name]
    size = df["volume"]
    if size.fill_null(0).sum() == 0:
        size = pl.Series(np.random.default_rng(3).integers(1, 100, df.height)).cast(pl.Float64)
    return pl.DataFrame(
        {
            "timestamp": [datetime(2024, 1, 1) + timedelta(seconds=i) for i in range(df.height)],
            "price": df["close"],
            "size": size.alias("size"),
        }
    )


def _check_trade_bars(got: pl.DataFrame, expected: list[dict], trades: pl.DataFrame, label: str) -> None:
    assert got.height == len(expected), label
    for key in ("first_row", "last_row", "trades"):
        assert got[key].to_list() == [e[key] for e in expected], f"{label}: {key}"
    for key in ("open", "high", "low", "close", "volume"):
        if key in got.columns:
            assert got[key].to_list() == pytest.approx([e[key] for e in expected], rel=1e-12), f"{label}: {key}"
    if "timestamp" in got.columns:
        assert got["timestamp"].to_list() == trades["timestamp"].gather(got["first_row"]).to_list()
        assert got["timestamp_end"].to_list() == trades["timestamp"].gather(got["last_row"]).to_list()


@pytest.mark.parametrize("name", NAMES)
def test_trade_bars_match_reference(name):
    trades = _trades(name)
    price, size = _values(trades, "price"), _values(trades, "size")
    _check_trade_bars(trades.kf.tick_bars(7), ref_trade_bars(price, size, "ticks", 7), trades, "ticks")
    _check_trade_bars(
        trades.kf.tick_bars(7, include_partial=False), ref_trade_bars(price, size, "ticks", 7, False), trades, "ticks"
    )
    threshold = float(np.median(size)) * 10
    _check_trade_bars(
        trades.kf.volume_bars(threshold), ref_trade_bars(price, size, "volume", threshold), trades, "volume"
    )
    rng = float(np.nanstd(np.diff(price))) * 3
    _check_trade_bars(trades.kf.range_bars(rng), ref_trade_bars(price, size, "range", rng), trades, "range")


@pytest.mark.parametrize("seed", [1, 2])
def test_trade_bars_with_missing_values(seed):
    rng = np.random.default_rng(seed)
    trades = with_missing(
        pl.DataFrame({"Price": 100 + np.cumsum(rng.normal(0, 0.1, 3000)), "Volume": rng.integers(1, 50, 3000) * 1.0}),
        seed,
        fraction=0.1,
    )
    price, size = _values(trades, "Price"), _values(trades, "Volume")
    _check_trade_bars(trades.kf.tick_bars(10), ref_trade_bars(price, size, "ticks", 10), trades, "ticks")
    _check_trade_bars(trades.kf.volume_bars(200), ref_trade_bars(price, size, "volume", 200), trades, "volume")
    _check_trade_bars(trades.kf.range_bars(0.5), ref_trade_bars(price, size, "range", 0.5), trades, "range")
    no_size = trades.drop("Volume")
    got = no_size.kf.range_bars(0.5)
    assert "volume" not in got.columns
    _check_trade_bars(got, ref_trade_bars(price, None, "range", 0.5), no_size, "range without size")
    with pytest.raises(ValueError, match="volume_bars: no 'size'"):
        no_size.kf.volume_bars(10)


# ---------------------------------------------------------------------------------------------------------------
# Volume profile and Fibonacci retracements.


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bins", [1, 7, 24])
def test_volume_profile_matches_reference(name, bins):
    df = FRAMES[name]
    got = df.kf.volume_profile(bins)
    expected = ref_volume_profile(_values(df, "low"), _values(df, "high"), _values(df, "volume"), bins)
    assert got.columns == ["price_low", "price_high", "price", "volume", "is_poc"]
    _frames_equal(got, expected, f"{name} bins={bins}", rtol=1e-9)
    assert got["price"].to_list() == pytest.approx(((got["price_low"] + got["price_high"]) / 2).to_list())
    assert got["volume"].sum() == pytest.approx(df["volume"].sum(), rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_volume_profile_with_missing_values(seed):
    df = _walk_with_missing(seed)
    expected = ref_volume_profile(_values(df, "low"), _values(df, "high"), _values(df, "volume"), 30)
    _frames_equal(df.kf.volume_profile(30), expected, "missing", rtol=1e-9)


def _flat(rows: list[tuple]) -> list[float]:
    return [v for row in rows for v in row]


def ref_fibonacci(high: list, low: list, levels) -> list[tuple]:
    hs = [(v, i) for i, v in enumerate(high) if _ok(v)]
    ls = [(v, i) for i, v in enumerate(low) if _ok(v)]
    if not hs or not ls:
        return []
    top = max(v for v, _ in hs)
    bottom = min(v for v, _ in ls)
    i_top = min(i for v, i in hs if v == top)
    i_bottom = min(i for v, i in ls if v == bottom)
    span = top - bottom
    return [(float(r), top - r * span if i_top >= i_bottom else bottom + r * span) for r in levels]


@pytest.mark.parametrize("name", NAMES)
def test_fibonacci_retracement_matches_reference(name):
    df = FRAMES[name]
    got = df.kf.fibonacci_retracement()
    expected = ref_fibonacci(_values(df, "high"), _values(df, "low"), (0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0))
    assert got.columns == ["level", "price"]
    assert _flat(got.rows()) == pytest.approx(_flat(expected))
    half = df.head(df.height // 3)
    assert _flat(half.kf.fibonacci_retracement([0.5, 1.618]).rows()) == pytest.approx(
        _flat(ref_fibonacci(_values(half, "high"), _values(half, "low"), [0.5, 1.618]))
    )


def test_fibonacci_direction_and_missing_values():
    down = pl.DataFrame({"high": [120.0, 110.0, None], "low": [110.0, 100.0, float("nan")]})
    assert down.kf.fibonacci_retracement([0, 0.5, 1]).rows() == [(0.0, 100.0), (0.5, 110.0), (1.0, 120.0)]
    df = _walk_with_missing(6)
    assert _flat(df.kf.fibonacci_retracement().rows()) == pytest.approx(
        _flat(ref_fibonacci(_values(df, "high"), _values(df, "low"), transforms._FIB_LEVELS))
    )
    with pytest.raises(ValueError, match="fibonacci_retracement: levels"):
        df.kf.fibonacci_retracement(levels=[0.5, float("nan")])
    with pytest.raises(ValueError, match="fibonacci_retracement: levels"):
        df.kf.fibonacci_retracement(levels="0.5")


# ---------------------------------------------------------------------------------------------------------------
# Edge cases common to all transforms.


def _call_all(df: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {
        "renko": df.kf.renko(1.0),
        "pnf": df.kf.pnf(1.0),
        "kagi": df.kf.kagi(),
        "three_line_break": df.kf.three_line_break(),
        "volume_profile": df.kf.volume_profile(),
        "fibonacci_retracement": df.kf.fibonacci_retracement(),
        "tick_bars": df.kf.tick_bars(3, price="close", size="volume"),
        "volume_bars": df.kf.volume_bars(10.0, price="close", size="volume"),
        "range_bars": df.kf.range_bars(1.0, price="close", size="volume"),
    }


def test_empty_frame_gives_empty_results():
    df = random_walk(10, 1).clear()
    for name, out in _call_all(df).items():
        assert out.height == 0, name
    assert df.kf.renko(1.0).columns == ["bar", "open", "close", "direction"]


def test_all_missing_gives_empty_results():
    df = random_walk(10, 1).select(pl.all().cast(pl.Float64) * None)
    for name, out in _call_all(df).items():
        assert out.height == 0, name


def test_flat_prices():
    df = pl.DataFrame({c: [5.0] * 40 for c in ("open", "high", "low", "close")}).with_columns(volume=pl.lit(2.0))
    out = _call_all(df)
    for name in ("renko", "pnf", "three_line_break"):
        assert out[name].height == 0, name
    assert out["kagi"].rows() == [(0, 5.0, 0, None)]
    assert out["volume_profile"].rows() == [(5.0, 5.0, 5.0, 80.0, True)]
    assert out["fibonacci_retracement"]["price"].to_list() == [5.0] * 7
    assert out["tick_bars"].height == 14 and out["range_bars"].height == 1
    assert out["volume_bars"]["trades"].to_list() == [5] * 8


def test_callers_frame_is_not_modified():
    df = with_missing(random_walk(300, 9), 9).with_columns(
        date=pl.datetime_range(datetime(2024, 1, 1), datetime(2024, 1, 1) + timedelta(hours=299), "1h", eager=True)
    )
    before = df.clone()
    _call_all(df)
    df.kf.ohlc_resample("1d")
    df.kf.renko()
    assert df.equals(before)


def test_lazyframe_methods_equal_dataframe_methods():
    df = kf.sample_ohlcv(300).with_columns(extra=pl.lit("x"))
    lf = df.lazy()
    assert lf.kf.pnf(2.0).equals(df.kf.pnf(2.0))
    assert lf.kf.kagi().equals(df.kf.kagi())
    assert lf.kf.three_line_break().equals(df.kf.three_line_break())
    assert lf.kf.volume_profile(12).equals(df.kf.volume_profile(12))
    assert lf.kf.fibonacci_retracement().equals(df.kf.fibonacci_retracement())
    renamed = df.rename({"close": "px"})
    assert renamed.lazy().kf.renko(2.0, close="px").equals(renamed.kf.renko(2.0, close="px"))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_bad_box_sizes_raise_value_error(bad):
    df = random_walk(100, 2)
    for call, param in [
        (lambda: df.kf.renko(bad), "box_size"),
        (lambda: df.kf.pnf(bad), "box_size"),
        (lambda: df.kf.kagi(bad), "reversal"),
        (lambda: df.kf.volume_bars(bad, price="close", size="volume"), "volume"),
        (lambda: df.kf.range_bars(bad, price="close"), "range"),
    ]:
        with pytest.raises(ValueError, match=rf"^\w+: {param} must be .* got {bad!r}"):
            call()


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, None])
def test_bad_counts_raise_value_error(bad):
    df = random_walk(100, 2)
    for call, message in [
        (lambda: df.kf.pnf(1.0, bad), "pnf: reversal must be an integer >= 1"),
        (lambda: df.kf.three_line_break(bad), "three_line_break: lines must be an integer >= 1"),
        (lambda: df.kf.volume_profile(bad), "volume_profile: bins must be an integer >= 1"),
        (lambda: df.kf.tick_bars(bad, price="close"), "tick_bars: n must be an integer >= 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()


def test_bad_options_and_columns_raise_value_error():
    df = random_walk(100, 2)
    with pytest.raises(ValueError, match="pnf: source must be one of"):
        df.kf.pnf(1.0, source="open")
    with pytest.raises(ValueError, match="kagi: mode must be one of"):
        df.kf.kagi(mode="ratio")
    with pytest.raises(ValueError, match="renko: column 'nope' given for close not found"):
        df.kf.renko(1.0, close="nope")
    with pytest.raises(ValueError, match="tick_bars: include_partial"):
        df.kf.tick_bars(3, price="close", include_partial=1)
    with pytest.raises(ValueError, match="renko: column 'close' has dtype String"):
        df.with_columns(pl.col("close").cast(pl.String)).kf.renko(1.0)
    with pytest.raises(ValueError, match="several columns match 'close'"):
        df.with_columns(CLOSE=pl.col("close")).kf.renko(1.0)


def test_native_functions_reject_bad_input_without_panicking():
    s = pl.Series("close", [1.0, 2.0, 1e300])
    with pytest.raises(ValueError, match="renko: box_size must be"):
        _internal._renko(s, 0.0)
    with pytest.raises(ValueError, match="renko: box_size .* too small"):
        _internal._renko(s, 1e-300)
    with pytest.raises(ValueError, match="pnf: box_size .* too small"):
        _internal._pnf(s, s, 1e-300, 3)
    with pytest.raises(ValueError, match="pnf: reversal"):
        _internal._pnf(s, s, 1.0, -2)
    with pytest.raises(ValueError, match="pnf: input columns have different lengths"):
        _internal._pnf(s, s.head(2), 1.0, 3)
    with pytest.raises(ValueError, match="three_line_break: lines"):
        _internal._three_line_break(s, 0)
    with pytest.raises(ValueError, match="kagi: reversal"):
        _internal._kagi(s, float("nan"), True)
    with pytest.raises(ValueError, match="tick_bars: n must be"):
        _internal._trade_bars("tick_bars", s, None, "ticks", 2.5, True)
    with pytest.raises(ValueError, match="unknown rule"):
        _internal._trade_bars("x_bars", s, None, "time", 1.0, True)
    with pytest.raises(ValueError, match="volume_bars: input columns have different lengths"):
        _internal._trade_bars("volume_bars", s, s.head(1), "volume", 1.0, True)
    with pytest.raises(ValueError, match="volume_profile: bins"):
        _internal._volume_profile(s, s, s, -1)
    with pytest.raises(ValueError, match="expected a numeric column"):
        _internal._renko(pl.Series(["a"]), 1.0)
    with pytest.raises(ValueError, match="different length"):
        _internal._resample_runs(pl.Series([1, 1, 2]), [s.head(2)], ["first"])
    with pytest.raises(ValueError, match="aggregation must be"):
        _internal._resample_runs(pl.Series([1, 1, 2]), [s], ["mean"])
    with pytest.raises(ValueError, match="nulls"):
        _internal._resample_runs(pl.Series([1, None, 2]), [s], ["sum"])
    with pytest.raises(ValueError, match="columns but"):
        _internal._resample_runs(pl.Series([1, 1, 2]), [s], [])
    with pytest.raises(ValueError, match="renko: .*too many|more than"):
        _internal._renko(pl.Series([0.0, 1e9]), 1e-2)
