"""A sheet of paper to print on, in millimetres and points, with PIL and the Debian fonts.

Each `Sheet` records the lines it printed (in reading order) so the ground truth holds the page's
text as printed. Fonts: Liberation (Times/Arial/Courier metrics) and DejaVu, both shipped by
Debian (fonts-liberation2, fonts-dejavu-core/extra); nothing is downloaded.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/truetype/dejavu"))
# family -> file names for (regular, bold, italic, bold italic)
FAMILIES = {
    "liberation_serif": ("LiberationSerif-Regular", "LiberationSerif-Bold", "LiberationSerif-Italic",
                         "LiberationSerif-BoldItalic"),
    "liberation_sans": ("LiberationSans-Regular", "LiberationSans-Bold", "LiberationSans-Italic",
                        "LiberationSans-BoldItalic"),
    "dejavu_serif": ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"),
    "dejavu_sans": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
    "dejavu_condensed": ("DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "DejaVuSansCondensed-Oblique",
                         "DejaVuSansCondensed-BoldOblique"),
    "liberation_mono": ("LiberationMono-Regular", "LiberationMono-Bold", "LiberationMono-Italic",
                        "LiberationMono-BoldItalic"),
    "dejavu_mono": ("DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique"),
}
BODY_FAMILIES = ("liberation_serif", "liberation_serif", "dejavu_serif", "liberation_sans", "dejavu_sans",
                 "dejavu_condensed")
MONO_FAMILIES = ("liberation_mono", "dejavu_mono")
MM_PER_INCH = 25.4
PT_PER_INCH = 72.0


class FontMissing(RuntimeError):
    pass


@functools.lru_cache(maxsize=512)
def font(family: str, size_px: int, bold: bool = False, italic: bool = False) -> ImageFont.FreeTypeFont:
    name = FAMILIES[family][int(bold) + 2 * int(italic)]
    for directory in FONT_DIRS:
        path = directory / f"{name}.ttf"
        if path.exists():
            return ImageFont.truetype(str(path), size_px)
    raise FontMissing(f"font {name}.ttf not found in {', '.join(map(str, FONT_DIRS))} (apt-get install "
                      "fonts-liberation2 fonts-dejavu-core fonts-dejavu-extra)")


@dataclass
class Style:
    family: str = "liberation_serif"
    size: float = 13.0  # points
    bold: bool = False
    italic: bool = False
    ink: tuple[int, int, int] = (20, 20, 20)


@dataclass
class Sheet:
    """A page ``width_mm`` x ``height_mm`` rendered at ``dpi``; ``lines`` the printed text lines."""

    width_mm: float
    height_mm: float
    dpi: int
    paper: tuple[int, int, int] = (255, 255, 255)
    lines: list[tuple[float, float, str]] = field(default_factory=list)  # (y_mm, x_mm, text)

    def __post_init__(self):
        self.image = Image.new("RGB", (self.px(self.width_mm), self.px(self.height_mm)), self.paper)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return int(round(mm * self.dpi / MM_PER_INCH))

    def font_for(self, style: Style) -> ImageFont.FreeTypeFont:
        return font(style.family, max(6, int(round(style.size * self.dpi / PT_PER_INCH))), style.bold, style.italic)

    def width_of(self, text: str, style: Style) -> float:
        """Printed width in mm."""
        return self.font_for(style).getlength(text) * MM_PER_INCH / self.dpi

    def text(self, x_mm: float, y_mm: float, text: str, style: Style, align: str = "left",
             record: bool = True) -> float:
        """Print one line with its top at ``y_mm``; ``x_mm`` is its left, centre or right edge.
        Returns the line's height in mm."""
        text = unicodedata.normalize("NFC", text)
        f = self.font_for(style)
        width = self.width_of(text, style)
        left = {"left": x_mm, "center": x_mm - width / 2, "right": x_mm - width}[align]
        self.draw.text((self.px(left), self.px(y_mm)), text, font=f, fill=style.ink)
        if record and text.strip():
            self.lines.append((y_mm, left, text))
        return style.size * 1.32 * MM_PER_INCH / PT_PER_INCH

    def paragraph(self, x_mm: float, y_mm: float, width_mm: float, text: str, style: Style,
                  indent_mm: float = 0.0, spacing: float = 1.0) -> float:
        """Print ``text`` wrapped to ``width_mm``; returns the y below it."""
        words = unicodedata.normalize("NFC", text).split()
        line: list[str] = []
        first = True
        y = y_mm
        for word in words:
            trial = " ".join(line + [word])
            limit = width_mm - (indent_mm if first else 0.0)
            if line and self.width_of(trial, style) > limit:
                y += self.text(x_mm + (indent_mm if first else 0.0), y, " ".join(line), style) * spacing
                line, first = [word], False
            else:
                line.append(word)
        if line:
            y += self.text(x_mm + (indent_mm if first else 0.0), y, " ".join(line), style) * spacing
        return y

    def rule(self, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float, width_mm: float = 0.3,
             ink: tuple[int, int, int] = (30, 30, 30)) -> None:
        self.draw.line([(self.px(x0_mm), self.px(y0_mm)), (self.px(x1_mm), self.px(y1_mm))], fill=ink,
                       width=max(1, self.px(width_mm)))

    def box(self, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float, width_mm: float = 0.3,
            ink: tuple[int, int, int] = (30, 30, 30), fill: tuple[int, int, int] | None = None,
            radius_mm: float = 0.0) -> None:
        shape = [self.px(x0_mm), self.px(y0_mm), self.px(x1_mm), self.px(y1_mm)]
        if radius_mm:
            self.draw.rounded_rectangle(shape, radius=self.px(radius_mm), outline=ink, fill=fill,
                                        width=max(1, self.px(width_mm)))
        else:
            self.draw.rectangle(shape, outline=ink, fill=fill, width=max(1, self.px(width_mm)))

    def ellipse(self, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float, ink: tuple[int, int, int],
                width_mm: float = 0.8) -> None:
        self.draw.ellipse([self.px(x0_mm), self.px(y0_mm), self.px(x1_mm), self.px(y1_mm)], outline=ink,
                          width=max(1, self.px(width_mm)))

    def paste(self, other: Image.Image, x_mm: float, y_mm: float) -> None:
        self.image.paste(other, (self.px(x_mm), self.px(y_mm)))

    def text_in_reading_order(self) -> str:
        """The printed lines top to bottom, left to right within a band of 2 mm."""
        ordered = sorted(self.lines, key=lambda t: (round(t[0] / 2.0), t[1]))
        return "\n".join(t[2] for t in ordered)
