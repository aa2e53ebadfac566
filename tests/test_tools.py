"""Files generated from a single source stay in step with it: the README's figures (from the catalogue) and the
requirements files (from pyproject.toml)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_check(name: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / f"{name}.py"), "--check"], capture_output=True, text=True
    )


def test_readme_figures_are_up_to_date():
    result = run_check("readme_counts")
    assert result.returncode == 0, result.stderr


def test_readme_figures_follow_the_catalogue():
    import polars_kimsfinance as kf
    from polars_kimsfinance.transforms import TRANSFORMS

    tool = load_tool("readme_counts")
    twins = sum(1 for ind in kf.CATALOGUE if ind.talib)
    expected = f"({len(kf.CATALOGUE)} of them, {twins} with a TA-Lib twin, plus {len(TRANSFORMS)} bar transforms)"
    assert expected in (ROOT / "README.md").read_text()
    stale = "- **Indicators** (1 of them, 0 with a TA-Lib twin, plus 0 bar transforms) are Rust kernels"
    assert tool.rewrite(stale) == stale.replace("(1 of them, 0 with a TA-Lib twin, plus 0 bar transforms)", expected)
    with pytest.raises(ValueError, match="found it 0 times"):
        tool.rewrite("no figures here")


def test_requirements_files_are_generated_from_pyproject():
    pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    result = run_check("sync_requirements")
    assert result.returncode == 0, result.stderr


def test_requirements_files_hold_the_test_extra():
    pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    tool = load_tool("sync_requirements")
    pyproject = tool.read_pyproject()
    files = tool.expected_files(pyproject)
    test_lines = [line for line in files["requirements-test.txt"].splitlines() if not line.startswith("#")]
    assert test_lines == ["-r requirements.txt", *pyproject["project"]["optional-dependencies"]["test"]]
    # The notebook and mplfinance tests need these; dropping one from the extra must show here.
    names = {re.match(r"[A-Za-z0-9_.-]+", line).group() for line in test_lines[1:]}
    assert {"nbclient", "nbformat", "ipykernel", "mplfinance", "six", "matplotlib"} <= names
    assert "mplfinance==0.12.10b0" in test_lines  # the API the accelerator patches
