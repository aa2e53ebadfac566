"""Axis placement from Python: ``yaxis="left"`` moves the price labels and the last-price tag to the left of the
plot, ``xrotation=`` turns the time-axis labels (in render, the batch API, SVG, the GPU engine and the CLI), and
mplfinance's ``xrotation`` (45 degrees unless given) and its styles' ``y_on_right`` reach the renderer.

Probes compare a chart with its mirrored or turned twin, so they need no knowledge of the layout's exact sizes.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

import polars_kimsfinance as kf
from polars_kimsfinance import cli

W, H = 640, 360


def frame(n: int = 150) -> pl.DataFrame:
    return kf.sample_ohlcv(n)


def pixels(df: pl.DataFrame, **kwargs: object) -> np.ndarray:
    return df.kf.render(width=W, height=H, theme="light", **kwargs).to_numpy()[..., :3].astype(int)


def ink_columns(img: np.ndarray, rows: slice) -> np.ndarray:
    """Per column, whether any pixel in `rows` differs from the background (the top-left pixel)."""
    return (np.abs(img[rows] - img[0, 0]).sum(axis=2) > 60).any(axis=0)


def test_left_axis_moves_labels_and_tag_to_the_left():
    df = frame()
    right, left = pixels(df), pixels(df, yaxis="left")
    price_rows = slice(H // 8, H // 2)
    strip = W // 12  # narrower than the label strip, wider than the margin on the other side
    # Right axis: labels and the tag in the right strip, the left strip holds only bars near the edge.
    assert ink_columns(right, price_rows)[-strip:].sum() > strip // 2
    assert ink_columns(left, price_rows)[-3:].sum() == 0 and ink_columns(right, price_rows)[:3].sum() == 0
    assert ink_columns(left, price_rows)[: strip // 2].sum() > strip // 4
    # The last-price tag: a block of the last bar's colour touching the image's edge on the axis side.
    tag_r = right[price_rows, -2]
    tag_l = left[price_rows, 1]
    assert (np.abs(tag_r - right[0, 0]).sum(axis=1) > 60).sum() >= 8
    assert (np.abs(tag_l - left[0, 0]).sum(axis=1) > 60).sum() >= 8


def test_left_axis_in_svg_anchors_labels_at_their_end():
    svg = frame().kf.render(width=W, height=H, format="svg", yaxis="left").decode()
    ends = re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end"', svg)
    assert len(ends) >= 4 and all(float(x) < W / 8 for x in ends)


def test_turned_labels_grow_the_time_axis():
    df = frame()
    level, turned = pixels(df), pixels(df, xrotation=90)
    # The bottom panel's axis line (the lowest row drawn across the plot) rises to make room for the labels.

    def axis_line(img: np.ndarray) -> int:
        across = (np.abs(img[:, W // 4 : W // 2] - img[0, 0]).sum(axis=2) > 60).mean(axis=1)
        return int(np.flatnonzero(across > 0.9).max())

    assert axis_line(turned) < axis_line(level) - 20


def test_turned_labels_in_svg_gpu_and_batches():
    df = frame()
    svg = df.kf.render(width=W, height=H, format="svg", xrotation=30).decode()
    turned = re.findall(r'transform="rotate\((-?[\d.]+) ', svg)
    assert len(turned) >= 3 and set(turned) == {"-30"}
    cpu = df.kf.render(width=W, height=H, xrotation=30).to_numpy().astype(int)
    batch = kf.render_many([df], width=W, height=H, xrotation=30)[0].to_numpy().astype(int)
    np.testing.assert_array_equal(cpu, batch)
    try:
        gpu = df.kf.render(width=W, height=H, xrotation=30, engine="gpu").to_numpy().astype(int)
    except RuntimeError as e:  # no adapter at all on this machine
        pytest.skip(f"no GPU adapter: {e}")
    # The GPU reads glyphs at the nearest texel, the CPU between texels: the same labels, not the same pixels.
    label_rows = slice(H - H // 6, H)
    diff = np.abs(cpu[label_rows] - gpu[label_rows]).sum(axis=2) > 120
    assert diff.mean() < 0.02


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("yaxis", "top", "yaxis must be one of right, left; got 'top'"),
        ("yaxis", 1, "yaxis must be one of"),
        ("xrotation", float("nan"), "xrotation must be a finite number of degrees, got nan"),
        ("xrotation", "45", "xrotation must be a finite number of degrees, got '45'"),
        ("xrotation", True, "xrotation must be a finite number"),
    ],
)
def test_bad_axis_options_name_the_option(option, value, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        frame(30).kf.render(width=W, height=H, **{option: value})


def test_cli_takes_yaxis_and_xrotation(tmp_path):
    src = tmp_path / "bars.csv"
    frame(60).write_csv(src)
    out = tmp_path / "chart.svg"
    cli.main(["render", str(src), "-o", str(out), "--yaxis", "left", "--xrotation", "45", "--width", "640"])
    svg = out.read_text()
    assert 'text-anchor="end"' in svg and 'transform="rotate(-45 ' in svg


def test_mplfinance_default_rotation_reaches_the_renderer():
    mpf = pytest.importorskip("mplfinance")
    from polars_kimsfinance import mplfinance as adapter

    data = frame(60).to_pandas().set_index("date")
    data.columns = [c.capitalize() for c in data.columns]
    call = {"type": "candle", "savefig": "chart.png"}
    assert adapter._translate(data, call)["render"]["xrotation"] == 45.0
    assert adapter._translate(data, {**call, "xrotation": 10})["render"]["xrotation"] == 10.0
    assert adapter._translate(data, {**call, "xrotation": "steep"}) is None
    # The style's y_on_right: mplfinance's default style has its price axis on the left, yahoo on the right.
    assert adapter._translate(data, call)["render"]["yaxis"] == "left"
    assert "yaxis" not in adapter._translate(data, {**call, "style": "yahoo"})["render"]
    assert mpf is not None


def test_main_and_volume_panel_places_move_the_volume_bars_to_the_top():
    df = frame(80)
    magenta = {"volume_up": "#FF00FF", "volume_down": "#FF00FF"}

    def volume_rows(img: np.ndarray) -> np.ndarray:
        return np.flatnonzero(((img[..., 0] > 200) & (img[..., 1] < 60) & (img[..., 2] > 200)).any(axis=1))

    default = pixels(df, colors=magenta)
    moved = pixels(df, colors=magenta, main_panel=1, volume_panel=0)
    assert volume_rows(default).min() > H * 0.6, "below the prices by default"
    assert volume_rows(moved).max() < H * 0.35, "above them when placed first"
    # The batch API and SVG take the same options.
    options = dict(width=W, height=H, theme="light", colors=magenta, main_panel=1, volume_panel=0)
    batch = kf.render_many([df], **options)
    assert np.array_equal(batch[0].to_numpy()[..., :3].astype(int), moved)
    svg = df.kf.render(**{**options, "format": "svg"}).decode()
    bars = [float(y) for y in re.findall(r'<rect x="[^"]+" y="([^"]+)"[^>]*fill="#FF00FF"', svg)]
    assert bars and max(bars) < H * 0.35


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(main_panel=1), "volume_panel: must be a panel position from 0 to 1 other than main_panel (1), got 1"),
        (dict(main_panel=3), "main_panel: must be a panel position from 0 to 1 (2 panels drawn), got 3"),
        (dict(main_panel=-1), "main_panel must be a panel position from 0 (the top), got -1"),
        (dict(volume_panel="top"), "volume_panel must be a panel position from 0 (the top), got 'top'"),
        (dict(main_panel=True), "main_panel must be a panel position"),
        (dict(volume_yscale="ln"), "volume_yscale must be one of linear, log; got 'ln'"),
        (dict(panel_ratios=[1, 2, 3]), "panel_ratios: needs one number > 0 per panel (2 here, top to bottom: price"),
        (dict(panels=[{"lines": [("d", pl.col("close").diff())], "yscale": "log"}]), "panel 'd' yscale: 'log' needs"),
        (dict(panels=[{"lines": [("c", pl.col("close"))], "yscale": "cubic"}]), "panels[0] yscale must be one of"),
        (dict(overlays=[("c", pl.col("close"), None, "wavy")]), "overlay 'c' style must be one of solid, dashed"),
        (dict(xlabel=5), "xlabel must be a string, got int"),
    ],
)
def test_bad_panel_options_name_the_option_and_value(options, words):
    with pytest.raises((ValueError, TypeError), match=re.escape(words)):
        frame(30).kf.render(width=W, height=H, **options)


def test_log_volume_axis_and_log_panel():
    df = frame(120)
    linear, log = pixels(df, volume_yscale="linear"), pixels(df, volume_yscale="log")
    assert not np.array_equal(linear, log)
    panel = {"lines": [("close", pl.col("close"))], "yscale": "log", "title": "log close"}
    assert not np.array_equal(pixels(df, panels=[panel]), pixels(df, panels=[{**panel, "yscale": "linear"}]))


def test_xlabel_is_drawn_under_the_time_axis():
    df = frame(60)
    plain, labelled = pixels(df), pixels(df, xlabel="DATE")
    # The lowest rows hold the time labels without it, and only the centred label with it.
    bottom = slice(H - 12, H)
    assert ink_columns(plain, bottom).sum() > 100
    inked = np.flatnonzero(ink_columns(labelled, bottom))
    assert 10 < inked.size < 60 and W * 0.35 < inked.min() and inked.max() < W * 0.6, inked
    svg = df.kf.render(width=W, height=H, format="svg", xlabel="DATE").decode()
    assert ">DATE<" in svg


def test_dashed_and_dotted_lines_on_overlays_and_panels():
    df = frame(120)
    ma = pl.col("close").rolling_mean(10)
    solid = pixels(df, overlays=[("ma", ma, "#0000FF")])
    dashed = pixels(df, overlays=[("ma", ma, "#0000FF", "dashed")])
    blue = lambda img: int(((img[..., 2] > 200) & (img[..., 0] < 80)).sum())  # noqa: E731
    assert 0.3 * blue(solid) < blue(dashed) < 0.85 * blue(solid)
    dotted = pixels(df, panels=[{"lines": [("ma", ma, "#0000FF", ":")]}])
    solid_panel = pixels(df, panels=[{"lines": [("ma", ma, "#0000FF")]}])
    assert 0.2 * blue(solid_panel) < blue(dotted) < 0.85 * blue(solid_panel)


def magenta_rows(img: np.ndarray) -> np.ndarray:
    return np.flatnonzero(((img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] > 200)).any(axis=1))


def test_a_second_axis_line_spans_its_panel_and_its_labels_sit_on_the_other_side():
    df = frame(120)
    big = ("big", pl.col("close") * 1e6, "#FF00FF")
    price_rows = slice(H // 8, H // 2)
    looks = dict(colors={"up": "#00C000", "down": "#00C000"}, volume=False, last_price=False)
    first = pixels(df, overlays=[big], **looks)
    second = pixels(df, overlays=[{"line": big, "secondary_y": True}], **looks)
    # On the first axis the bars flatten into a thin band under the big line; on a second axis both fill the panel.
    bar_rows = lambda img: np.flatnonzero((np.abs(img - np.array([0, 0xC0, 0])).sum(axis=2) < 30).any(axis=1))  # noqa: E731
    assert bar_rows(first).size < 8 < H // 4 < bar_rows(second).size, (bar_rows(first), bar_rows(second))
    rows = magenta_rows(second)
    assert rows.size > H // 4, rows
    # The second axis's labels take a strip on the left, where the one-axis chart has only a margin.
    assert ink_columns(first, price_rows)[:4].sum() == 0
    assert ink_columns(second, price_rows)[:20].sum() > 4
    # The same in SVG, the batch API and a sub-panel.
    svg = df.kf.render(width=W, height=H, format="svg", overlays=[{"line": big, "secondary_y": True}]).decode()
    ends = re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end"', svg)
    assert len(ends) >= 3 and all(float(x) < W / 4 for x in ends)
    batch = kf.render_many(
        [df], width=W, height=H, theme="light", overlays=[{"line": big, "secondary_y": True}], **looks
    )
    assert np.array_equal(batch[0].to_numpy()[..., :3].astype(int), second)
    panel = {"lines": [("c", pl.col("close")), {"line": big, "secondary_y": True}]}
    assert magenta_rows(pixels(df, panels=[panel])).size > H // 8


def test_histogram_width_and_colour_on_a_panel():
    df = frame(40)
    diff = ("d", pl.col("close").diff().fill_null(0.0))
    grey = lambda img: int((np.abs(img - np.array([0x69, 0x69, 0x69])).sum(axis=2) < 10).sum())  # noqa: E731
    narrow = pixels(df, panels=[{"histogram": diff, "histogram_width": 0.3, "histogram_color": "#696969"}])
    wide = pixels(df, panels=[{"histogram": diff, "histogram_width": 1.0, "histogram_color": "#696969"}])
    assert 2.2 * grey(narrow) < grey(wide) < 4.5 * grey(narrow)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"line": ("c", pl.col("close")), "secondary_y": "yes"}, "overlay secondary_y must be True or False"),
        ({"line": ("c", pl.col("close")), "axis": 2}, "has an unknown key 'axis'; keys: line, secondary_y"),
        ({"line": {"band": "bbands"}}, "overlay line must be an entry such as 'sma:20'"),
    ],
)
def test_bad_second_axis_entries_name_the_key_and_value(entry, words):
    with pytest.raises((ValueError, TypeError), match=re.escape(words)):
        frame(30).kf.render(width=W, height=H, overlays=[entry])


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("histogram_width", 0, "panels[0] histogram_width must be a share of the bar's slot in (0, 1], got 0"),
        ("histogram_width", 1.5, "got 1.5"),
        (
            "histogram_color",
            "grey",
            "panels[0] histogram_color must be a colour '#RGB', '#RRGGBB' or '#RRGGBBAA', got 'grey'",
        ),
    ],
)
def test_bad_histogram_looks_name_the_key_and_value(key, value, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        frame(30).kf.render(width=W, height=H, panels=[{"histogram": ("d", pl.col("close").diff()), key: value}])


def test_a_line_width_in_pixels_on_overlays_and_panel_lines():
    df = frame(120)
    ma = ("ma", pl.col("close").rolling_mean(10), "#0000FF")
    blue = lambda img: int(((img[..., 2] > 200) & (img[..., 0] < 80) & (img[..., 1] < 80)).sum())  # noqa: E731
    thin, wide = pixels(df, overlays=[ma]), pixels(df, overlays=[{"line": ma, "width": 6}])
    assert blue(wide) > 2.5 * blue(thin)
    panel_thin = pixels(df, panels=[{"lines": [ma]}])
    panel_wide = pixels(df, panels=[{"lines": [{"line": ma, "width": 6, "secondary_y": True}]}])
    assert blue(panel_wide) > 2.5 * blue(panel_thin)


@pytest.mark.parametrize("width", [-1, 2001, "2", True])
def test_a_bad_line_width_names_the_entry_and_value(width):
    with pytest.raises(
        ValueError, match=re.escape(f"overlay width must be a number of pixels from 0 to 2000, got {width!r}")
    ):
        frame(30).kf.render(width=W, height=H, overlays=[{"line": ("c", pl.col("close")), "width": width}])


def test_an_overlay_on_the_volume_panel_is_drawn_there_and_its_axis_takes_it_in():
    df = frame(120)
    avg = ("vol avg", pl.col("volume").rolling_mean(10) * 3, "#FF00FF")
    plain, with_line = pixels(df), pixels(df, overlays=[{"line": avg, "panel": "volume"}])
    rows = magenta_rows(with_line)
    assert rows.size > 3 and rows.min() > H // 2, rows  # in the volume panel, below the price panel
    assert magenta_rows(plain).size == 0
    # Three times the volume: the volume axis stretches, so the bars shrink (fewer rows of volume colour).
    assert not np.array_equal(plain, with_line)
    second = pixels(df, overlays=[{"line": avg, "panel": "volume", "secondary_y": True, "width": 3}])
    assert magenta_rows(second).size > rows.size


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(volume=False), "overlay 'a' panel: 'volume' needs the volume panel, which this chart does not draw"),
        (
            dict(overlays=[{"line": ("a", pl.col("volume")), "panel": 1}]),
            "overlay panel must be 'price' or 'volume', got 1",
        ),
        (
            dict(overlays=[], panels=[{"lines": [{"line": ("a", pl.col("volume")), "panel": "volume"}]}]),
            "panel line 'panel' is for overlays",
        ),
    ],
)
def test_bad_volume_overlays_name_the_entry(options, words):
    options = {"overlays": [{"line": ("a", pl.col("volume")), "panel": "volume"}], **options}
    with pytest.raises(ValueError, match=re.escape(words)):
        frame(30).kf.render(width=W, height=H, **options)


def test_a_histogram_on_the_second_axis_of_a_panel():
    df = frame(60)
    diff = pl.col("close").diff().fill_null(0.0)
    look = {"histogram_color": "#FF00FF", "histogram_width": 1.0}
    first = pixels(df, panels=[{"lines": [("c", pl.col("close"))], "histogram": ("d", diff), **look}])
    second = pixels(
        df,
        panels=[{"lines": [("c", pl.col("close"))], "histogram": {"line": ("d", diff), "secondary_y": True}, **look}],
    )
    # Against the closes' axis the differences are a sliver; on their own axis they fill the panel.
    assert magenta_rows(second).size > 2 * magenta_rows(first).size
