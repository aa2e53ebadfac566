"""Chart file names made from group keys, and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from polars_kimsfinance.filenames import safe_file_stem, write_file_atomically


@pytest.mark.parametrize(
    ("key", "stem"),
    [
        ("AAPL", "AAPL"),
        ("BRK/B", "BRK_B"),
        ("a\\b", "a_b"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..", "_"),
        (".", "_"),
        ("", "_"),
        ("  spaced . ", "spaced"),
        ("tab\there\nnew", "tab_here_new"),
        ("bell\x07del\x7f", "bell_del_"),
        ('q"<>:|?*', "q_______"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1", "_com1"),
        ("CONSOLE", "CONSOLE"),
        (None, "null"),
        (42, "42"),
        ("日本株", "日本株"),
    ],
)
def test_safe_file_stem(key: object, stem: str) -> None:
    assert safe_file_stem(key) == stem


def test_safe_file_stem_cuts_long_keys_on_a_character_boundary() -> None:
    stem = safe_file_stem("é" * 300)
    assert len(stem.encode("utf-8")) <= 200 and stem == "é" * 100


def test_write_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "chart.png"
    assert write_file_atomically(path, b"one", overwrite=False) == path
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_file_atomically(path, b"two", overwrite=False)
    write_file_atomically(path, b"two", overwrite=True)
    assert path.read_bytes() == b"two"
    # A failed write leaves neither a partial file nor a temporary one.
    with pytest.raises(TypeError):
        write_file_atomically(tmp_path / "bad.png", "not bytes", overwrite=False)  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]
