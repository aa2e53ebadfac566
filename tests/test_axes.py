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
