"""Execute every notebook in notebooks/ and check that each cell that renders a chart displays a PNG."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

import polars_kimsfinance as kf  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _images(cell: dict) -> list[bytes]:
    return [
        base64.b64decode(out["data"]["image/png"])
        for out in cell.get("outputs", [])
        if out.get("output_type") in ("execute_result", "display_data") and "image/png" in out.get("data", {})
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_charts(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel is a subprocess: make it import this checkout's package whatever the working directory.
    package_root = str(Path(kf.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    render_cells = [c for c in nb.cells if c.cell_type == "code" and ".kf.render(" in c.source]
    assert render_cells, f"{path.name} renders no chart"
    for cell in render_cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path.name}: cell failed: {cell.source[:80]!r}"
        images = _images(cell)
        assert images, f"{path.name}: no image/png output for cell {cell.source[:80]!r}"
        assert all(img[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
