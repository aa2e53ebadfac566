"""Write the README's indicator figures from the catalogue and the transforms list, so they cannot go stale.

python tools/readme_counts.py          # rewrite the figures in README.md
python tools/readme_counts.py --check  # exit 1 if they are out of date (the test suite runs this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

from polars_kimsfinance.catalogue import CATALOGUE  # noqa: E402
from polars_kimsfinance.transforms import TRANSFORMS  # noqa: E402

README = ROOT / "README.md"
# The sentence the figures live in; its wording is fixed here so that a rewrite cannot miss a figure.
FIGURES = re.compile(r"\(\d+ of them, \d+ with a TA-Lib twin, plus \d+ bar transforms\)")


def figures() -> str:
    twins = sum(1 for ind in CATALOGUE if ind.talib is not None)
    return f"({len(CATALOGUE)} of them, {twins} with a TA-Lib twin, plus {len(TRANSFORMS)} bar transforms)"


def rewrite(text: str) -> str:
    """``text`` with the figures replaced by the current ones; ValueError when the sentence is not there once."""
    found = FIGURES.findall(text)
    if len(found) != 1:
        raise ValueError(f"expected the figures sentence once in README.md, found it {len(found)} times")
    return FIGURES.sub(figures(), text)


def main(argv: list[str]) -> int:
    text = README.read_text()
    updated = rewrite(text)
    if updated == text:
        return 0
    if "--check" in argv:
        message = f"README.md's figures are out of date: should be {figures()}; run python tools/readme_counts.py"
        print(message, file=sys.stderr)
        return 1
    README.write_text(updated)
    print(f"README.md: {figures()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
