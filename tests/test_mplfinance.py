"""kf.activate(): mplfinance calls served by kf, the rest by mplfinance unchanged (see docs/adapter.md)."""

from __future__ import annotations

import gc
import io
import re
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

mpf = pytest.importorskip("mplfinance")
pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import mplfinance.plotting as plotting  # noqa: E402

import polars_kimsfinance as kf  # noqa: E402
from polars_kimsfinance.namespaces import DataFrameNamespace  # noqa: E402

ORIGINALS = {
    "plot": mpf.plot,
    "plotting.plot": plotting.plot,
    "_plot_mav": plotting._plot_mav,
    "_plot_ema": plotting._plot_ema,
}


@pytest.fixture(autouse=True)
def clean():
    kf.deactivate()
    kf.reset_config()
    kf.reset_performance_stats()
    yield
    kf.deactivate()
    kf.reset_config()
    kf.reset_performance_stats()


def ohlcv(n: int = 120, seed: int = 0):
    pdf = kf.sample_ohlcv(n, seed=seed).to_pandas().set_index("date")
    pdf.columns = [c.capitalize() for c in pdf.columns]
    return pdf


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    return struct.unpack(">II", data[16:24])


def make_png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size (what a stand-in renderer returns)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    raw = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class Image(bytes):
    def save(self, path):
        Path(path).write_bytes(self)


@pytest.fixture
def fake_render(monkeypatch):
    """Stands in for df.kf.render (documented signature) and records its arguments."""
    calls = []

    def render(self, *, kind="candle", width=1920, height=1080, theme="modern", volume=True, overlays=(),
               title=None, format="png", **more):  # fmt: skip
        calls.append(dict(kind=kind, width=width, height=height, theme=theme, volume=volume,
                          overlays=list(overlays), title=title, format=format, rows=self._frame.height,
                          **more))  # fmt: skip
        return Image(make_png(width, height))

    monkeypatch.setattr(DataFrameNamespace, "render", render, raising=False)
    return calls


def mpf_png(data, **kwargs) -> bytes:
    buf = io.BytesIO()
    mpf.plot(data, savefig=buf, **kwargs)
    return buf.getvalue()


# ---------------------------------------------------------------- patching


def test_activate_deactivate_restore_identical_objects():
    assert not kf.is_active()
    kf.activate()
    assert kf.is_active()
    assert mpf.plot is not ORIGINALS["plot"] and plotting.plot is mpf.plot
    assert plotting._plot_mav is not ORIGINALS["_plot_mav"]
    patched = (mpf.plot, plotting._plot_mav, plotting._plot_ema)
    kf.activate()  # no-op
    assert (mpf.plot, plotting._plot_mav, plotting._plot_ema) == patched
    kf.deactivate()
    assert not kf.is_active()
    assert mpf.plot is ORIGINALS["plot"]
    assert plotting.plot is ORIGINALS["plotting.plot"]
    assert plotting._plot_mav is ORIGINALS["_plot_mav"]
    assert plotting._plot_ema is ORIGINALS["_plot_ema"]
    kf.deactivate()  # no-op
    assert mpf.plot is ORIGINALS["plot"]


def test_nothing_of_ours_referenced_after_deactivate():
    replacements = [kf.mplfinance._kf_plot, kf.mplfinance._kf_plot_mav, kf.mplfinance._kf_plot_ema]
    kf.activate()
    mpf.plot(ohlcv(30), type="line", mav=(3,), returnfig=True)
    matplotlib.pyplot.close("all")
    kf.deactivate()
    ours = "polars_kimsfinance.mplfinance"
    for fn in replacements:
        # apart from our module's namespace (and copies of it, e.g. doctest globals), nothing refers to them
        referrers = [
            r for r in gc.get_referrers(fn)
            if r is not replacements and not (isinstance(r, dict) and r.get("__name__") == ours)
        ]  # fmt: skip
        assert referrers == [], (fn.__name__, referrers)
    for module in (mpf, plotting):
        assert [
            k for k, v in vars(module).items() if getattr(v, "__module__", "").startswith("polars_kimsfinance")
        ] == []


def test_nothing_of_mplfinance_kept_alive_after_deactivate():
    """In a fresh interpreter, drop mplfinance from sys.modules: while active our adapter holds its originals (they
    stay alive); after deactivate nothing does, so the modules and functions are collected."""
    code = textwrap.dedent(
        """
        import gc, sys, weakref
        import matplotlib
        matplotlib.use("Agg")
        import polars_kimsfinance as kf
        import mplfinance.plotting

        def drop_mplfinance():
            for name in [m for m in sys.modules if m == "mplfinance" or m.startswith("mplfinance.")]:
                del sys.modules[name]

        def refs():
            pkg, plotting = sys.modules["mplfinance"], sys.modules["mplfinance.plotting"]
            out = [weakref.ref(pkg), weakref.ref(plotting)]
            out += [weakref.ref(vars(plotting)[name]) for name in ("plot", "_plot_mav", "_plot_ema")]
            return out

        mode = sys.argv[1]
        held = refs()  # mplfinance's own objects
        if mode != "never":
            kf.activate()
        del mplfinance
        if mode == "deactivate":
            kf.deactivate()
        drop_mplfinance()
        gc.collect()
        print(sum(r() is not None for r in held), len(held))
        """
    )

    def alive(mode):
        out = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return tuple(int(x) for x in out.stdout.split())

    assert alive("never") == (0, 5)  # control: nothing else keeps mplfinance alive
    assert alive("active") == (5, 5)  # we hold the originals (and their modules) while active
    assert alive("deactivate") == (0, 5)


def test_activate_without_mplfinance(monkeypatch):
    monkeypatch.setitem(sys.modules, "mplfinance", None)
    with pytest.raises(ImportError, match="pip install mplfinance"):
        kf.activate()
    assert not kf.is_active()


# ---------------------------------------------------------------- unsupported calls: mplfinance's own output


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(type="candle", volume=True, volume_yscale="symlog"),  # a scale kf does not draw
        dict(
            type="ohlc", volume=True, addplot=mpf.make_addplot(list(range(80)), panel=0, type="bar", secondary_y=True)
        ),
        dict(type="candle", volume=True, show_nontrading=True, mav=5),  # an average joins the bars across the gaps
        dict(type="line", show_nontrading=True),
        dict(type="candle", addplot=mpf.make_addplot(list(range(80)), type="step")),
        # markers on a second axis ("auto"), a second axis with a label of its own
        dict(type="candle", addplot=mpf.make_addplot([x * 1e6 for x in range(80)], type="scatter")),
        dict(type="candle", addplot=mpf.make_addplot([x * 1e6 for x in range(80)], ylabel="big")),
    ],
)
def test_unsupported_call_gives_mplfinance_output(kwargs, fake_render):
    data = ohlcv(80)
    expected = mpf_png(data, **kwargs)
    kf.configure(performance_tracking=True)
    kf.activate()
    got = mpf_png(data, **kwargs)
    assert got == expected
    assert fake_render == []
    assert kf.get_performance_stats()["operations"]["mplfinance"]["calls"] == 0


@pytest.mark.parametrize(
    ("stepwhere", "kind"), [(None, "step_pre"), ("pre", "step_pre"), ("post", "step"), ("mid", "step_mid")]
)
def test_step_addplots_on_a_panel_are_served_stepping_where_matplotlib_steps(stepwhere, kind, fake_render, tmp_path):
    values = np.arange(60, dtype=float) % 7
    extra = {} if stepwhere is None else {"stepwhere": stepwhere}
    kf.activate()
    mpf.plot(ohlcv(60), type="candle", savefig=str(tmp_path / "s.png"),
             addplot=mpf.make_addplot(values, panel=1, type="step", **extra))  # fmt: skip
    [panel] = fake_render[0]["panels"]
    assert panel["kind"] == kind
    [(_, series, _, style)] = panel["lines"]
    assert style == "solid"
    np.testing.assert_array_equal(series.to_numpy(), values)


def test_show_nontrading_draws_the_bars_on_a_calendar_with_the_days_without_bars_empty(fake_render, tmp_path):
    data = ohlcv(30)
    data.index = pd.bdate_range("2024-01-01", periods=30, name=data.index.name)  # weekdays only
    kf.activate()
    own: dict = {}
    mpf.plot(data, type="candle", volume=True, show_nontrading=True, savefig=str(tmp_path / "a.png"),
             return_width_config=own)  # fmt: skip
    [call] = fake_render
    days = (data.index[-1] - data.index[0]).days + 1
    assert call["rows"] == days > 30
    kf.deactivate()
    theirs: dict = {}
    mpf.plot(data, type="candle", volume=True, show_nontrading=True, savefig=io.BytesIO(), return_width_config=theirs)
    assert own and own == theirs  # widths in days, as mplfinance's x axis of dates gives them
    from polars_kimsfinance.mpf_options import calendar_frame
    from polars_kimsfinance.mplfinance import _frame

    grid = calendar_frame({}, "candle", _frame(data, True))
    assert grid.height == days and grid["date"].is_sorted()
    weekend = grid.filter(grid["date"].dt.weekday() >= 6)
    assert weekend.height > 0 and weekend["open"].null_count() == weekend.height
    kept = grid.drop_nulls("open")
    np.testing.assert_array_equal(kept["close"].to_numpy(), data["Close"].to_numpy())
    # Gaps that are not whole steps, or a grid far larger than the data, go to mplfinance.
    uneven = data.iloc[[0, 1, 3]].copy()
    uneven.index = uneven.index[:1].append(uneven.index[1:] + pd.Timedelta(hours=5))
    assert calendar_frame({}, "candle", _frame(uneven, True)) is None
    sparse = data.iloc[[0, 1, 2]].copy()
    sparse.index = pd.DatetimeIndex([sparse.index[0] + pd.Timedelta(days=d) for d in (0, 1, 400)])
    assert calendar_frame({}, "candle", _frame(sparse, True)) is None


def test_averages_on_a_point_and_figure_chart_are_left_out_with_a_warning_as_mplfinance_does(fake_render, tmp_path):
    # (mplfinance's own point-and-figure code fails under pandas 3, docs/adapter.md, so its warning is not compared.)
    data = ohlcv(120)
    kf.activate()
    with pytest.warns(UserWarning, match="not drawn on point-and-figure charts"):
        mpf.plot(data, type="pnf", mav=(4, 6), ema=5, savefig=str(tmp_path / "p.png"))
    [call] = fake_render
    assert call["kind"] == "pnf" and call["overlays"] == []
    fake_render.clear()
    mpf.plot(data, type="renko", mav=4, savefig=str(tmp_path / "r.png"))  # averages over bricks: mplfinance's
    assert fake_render == []


def test_secondary_y_lines_and_bar_width_are_served_as_mplfinance_draws_them(fake_render, tmp_path):
    # mplfinance's MACD example: the histogram on the panel's first axis, MACD and signal on its second.
    data = ohlcv(60)
    macd = np.sin(np.arange(60) / 5.0) * 0.01
    adds = [
        mpf.make_addplot(macd * 100, type="bar", width=0.7, panel=1, color="dimgray", secondary_y=False),
        mpf.make_addplot(macd, panel=1, color="fuchsia", secondary_y=True),
        mpf.make_addplot(data["Close"] * 1e6, color="b"),  # main panel, decades apart: "auto" takes the second axis
    ]
    kf.activate()
    mpf.plot(data, type="candle", savefig=str(tmp_path / "m.png"), addplot=adds)
    [call] = fake_render
    [overlay] = call["overlays"]
    assert overlay["secondary_y"] is True and overlay["line"][2] == "#0000FF"
    [panel] = call["panels"]
    assert (panel["histogram_width"], panel["histogram_color"]) == (0.7, "#696969")
    [line] = panel["lines"]
    assert line["secondary_y"] is True and line["line"][2] == "#FF00FF"
    np.testing.assert_array_equal(line["line"][1].to_numpy(), macd)


def test_addplot_line_width_is_matplotlibs_points_at_the_figure_dpi(fake_render, tmp_path):
    data = ohlcv(60)
    kf.activate()
    adds = [mpf.make_addplot(data["Close"] * 1.01, width=2.5), mpf.make_addplot(data["Close"], panel=1, width=0.5)]
    mpf.plot(data, type="candle", savefig=dict(fname=str(tmp_path / "w.png"), dpi=144), addplot=adds)
    [call] = fake_render
    [overlay] = call["overlays"]
    assert overlay["width"] == pytest.approx(2.5 * 144 / 72)
    [line] = call["panels"][0]["lines"]
    assert line["width"] == pytest.approx(0.5 * 144 / 72) and "secondary_y" not in line


def test_addplot_lines_and_shading_on_the_volume_panel(fake_render, tmp_path):
    data = ohlcv(60)
    mean = float(data["Volume"].mean())
    fb = dict(y1=data["Volume"].values, y2=mean, alpha=0.5, color="lime")
    ap = mpf.make_addplot([mean] * 60, panel=1, color="k", fill_between=fb)
    kf.activate()
    mpf.plot(data, type="candle", volume=True, addplot=ap, savefig=str(tmp_path / "v.png"))
    [call] = fake_render
    [line] = call["overlays"]
    assert line["panel"] == "volume" and line["line"][2] == "#000000"
    [fill] = call["fill_between"]
    assert fill["panel"] == "volume" and fill["color"] == "#00FF00" and fill["alpha"] == 0.5
    np.testing.assert_array_equal(fill["y1"], data["Volume"].values)
    # A panel key inside an added plot's fill_between is matplotlib's error to raise: passed on.
    with pytest.raises(AttributeError):
        mpf.plot(data, type="candle", volume=True, savefig=str(tmp_path / "w.png"),
                 addplot=mpf.make_addplot([mean] * 60, panel=1, fill_between={**fb, "panel": 1}))  # fmt: skip
    assert len(fake_render) == 1


def test_addplot_alpha_reaches_the_line_colour(fake_render, tmp_path):
    data = ohlcv(60)
    kf.activate()
    mpf.plot(data, type="candle", savefig=str(tmp_path / "a.png"),
             addplot=mpf.make_addplot(data["Close"] * 1.01, color="red", alpha=0.5))  # fmt: skip
    [(_, _, color, _)] = fake_render[0]["overlays"]
    assert color == "#FF000080"


def test_bars_on_a_second_axis_of_an_added_panel(fake_render, tmp_path):
    # fill_between.ipynb's last MACD: the histogram on the second axis, MACD and signal on the first.
    data = ohlcv(60)
    macd = np.sin(np.arange(60) / 5.0)
    adds = [
        mpf.make_addplot(macd * 0.01, type="bar", panel=1, color="dimgray", alpha=0.65, secondary_y=True),
        mpf.make_addplot(macd, panel=1, color="fuchsia", secondary_y=False),
    ]
    kf.activate()
    mpf.plot(data, type="candle", addplot=adds, savefig=str(tmp_path / "b.png"))
    [panel] = fake_render[0]["panels"]
    assert panel["histogram"]["secondary_y"] is True and panel["histogram_color"] == "#696969A6"
    [line] = panel["lines"]
    assert line[2] == "#FF00FF"


def test_a_bar_addplot_is_matplotlibs_default_width_and_a_wider_one_goes_to_mplfinance(fake_render, tmp_path):
    data, values = ohlcv(60), np.arange(60, dtype=float) - 30
    kf.activate()
    mpf.plot(
        data, type="candle", savefig=str(tmp_path / "a.png"), addplot=mpf.make_addplot(values, panel=1, type="bar")
    )
    assert fake_render[0]["panels"][0]["histogram_width"] == 0.8
    mpf.plot(data, type="candle", savefig=str(tmp_path / "b.png"),
             addplot=mpf.make_addplot(values, panel=1, type="bar", width=1.5))  # fmt: skip
    assert len(fake_render) == 1


def test_a_step_beside_a_line_on_one_panel_goes_to_mplfinance(fake_render, tmp_path):
    values = np.arange(60, dtype=float)
    kf.activate()
    adds = [mpf.make_addplot(values, panel=1), mpf.make_addplot(values[::-1].copy(), panel=1, type="step")]
    mpf.plot(ohlcv(60), type="candle", savefig=str(tmp_path / "s.png"), addplot=adds)
    assert fake_render == []


def test_unsupported_returnfig_returns_mplfinance_figure(fake_render):
    kf.activate()
    fig, axes = mpf.plot(ohlcv(50), type="candle", returnfig=True)
    assert fig.__class__.__name__ == "Figure" and len(axes) >= 1
    assert fake_render == []
    matplotlib.pyplot.close(fig)


# ---------------------------------------------------------------- moving averages through kf's kernels


def calculated(data, **kwargs):
    values = {}
    fig, _ = mpf.plot(data, return_calculated_values=values, returnfig=True, **kwargs)
    matplotlib.pyplot.close(fig)
    return values


@pytest.mark.parametrize("kind", ["candle", "line", "renko"])
def test_mav_and_ema_equal_mplfinance(kind):
    data = ohlcv(300, seed=3)
    args = dict(type=kind, mav=(2, 5, 20), ema=(3, 12))
    expected = calculated(data, **args)
    kf.configure(performance_tracking=True)
    kf.activate()
    got = calculated(data, **args)
    keys = ["mav2", "mav5", "mav20", "ema3", "ema12"]
    assert set(keys) <= set(expected) and set(keys) <= set(got)
    for key in keys:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-12, atol=1e-9, equal_nan=True, err_msg=key)
        assert np.array_equal(np.isnan(got[key]), np.isnan(expected[key])), key
    ind = kf.get_performance_stats()["operations"]["indicator"]
    assert ind["calls"] == 5  # each average went through the kf_indicator plugin


def plotted_lines(data, **kwargs):
    fig, axes = mpf.plot(data, returnfig=True, **kwargs)
    lines = [np.asarray(line.get_ydata(), dtype=float) for line in axes[0].get_lines()]
    matplotlib.pyplot.close(fig)
    return lines


def test_shifted_mav_equals_mplfinance():
    """mplfinance cannot return shifted averages (its return_calculated_values fails on a dict): compare the lines."""
    data = ohlcv(100, seed=4)
    args = dict(type="line", mav=dict(period=[4, 9], shift=[2, -3]), ema=dict(period=[5], shift=[1]))
    expected = plotted_lines(data, **args)
    kf.configure(performance_tracking=True)
    kf.activate()
    got = plotted_lines(data, **args)
    assert len(got) == len(expected) == 4  # price line + 3 averages
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, equal_nan=True)
    assert kf.get_performance_stats()["operations"]["indicator"]["calls"] == 3


def test_nan_prices_use_mplfinance_averages():
    data = ohlcv(60, seed=5)
    data.iloc[10, data.columns.get_loc("Close")] = np.nan
    expected = calculated(data, type="line", mav=(3,), ema=(4,))
    kf.configure(performance_tracking=True)
    kf.activate()
    got = calculated(data, type="line", mav=(3,), ema=(4,))
    for key in ("mav3", "ema4"):
        np.testing.assert_array_equal(got[key], expected[key])
    assert kf.get_performance_stats()["operations"]["indicator"]["calls"] == 0


def test_addplot_mav_goes_through_kf():
    data = ohlcv(120, seed=6)
    ap = mpf.make_addplot(data["Close"] * 1.01, mav=(5,))
    expected = mpf_png(data, type="candle", addplot=ap)
    kf.configure(performance_tracking=True)
    kf.activate()
    got = mpf_png(data, type="candle", addplot=ap)
    assert png_size(got) == png_size(expected)
    assert kf.get_performance_stats()["operations"]["indicator"]["calls"] == 1


def test_addplot_mav_lines_are_served_continuing_the_style_mav_colours(fake_render, tmp_path):
    data = ohlcv(120, seed=6)
    ap = mpf.make_addplot(data["Close"], panel=1, mav=(5, 10))
    kf.activate()
    mav_colors = ["#112233", "#445566", "#778899"]
    style = mpf.make_mpf_style(base_mpf_style="yahoo", mavcolors=mav_colors)
    mpf.plot(data, type="candle", mav=10, style=style, addplot=ap, savefig=str(tmp_path / "m.png"))
    [call] = fake_render
    assert call["overlays"][0][2] == mav_colors[0]  # the main panel's mav=10
    [panel] = call["panels"]
    [close, mav5, mav10] = panel["lines"]
    assert (mav5[2], mav10[2]) == (mav_colors[1], mav_colors[2])
    np.testing.assert_allclose(mav5[1].to_numpy(), data["Close"].rolling(5).mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(mav10[1].to_numpy(), data["Close"].rolling(10).mean().to_numpy(), rtol=1e-12)
    # Averages of data with gaps (pandas and kf differ there) and shifted averages go to mplfinance.
    gappy = data["Close"].copy()
    gappy.iloc[50] = np.nan
    for ap in (
        mpf.make_addplot(gappy, panel=1, mav=5),
        mpf.make_addplot(data["Close"], panel=1, mav=dict(period=(5,), shift=(2,))),
    ):
        mpf.plot(data, type="candle", addplot=ap, savefig=str(tmp_path / "g.png"))
    assert len(fake_render) == 1


# ---------------------------------------------------------------- supported calls: rendered by kf


def test_supported_call_translates_to_render(fake_render, tmp_path):
    data = ohlcv(500)
    kf.configure(performance_tracking=True)
    kf.activate()
    path = tmp_path / "chart.png"
    result = mpf.plot(
        data, type="candle", volume=True, mav=(20,), ema=(50,), style="yahoo", figsize=(8, 5), title="SPY",
        savefig=str(path),
    )  # fmt: skip
    assert result is None
    assert len(fake_render) == 1
    got = dict(fake_render[0])
    overlays, colors = got.pop("overlays"), got.pop("colors")
    assert got == dict(
        kind="candle", width=800, height=500, theme="light", volume=True, title="SPY", format="png", rows=500,
        ylabel="Price", title_align="center", title_bold=True, last_price=False, legend=False,
        ylabel_lower="Volume  \u00d710\u2076", volume_exponent=6, yscale="linear", panel_ratios=[5.0, 2.0], panels=[],
        xrotation=45.0,
    )  # fmt: skip
    # The averages in the style's moving-average colours (yahoo names none: matplotlib's colour cycle).
    assert [(label, color) for label, _, color in overlays] == [("sma_20", "#1F77B4"), ("ema_50", "#FF7F0E")]
    # yahoo's own colours: face, grid, text, bodies (alpha 0.9), grey wicks, its volume colours.
    assert colors == {
        "background": "#FAFAFA", "grid": "#D0D0D0", "text": "#101010", "up": "#00B060E6", "down": "#FE3032E6",
        "wick_up": "#606060", "wick_down": "#606060", "edge_up": "#00B060", "edge_down": "#FE3032",
        "volume_up": "#4DC790", "volume_down": "#FD6B6C", "line": "#1F77B4",
    }  # fmt: skip
    assert png_size(path.read_bytes()) == (800, 500)
    s = kf.get_performance_stats()
    m = s["operations"]["mplfinance"]
    assert (m["calls"], m["candles"], m["bytes"]) == (1, 500, path.stat().st_size)
    assert m["latency_ns"]["max"] > 0


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(type="ohlc_bars", style="nightclouds"), dict(kind="ohlc", theme="modern")),
        (dict(type="hnf", style="tradingview"), dict(kind="hollow", theme="light")),
        (dict(type="line", figratio=(16, 9), figscale=0.5), dict(kind="line", width=511, height=287)),
        (dict(type="renko"), dict(kind="renko", overlays=[])),
        (dict(type="pnf", title={"title": "P&F"}), dict(kind="pnf", title="P&F")),
        (dict(savefig=dict(fname="X.webp", dpi=50)), dict(kind="ohlc", format="webp", width=400, height=287)),
        (dict(savefig=dict(fname="X.svg"), figsize=(3, 2)), dict(format="svg", width=300, height=200)),
        (dict(savefig=dict(fname="X.png", pad_inches=0.5)), dict(kind="ohlc", width=800, height=575)),
        (dict(ylabel="USD", title="A\nB"), dict(ylabel="USD", title="A\nB", title_align="center")),
    ],
)
def test_translation(kwargs, expected, fake_render, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kf.activate()
    kwargs = dict(kwargs)
    kwargs.setdefault("savefig", "out.png")
    mpf.plot(ohlcv(100), **kwargs)
    assert len(fake_render) == 1
    call = fake_render[0]
    assert {k: call[k] for k in expected} == expected
    saved = kwargs["savefig"]["fname"] if isinstance(kwargs["savefig"], dict) else kwargs["savefig"]
    assert (tmp_path / saved).exists()


@pytest.mark.parametrize("name", ["chart.jpg", "chart.jpeg"])
def test_jpeg_files_are_written_as_matplotlib_writes_them(name, tmp_path):
    from PIL import Image

    data = ohlcv(100)
    mpf.plot(data, type="candle", volume=True, savefig=str(tmp_path / f"own-{name}"))
    kf.configure(performance_tracking=True)
    kf.activate()
    mpf.plot(data, type="candle", volume=True, savefig=dict(fname=str(tmp_path / name), dpi=80))
    mpf.plot(data, type="candle", volume=True, savefig=str(tmp_path / f"kf-{name}"))
    assert kf.get_performance_stats()["operations"]["mplfinance"]["calls"] == 2
    own, served, small = (Image.open(tmp_path / f) for f in (f"own-{name}", f"kf-{name}", name))
    assert own.format == served.format == small.format == "JPEG" and served.mode == "RGB"
    assert served.size == own.size == (800, 575) and small.size == (640, 460)
    assert served.info["dpi"] == own.info["dpi"] and small.info["dpi"] == (80, 80)
    # The pixels are the chart's: the candle colours are there, not a blank page.
    pixels = np.asarray(served).reshape(-1, 3)
    assert len(np.unique(pixels // 32, axis=0)) > 4


def test_buffer_target_and_default_size_match_mplfinance(fake_render):
    data = ohlcv(100)
    own = mpf_png(data, type="candle", volume=True)
    kf.activate()
    buf = io.BytesIO()
    mpf.plot(data, type="candle", volume=True, savefig=buf)
    assert png_size(buf.getvalue()) == png_size(own) == (800, 575)
    assert fake_render[0]["width"] == 800 and fake_render[0]["height"] == 575


@pytest.mark.parametrize(
    "size",
    [
        dict(figratio=(16, 9), figscale=0.5),
        dict(figratio=(10, 7), figscale=1.3),
        dict(figsize=(6.4, 4.8)),
        dict(figsize=(7.77, 3.33), dpi=73),
        dict(figscale=0.7, dpi=144),
        # 5.75 in * 1.4 * 100 dpi = 804.9999999999999 px: matplotlib's canvas counts that as 805
        dict(figscale=1.4),
    ],
)
def test_pixel_size_matches_mplfinance(size, fake_render):
    size = dict(size)
    dpi = size.pop("dpi", None)
    data = ohlcv(60)

    def save():
        buf = io.BytesIO()
        mpf.plot(data, type="candle", savefig=dict(fname=buf, dpi=dpi) if dpi else buf, **size)
        return buf.getvalue()

    own = png_size(save())
    kf.activate()
    assert png_size(save()) == own
    assert (fake_render[0]["width"], fake_render[0]["height"]) == own


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(savefig="chart.tiff"),  # a format kf does not write
        dict(savefig=dict(fname="chart.png", bbox_inches="tight")),
        dict(mav=dict(period=5, shift=1)),
        dict(mav=(5,), type="renko"),
        dict(style="no-such-style-but-mplfinance-decides"),
        dict(figsize=(0.2, 0.2)),  # below kf's 64 px minimum
        dict(columns=("Open", "High", "Low", "Close", "Volume")),
    ],
)
def test_other_calls_go_to_mplfinance(kwargs, fake_render, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    kf.activate()
    # stand in for mplfinance's own plot (the object the replacement hands unsupported calls to)
    monkeypatch.setitem(kf.mplfinance._STATE, "plot", lambda data, **kw: seen.append(kw))
    kwargs = dict(kwargs)
    kwargs.setdefault("savefig", "chart.png")
    mpf.plot(ohlcv(50), type=kwargs.pop("type", "candle"), **kwargs)
    assert fake_render == []
    assert len(seen) == 1


def test_supported_call_renders_a_real_image(tmp_path):
    data = ohlcv(500)
    kf.configure(performance_tracking=True)
    kf.activate()
    path = tmp_path / "real.png"
    mpf.plot(data, type="candle", volume=True, mav=(10, 20), figsize=(6.4, 4.8), savefig=str(path))
    assert png_size(path.read_bytes()) == (640, 480)
    s = kf.get_performance_stats()["operations"]
    assert s["mplfinance"]["calls"] == 1 and s["mplfinance"]["candles"] == 500
    assert s["render"]["calls"] == 1
    buf = io.BytesIO()
    mpf.plot(data, type="line", savefig=buf)
    assert png_size(buf.getvalue()) == (800, 575)


# ---------------------------------------------------------------- served charts keep mplfinance's look


def test_volume_label_names_mplfinance_power_of_ten(fake_render, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kf.activate()
    data = ohlcv(100)
    for scale, exponent in [(1e3, 6), (1e-3, 0)]:
        frame = data.copy()
        frame["Volume"] = frame["Volume"] * scale
        fake_render.clear()
        mpf.plot(frame, type="candle", volume=True, savefig="v.png")
        call = fake_render[0]
        top = 1.1 * frame["Volume"].max()
        if exponent:
            assert top >= 1e6
            assert call["ylabel_lower"] == "Volume  \u00d710\u2076" and call["volume_exponent"] == 6
        else:
            assert top < 1e6
            assert call["ylabel_lower"] == "Volume" and "volume_exponent" not in call
    fake_render.clear()
    mpf.plot(data, type="candle", volume=True, volume_exponent=3, ylabel_lower="Shares", savefig="v.png")
    assert fake_render[0]["ylabel_lower"] == "Shares  \u00d710\u00b3" and fake_render[0]["volume_exponent"] == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(type="renko"),
        dict(type="renko", renko_params=dict(atr_length=30)),
        dict(type="renko", renko_params=dict(brick_size=2.5)),
        dict(type="pnf"),
        dict(type="pnf", pnf_params=dict(box_size="2%", reversal=2)),
        dict(type="pnf", pnf_params=dict(atr_length=20)),
    ],
)
def test_box_sizes_computed_as_mplfinance_computes_them(kwargs, fake_render, tmp_path, monkeypatch):
    from mplfinance._utils import _calculate_atr

    monkeypatch.chdir(tmp_path)
    data = ohlcv(300)
    highs, lows, closes = data["High"].to_numpy(), data["Low"].to_numpy(), data["Close"].to_numpy()
    params = kwargs.get("renko_params") or kwargs.get("pnf_params") or {}
    size = params.get("brick_size", params.get("box_size", "atr"))
    if size == "atr":
        default_length = 14 if kwargs["type"] == "renko" else len(closes) - 1
        expected = _calculate_atr(params.get("atr_length", default_length), highs, lows, closes)
    elif isinstance(size, str):
        expected = float(size[:-1]) / 100 * closes[-1]
    else:
        expected = size
    kf.activate()
    mpf.plot(data, savefig="b.png", **kwargs)
    call = fake_render[0]
    assert call["box_size"] == pytest.approx(expected, rel=1e-12)
    if kwargs["type"] == "pnf":
        assert call["reversal"] == params.get("reversal", 3)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(type="renko", renko_params=dict(brick_size=1e9)),  # mplfinance: larger than half the close range
        dict(type="pnf", pnf_params=dict(reversal=12)),
        dict(type="renko", renko_params=dict(atr_length=10_000)),
    ],
)
def test_box_parameters_mplfinance_rejects_go_to_mplfinance(kwargs, fake_render, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    kf.activate()
    monkeypatch.setitem(kf.mplfinance._STATE, "plot", lambda data, **kw: seen.append(kw))
    mpf.plot(ohlcv(100), savefig="b.png", **kwargs)
    assert fake_render == [] and len(seen) == 1


def test_served_renko_is_real_and_dated(tmp_path):
    kf.activate()
    data = ohlcv(300)
    path = tmp_path / "renko.svg"
    mpf.plot(data, type="renko", savefig=str(path))
    labels = re.findall(r">([^<]+)</text>", path.read_text())
    assert "Price" in labels
    # A date axis: the days or months of the frame's index, not brick numbers.
    # (Its labels turned by mplfinance's 45 degrees leave room for days.)
    dates = {d.strftime("%Y-%m") for d in data.index} | {d.strftime("%b %d") for d in data.index}
    dated = [label for label in labels if label in dates or label[:6] in dates]
    assert len(dated) >= 3, labels


def test_marketcolor_overrides_in_the_forms_mplfinance_accepts(fake_render, tmp_path, monkeypatch):
    """Colour names, 0..1 and 0..255 rgba tuples, make_marketcolors dicts (alone or in a one-item list, giving
    their candle colour for the bar's direction) and a numpy object column, as marketcolor_overrides.ipynb uses."""
    import numpy as np

    monkeypatch.chdir(tmp_path)
    data = ohlcv(6)
    rising = (data["Open"] < data["Close"]).tolist()
    mc = mpf.make_marketcolors(base_mpf_style="yahoo", up=(178, 255, 178, 0.4), down="fuchsia")
    column = np.array([None, "black", (1.0, 1.0, 0.0), mc, [mc], None], dtype=object)
    kf.activate()
    mpf.plot(data, type="candle", marketcolor_overrides=column, savefig="out.png")
    mc_color = "#B2FFB266" if rising[3] else "#FF00FF"
    list_color = "#B2FFB266" if rising[4] else "#FF00FF"
    assert fake_render[0]["marketcolor_overrides"] == [None, "#000000", "#FFFF00", mc_color, list_color, None]


# ---------------------------------------------------------------- style= in df.kf.render


@pytest.mark.parametrize("style", ["nightclouds", "yahoo", "charles"])
def test_render_style_draws_the_colours_a_served_call_draws(style):
    from polars_kimsfinance import mpf_options

    df = kf.sample_ohlcv(80)
    theme, colors, _ = mpf_options.style_colors(style)
    styled = df.kf.render(style=style, width=400, height=250)
    assert bytes(styled) == bytes(df.kf.render(theme=theme, colors=colors, width=400, height=250))
    assert bytes(styled) != bytes(df.kf.render(width=400, height=250))
    # Keys of colors= win over the style's; the batch API takes the style too.
    blue = df.kf.render(style=style, colors={"up": "#0000FF"}, width=400, height=250)
    assert bytes(blue) == bytes(df.kf.render(theme=theme, colors={**colors, "up": "#0000FF"}, width=400, height=250))
    [batch] = kf.render_many([df], style=style, width=400, height=250)
    assert bytes(batch) == bytes(styled)


def test_render_style_takes_make_mpf_style_dicts_and_names_a_bad_style():
    df = kf.sample_ohlcv(40)
    own = mpf.make_mpf_style(base_mpf_style="nightclouds", marketcolors=mpf.make_marketcolors(up="g", down="r"))
    from polars_kimsfinance import mpf_options

    theme, colors, _ = mpf_options.style_colors(own)
    assert colors["up"].startswith("#008000")  # matplotlib's "g", at the style's body alpha
    drawn = df.kf.render(style=own, width=300, height=200)
    assert bytes(drawn) == bytes(df.kf.render(theme=theme, colors=colors, width=300, height=200))
    assert bytes(drawn) != bytes(df.kf.render(style="nightclouds", width=300, height=200))
    for bad in ["no-such-style", 3, {"facecolor": "white"}]:
        with pytest.raises(ValueError, match=r"render: style must be a name from mplfinance's available_styles"):
            df.kf.render(style=bad, width=300, height=200)
