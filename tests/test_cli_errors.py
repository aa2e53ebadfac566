"""Every bad input to the command line is one line on stderr, ``kimsfinance: ...``, and exit status 2: no
traceback (each of these printed one, with status 1). Run as a user would, in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent / "python"
GOOD_CSV = "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1.5,2.5,1,2,12\n"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "polars_kimsfinance", *args], capture_output=True, text=True, env=env, timeout=120
    )


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, a fragment the message must hold)."""
    good = write(tmp / "good.csv", GOOD_CSV)
    return {
        "missing file": (["render", str(tmp / "nope.csv"), "-o", str(tmp / "a.png")], "no such file"),
        "directory as input": (["render", str(tmp), "-o", str(tmp / "a.png")], "is a directory"),
        "wrong suffix": (["render", str(write(tmp / "x.json", "{}")), "-o", str(tmp / "a.png")], ".csv or .parquet"),
        "empty csv": (["render", str(write(tmp / "empty.csv", "")), "-o", str(tmp / "a.png")], "cannot read"),
        "header only csv": (
            ["render", str(write(tmp / "header.csv", "date,open,high,low,close\n")), "-o", str(tmp / "a.png")],
            "no rows",
        ),
        "ragged csv": (
            ["render", str(write(tmp / "ragged.csv", GOOD_CSV + "2024-01-03,1,2\n1,2,3,4,5,6,7,8\n")), "-o", "x.png"],
            "cannot read",
        ),
        "binary csv": (["render", str(write(tmp / "bin.csv", bytes(range(256)) * 8)), "-o", "x.png"], "kimsfinance"),
        "malformed parquet": (
            ["render", str(write(tmp / "bad.parquet", b"PAR1 not really")), "-o", str(tmp / "a.png")],
            "cannot read",
        ),
        "empty parquet": (["render", str(write(tmp / "empty.parquet", b"")), "-o", str(tmp / "a.png")], "cannot read"),
        "text columns": (
            ["render", str(write(tmp / "text.csv", "date,open,high,low,close\n2024-01-01,a,b,c,d\n")), "-o", "x.png"],
            "",
        ),
        "output is a directory": (["render", str(good), "-o", str(tmp)], "cannot write"),
        "output dir missing": (["render", str(good), "-o", str(tmp / "no" / "such" / "a.png")], "cannot write"),
        # /proc takes no new files, whoever runs the suite (root ignores a read-only directory's permissions).
        "output not writable": (["render", str(good), "-o", "/proc/kimsfinance-test.png"], "cannot write"),
        "demo output is a directory": (["demo", "-o", str(tmp)], "cannot write"),
        "unknown style": (["render", str(good), "-o", str(tmp / "a.png"), "--style", "nope"], "style must be"),
    }


NAMES = [
    "missing file",
    "directory as input",
    "wrong suffix",
    "empty csv",
    "header only csv",
    "ragged csv",
    "binary csv",
    "malformed parquet",
    "empty parquet",
    "text columns",
    "output is a directory",
    "output dir missing",
    "output not writable",
    "demo output is a directory",
    "unknown style",
]


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_one_line_and_exit_2(name: str, tmp_path: Path) -> None:
    cases = bad_inputs(tmp_path)
    assert sorted(cases) == sorted(NAMES)
    args, fragment = cases[name]
    result = cli(*args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("kimsfinance: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_a_good_file_still_renders(tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", GOOD_CSV)
    pl.read_csv(good)  # the fixture itself is valid
    result = cli("render", str(good), "-o", str(tmp_path / "ok.png"), "--width", "400", "--height", "300")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ok.png").stat().st_size > 0
    styled = cli(
        "render", str(good), "-o", str(tmp_path / "s.png"), "--width", "400", "--height", "300", "--style", "yahoo"
    )
    assert styled.returncode == 0, styled.stderr
    assert (tmp_path / "s.png").read_bytes() != (tmp_path / "ok.png").read_bytes()
