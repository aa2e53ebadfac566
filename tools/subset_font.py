"""Writes the embedded font: a subset of DejaVu Sans (Latin-1, Windows-1252's extras and the symbols charts use).

Run once when the character set changes (needs fontTools and DejaVu Sans, e.g. Debian's fonts-dejavu-core):
    python3 tools/subset_font.py /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
The result is committed as assets/fonts/DejaVuSans-subset.ttf; the build only embeds it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Printable ASCII and Latin-1, the rest of Windows-1252 (curly quotes, dashes, euro, trade mark, ...), and the
# symbols financial charts use: arrows, superscript digits (the x10^6 axis multiplier), maths signs, triangles.
RANGES = [
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x0152, 0x0153),
    (0x0160, 0x0161),
    (0x0178, 0x0178),
    (0x017D, 0x017E),
    (0x0192, 0x0192),
    (0x02C6, 0x02C6),
    (0x02DC, 0x02DC),
    (0x2013, 0x2014),
    (0x2018, 0x201E),
    (0x2020, 0x2022),
    (0x2026, 0x2026),
    (0x2030, 0x2030),
    (0x2039, 0x203A),
    (0x2070, 0x2070),
    (0x2074, 0x2079),
    (0x20AC, 0x20AC),
    (0x20BF, 0x20BF),
    (0x2122, 0x2122),
    (0x2190, 0x2195),
    (0x21D2, 0x21D2),
    (0x2212, 0x2212),
    (0x2248, 0x2248),
    (0x2260, 0x2260),
    (0x2264, 0x2265),
    (0x25A0, 0x25A0),
    (0x25B2, 0x25B2),
    (0x25BC, 0x25BC),
    (0x25CF, 0x25CF),
    (0xFFFD, 0xFFFD),
]


def main(source: str) -> None:
    from fontTools import subset

    out = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "DejaVuSans-subset.ttf"
    options = subset.Options()
    options.layout_features = []  # no kerning or ligature tables: the renderer places glyphs by advance width
    options.hinting = False
    options.notdef_outline = True  # glyph 0 is drawn for characters no font has
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in RANGES for c in range(lo, hi + 1)])
    subsetter.subset(font)
    subset.save_font(font, str(out), options)
    print(f"{out}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
