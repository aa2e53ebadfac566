"""``kf.activate()`` on calls of the forms mplfinance's own example notebooks make (examples/*.ipynb in the
mplfinance project), on the same public data: each call is served by kf or passed to mplfinance as documented in
docs/adapter.md, a served chart has exactly the pixel size mplfinance writes, and no call fails only with
``activate()``.
"""

from __future__ import annotations

import io
import struct

import pytest
from reference import DATA_DIR

import polars_kimsfinance as kf

mpf = pytest.importorskip("mplfinance")
pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib").use("Agg")


def _daily(name: str, rows: slice) -> pd.DataFrame:
    df = pd.read_csv(DATA_DIR / name, index_col=0, parse_dates=True)
    return df.iloc[rows]


def _intraday() -> pd.DataFrame:
    df = pd.read_csv(DATA_DIR / "SP500_NOV2019_IDay.csv", index_col=0, parse_dates=True)
    return df.loc["2019-11-06 15:00":"2019-11-06 16:00"]


DATA = {
    "spy": lambda: _daily("yahoofinance-SPY-20080101-20180101.csv", slice(-250, None)),
    "intc": lambda: _daily("yahoofinance-INTC-19950101-20040412.csv", slice(-60, None)),
    "goog": lambda: _daily("yahoofinance-GOOG-20040819-20180120.csv", slice(-35, None)),
    "sp500_minutes": _intraday,
}

SERVED, MPLFINANCE = "served", "mplfinance"

# (data, keyword arguments, who draws it). The keyword forms follow the example notebooks: price-movement plots,
# plot customizations, savefig, styles, hollow-and-filled candles, moving averages.
CALLS = [
    ("spy", dict(type="renko"), SERVED),
    # mplfinance's own point-and-figure code computes an ATR (for the default box size, and for the limits of a
    # given one) by indexing a date-indexed Series by position, which this pandas refuses (KeyError); served, the
    # chart is drawn.
    ("spy", dict(type="pnf"), SERVED),
    ("spy", dict(type="line"), SERVED),
    ("spy", dict(type="renko", renko_params=dict(brick_size=4)), SERVED),
    ("spy", dict(type="renko", renko_params=dict(brick_size=1.5)), SERVED),
    ("spy", dict(type="pnf", pnf_params=dict(box_size=4)), SERVED),
    ("spy", dict(type="renko", renko_params=dict(brick_size="atr", atr_length=2)), SERVED),
    ("spy", dict(type="pnf", pnf_params=dict(box_size="atr", atr_length=2, reversal=2)), SERVED),
    ("spy", dict(type="renko", style="blueskies"), SERVED),
    ("intc", dict(), SERVED),
    ("intc", dict(figratio=(18, 10)), SERVED),
    ("intc", dict(figratio=(18, 10), figscale=0.5), SERVED),
    ("intc", dict(type="candle", volume=True, figscale=0.9), SERVED),
    ("intc", dict(figscale=0.65), SERVED),
    ("intc", dict(volume=True, figscale=0.75, mav=(3, 6)), SERVED),
    ("intc", dict(type="candle", mav=(3, 6, 9), volume=True, title="\nINTC Daily"), SERVED),
    ("intc", dict(type="candle", style="charles", volume=True, ylabel="Price ($)", ylabel_lower="Shares"), SERVED),
    ("intc", dict(type="ohlc", style="nightclouds", mav=4), SERVED),
    ("intc", dict(type="candle", figscale=1.4, style="yahoo"), SERVED),
    ("goog", dict(type="hollow_and_filled", style="binance", title="hollow"), SERVED),
    ("goog", dict(type="candle", volume=True, style="mike"), SERVED),
    ("sp500_minutes", dict(type="candle", mav=(7, 15)), SERVED),
    # tight_layout=True: the file is cropped to matplotlib's tight bounding box; served at that size.
    ("intc", dict(volume=True, figscale=0.75, mav=(3, 6), tight_layout=True), SERVED),
    ("spy", dict(type="hollow_and_filled", figscale=1.25, style="yahoo", tight_layout=True, volume=True), SERVED),
    ("goog", dict(type="candle", tight_layout=True, title="\nGOOG tight", style="nightclouds"), SERVED),
    ("intc", dict(type="renko", tight_layout=True), MPLFINANCE),
    ("intc", dict(figscale=0.65, xrotation=20), SERVED),
    # show_nontrading=True: the bars on a calendar, weekends and holidays empty; with averages it is mplfinance's.
    ("intc", dict(type="candle", volume=True, show_nontrading=True), SERVED),
    ("intc", dict(type="candle", volume=True, show_nontrading=True, mav=4), MPLFINANCE),
    ("intc", dict(figscale=0.7, fill_between=dict(y1=25, y2=27)), SERVED),
    # fill_between.ipynb: shading on the volume panel (numbered as mplfinance numbers it), tight_layout
    (
        "intc",
        dict(
            type="candle",
            volume=True,
            tight_layout=True,
            panel_ratios=(1.1, 1),
            fill_between=[
                dict(y1=26.0, y2=28.0, panel=0, alpha=0.3, color="magenta"),
                dict(y1=DATA["intc"]()["Volume"].values, y2=4e7, panel=1, alpha=0.5, color="lime"),
            ],
        ),
        SERVED,
    ),
    ("intc", dict(type="candle", fill_between=dict(y1=26.0, y2=28.0, interpolate=True)), MPLFINANCE),
    # using_lines.ipynb
    ("intc", dict(hlines=[27.0, 29.0]), SERVED),
    (
        "intc",
        dict(type="candle", hlines=dict(hlines=[27.0, 29.0], colors=["g", "r"], linestyle="-."), volume=True),
        SERVED,
    ),
    ("intc", dict(type="candle", vlines=dict(vlines="2004-03-01", linewidths=2, alpha=0.5)), SERVED),
    ("intc", dict(type="candle", alines=[("2004-02-02", 26.0), ("2004-03-10", 28.0), ("2004-04-01", 27.0)]), SERVED),
    ("intc", dict(type="candle", tlines=[("2004-02-02", "2004-04-01")], figscale=0.8), SERVED),
    (
        "intc",
        dict(
            type="candle",
            tlines=dict(tlines=[("2004-02-02", "2004-04-01")], tline_use="high", tline_method="least-squares"),
        ),
        SERVED,
    ),
    (
        "intc",
        dict(type="candle", tlines=dict(tlines=[("2004-02-02", "2004-04-01")], tline_use=["open", "close"])),
        SERVED,
    ),
    # styles.ipynb
    ("intc", dict(type="candle", style=mpf.make_mpf_style(base_mpf_style="nightclouds", gridstyle="")), SERVED),
    (
        "intc",
        dict(
            type="candle",
            volume=True,
            style=mpf.make_mpf_style(marketcolors=mpf.make_marketcolors(up="g", down="r", volume="in")),
        ),
        SERVED,
    ),
    # yscale.ipynb, plot_customizations.ipynb
    ("intc", dict(type="candle", yscale="log", volume=True), SERVED),
    ("intc", dict(type="candle", datetime_format="%b %d", xrotation=15), SERVED),
    ("intc", dict(type="candle", axtitle="INTC"), SERVED),
    # panels.ipynb
    ("intc", dict(type="candle", volume=True, panel_ratios=(6, 3)), SERVED),
    ("intc", dict(type="candle", volume=True, main_panel=1, volume_panel=0), SERVED),
    (
        "intc",
        dict(type="candle", volume=True, volume_panel=2, addplot=mpf.make_addplot(DATA["intc"]()["Close"], panel=1)),
        SERVED,
    ),
    (
        "intc",
        dict(
            type="candle",
            volume=True,
            main_panel=2,
            volume_panel=0,
            addplot=mpf.make_addplot(DATA["intc"]()["Close"].diff(), panel=1),
            panel_ratios=(4, 1.5, 5),
        ),
        SERVED,
    ),
    ("intc", dict(type="candle", volume=True, volume_yscale="log", panel_ratios=(1, 0.75)), SERVED),
    ("intc", dict(type="candle", volume=True, yscale="log", volume_yscale="log"), SERVED),
    ("intc", dict(type="candle", volume=True, xlabel="DATE", ylabel_lower="Shares\nTraded"), SERVED),
    # marketcolor_overrides.ipynb
    ("intc", dict(type="candle", volume=True, marketcolor_overrides=[None, "yellow"] * 30), SERVED),
    (
        "intc",
        dict(type="candle", volume=True, marketcolor_overrides=[None, "yellow"] * 30, mco_faceonly=True),
        SERVED,
    ),
]


def _addplot_calls() -> list[tuple[str, dict, str]]:
    """addplot.ipynb's forms: lines, markers below / above the bars, a panel of its own, a bar panel."""
    intc = DATA["intc"]()
    close = intc["Close"]
    low_signal = (close.where(close < close.rolling(5).mean()) * 0.98).to_numpy()
    return [
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close.rolling(10).mean())), SERVED),
        (
            "intc",
            dict(type="candle", addplot=mpf.make_addplot(low_signal, type="scatter", markersize=200, marker="^")),
            SERVED,
        ),
        (
            "intc",
            dict(
                type="candle", volume=True, addplot=[mpf.make_addplot(close.diff(), panel=2, color="g", ylabel="diff")]
            ),
            SERVED,
        ),
        (
            "intc",
            dict(
                type="candle",
                addplot=mpf.make_addplot(close.diff(), panel=1, type="bar", ylabel="diff"),
                panel_ratios=(1, 1),
            ),
            SERVED,
        ),
        (
            "intc",
            # a line on the volume panel (its second axis), and one shading the volume panel
            dict(type="candle", volume=True, addplot=mpf.make_addplot(close, panel=1, secondary_y=True)),
            SERVED,
        ),
        (
            "intc",
            dict(
                type="candle",
                volume=True,
                tight_layout=True,
                addplot=mpf.make_addplot(
                    [4e7] * 60,
                    panel=1,
                    color="k",
                    linestyle="-.",
                    width=0.25,
                    fill_between=dict(y1=DATA["intc"]()["Volume"].values, y2=4e7, alpha=0.5, color="lime"),
                ),
            ),
            SERVED,
        ),
        ("intc", dict(type="candle", volume=True, addplot=mpf.make_addplot(close, panel=1, type="bar")), MPLFINANCE),
        (
            "intc",
            dict(type="candle", volume=True, addplot=mpf.make_addplot(close, panel=2, secondary_y=True)),
            SERVED,
        ),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close, type="step")), MPLFINANCE),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close.rolling(5).mean(), linestyle="dashdot")), SERVED),
        (
            "intc",
            dict(type="candle", addplot=mpf.make_addplot(close.diff(), panel=1, color="g", linestyle="dotted")),
            SERVED,
        ),
        (
            "intc",
            dict(type="candle", addplot=mpf.make_addplot(close * 1000, panel=1, yscale="log", ylabel="log")),
            SERVED,
        ),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close, panel=1, ylim=(20, 40))), SERVED),
        # secondary_y="auto" puts a column outside the decades of what its panel drew first on a second axis: lines
        # there are served, and bars on an added panel; markers are not.
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close * 1000)), SERVED),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close * 1000, type="scatter")), MPLFINANCE),
        (
            "intc",
            dict(type="candle", addplot=[mpf.make_addplot(close, panel=1), mpf.make_addplot(close * 0.5, panel=1)]),
            SERVED,
        ),
        (
            "intc",
            dict(
                type="candle",
                addplot=[mpf.make_addplot(close, panel=1), mpf.make_addplot(close * 0.99, panel=1, type="bar")],
            ),
            SERVED,
        ),
        (
            "intc",
            dict(type="candle", addplot=[mpf.make_addplot(close, panel=1), mpf.make_addplot(close, panel=1)]),
            SERVED,
        ),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close, panel=1, type="step")), SERVED),
        # addplot.ipynb: moving averages of an added plot, after the main panel's in mplfinance's colour cycle
        (
            "intc",
            dict(type="candle", mav=10, addplot=mpf.make_addplot(close, panel=1, mav=(5, 10)), panel_ratios=(1, 1)),
            SERVED,
        ),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close, panel=1, type="scatter", mav=5)), MPLFINANCE),
        ("intc", dict(type="candle", addplot=mpf.make_addplot(close, panel=1, type="step", stepwhere="mid")), SERVED),
    ]


CALLS += _addplot_calls()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _plot(data: pd.DataFrame, kwargs: dict, savefig: dict) -> bytes:
    buf = io.BytesIO()
    mpf.plot(data, savefig=dict(fname=buf, **savefig), **kwargs)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _inactive():
    kf.deactivate()
    yield
    kf.deactivate()
    kf.reset_performance_stats()


@pytest.mark.parametrize("savefig", [dict(), dict(dpi=72, pad_inches=0.25)], ids=["default-dpi", "dpi72-pad"])
@pytest.mark.parametrize("name, kwargs, drawn_by", CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_example_call(name, kwargs, drawn_by, savefig):
    data = DATA[name]()
    before = data.copy()
    try:
        own = _plot(data, kwargs, savefig)
    except KeyError:
        assert kwargs.get("type") == "pnf", "only mplfinance's point-and-figure code fails on its own"
        # The figure mplfinance would have saved: the same size arguments on a line chart.
        own = _plot(data, {k: v for k, v in kwargs.items() if k not in ("type", "pnf_params")}, savefig)
    kf.configure(performance_tracking=True)
    kf.reset_performance_stats()
    kf.activate()
    served = _plot(data, kwargs, savefig)
    calls = kf.get_performance_stats()["operations"]["mplfinance"]["calls"]
    assert calls == (1 if drawn_by == SERVED else 0), f"expected to be {drawn_by}"
    assert _png_size(served) == _png_size(own)
    if drawn_by == MPLFINANCE:
        assert served == own
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(
    "kwargs",
    [dict(type="candle"), dict(type="candle", volume=True, figscale=0.75), dict(width_adjuster_version="v0")],
    ids=["candle", "volume", "v0"],
)
def test_return_width_config_is_filled_as_mplfinance_fills_it(kwargs):
    data = DATA["intc"]()
    own: dict = {}
    _plot(data, dict(kwargs, return_width_config=own), {})
    kf.configure(performance_tracking=True)
    kf.reset_performance_stats()
    kf.activate()
    served: dict = {}
    _plot(data, dict(kwargs, return_width_config=served), {})
    assert kf.get_performance_stats()["operations"]["mplfinance"]["calls"] == 1
    assert own and served == own
    kept = {"candle_width": 0.5}  # a dict that is not empty is left as it is, as mplfinance leaves it
    _plot(data, dict(kwargs, return_width_config=kept), {})
    assert kept == {"candle_width": 0.5}
