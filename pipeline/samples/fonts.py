"""The typeface of the generated documents, Liberation Serif (metrically compatible with Times New
Roman, the font Decree 30/2020 prescribes), and text widths in mm.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_FILES = {
    "regular": "LiberationSerif-Regular.ttf",
    "bold": "LiberationSerif-Bold.ttf",
    "italic": "LiberationSerif-Italic.ttf",
    "bold_italic": "LiberationSerif-BoldItalic.ttf",
}
MM_PER_PT = 25.4 / 72


@lru_cache(maxsize=256)
def load_font(style: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[style]), px)


_MEASURE_PX = 200


def text_width_mm(text: str, style: str, size_pt: float) -> float:
    length = load_font(style, _MEASURE_PX).getlength(text)
    return length / _MEASURE_PX * size_pt * MM_PER_PT
