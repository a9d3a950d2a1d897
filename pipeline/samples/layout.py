"""The composer: places lines top to bottom on A4 pages in mm, wrapping to the text width, breaking
pages, and setting two-column blocks (header, signature) on one grid of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.samples.fonts import MM_PER_PT, text_width_mm
from pipeline.samples.pages import A4_MM, PageLayout, Shape, TextLine
from pipeline.textnorm import nfc


@dataclass(frozen=True)
class PageStyle:
    left: float = 30.0
    right: float = 15.0
    top: float = 20.0
    bottom: float = 20.0
    body_pt: float = 13.0
    header_pt: float = 12.5
    spacing: float = 1.25  # line height / font size
    paragraph_gap: float = 1.5  # mm
    justify: bool = True
    indent: float = 10.0  # first-line indent, mm

    @property
    def text_width(self) -> float:
        return A4_MM[0] - self.left - self.right

    @staticmethod
    def random(rng: np.random.Generator) -> PageStyle:
        return PageStyle(
            left=float(rng.uniform(20, 30)),
            right=float(rng.uniform(15, 20)),
            top=float(rng.uniform(15, 25)),
            bottom=float(rng.uniform(18, 25)),
            body_pt=float(rng.choice([13.0, 13.0, 13.5, 14.0])),
            header_pt=float(rng.choice([12.0, 12.5, 13.0])),
            spacing=float(rng.uniform(1.1, 1.4)),
            paragraph_gap=float(rng.uniform(0.3, 2.5)),
            justify=bool(rng.random() < 0.7),
            indent=float(rng.choice([0.0, 10.0, 12.7])),
        )


@dataclass
class Cell:
    """A line of a two-column block before wrapping."""

    text: str
    style: str = "regular"
    size: float | None = None
    underline: bool = False
    skip: int = 0  # empty rows before this cell
    align: str = "center"


class Composer:
    """Places lines top to bottom, wrapping to the text width and breaking pages."""

    def __init__(self, style: PageStyle, *, number_pages: bool = True):
        self.s = style
        self.number_pages = number_pages
        self.pages: list[PageLayout] = []
        self._lines: list[TextLine] = []
        self._shapes: list[Shape] = []
        self._signature: tuple[float, float, float, float] | None = None
        self.y = style.top

    # -- page handling
    def _line_height(self, size: float) -> float:
        return size * MM_PER_PT * self.s.spacing

    @property
    def bottom(self) -> float:
        return A4_MM[1] - self.s.bottom

    def new_page(self) -> None:
        self._flush()
        self.y = self.s.top
        if self.number_pages:
            number = str(len(self.pages) + 1)
            self._lines.append(TextLine(number, self.s.left, self.y, self.s.text_width, 13, "regular", "center"))
            self.y += 12

    def new_page_carrying(self, count: int) -> None:
        """Break the page, taking the last ``count`` body lines along, so that a block such as
        the signature never stands alone on a page (offices retype to avoid that too)."""
        taken: list[TextLine] = []
        while self._lines and len(taken) < count and not self._lines[-1].joined:
            taken.insert(0, self._lines.pop())
        if taken and len(self._lines) <= 2:  # nothing would remain: keep the page as it is
            self._lines += taken
            taken = []
        top = taken[0].y_mm if taken else self.y
        offset = self.y - top
        self.new_page()
        shift = self.y - top
        for line in taken:
            self._lines.append(TextLine(line.text, line.x_mm, line.y_mm + shift, line.width_mm, line.size_pt,
                                        line.style, line.align, line.underline_mm))
        self.y += offset

    def _flush(self) -> None:
        self.pages.append(PageLayout(tuple(self._lines), tuple(self._shapes), self._signature))
        self._lines, self._shapes, self._signature = [], [], None

    def finish(self) -> tuple[PageLayout, ...]:
        self._flush()
        return tuple(self.pages)

    def ensure(self, height: float) -> None:
        if self.y + height > self.bottom and self.y > self.s.top + 30:
            self.new_page()

    def space(self, mm: float) -> None:
        self.y += mm

    # -- text
    def wrap(self, text: str, width: float, style: str, size: float, first_indent: float = 0.0) -> list[str]:
        words = nfc(text).split()
        lines: list[str] = []
        current = ""
        limit = width - first_indent
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and text_width_mm(trial, style, size) > limit * 0.99:
                lines.append(current)
                current = word
                limit = width
            else:
                current = trial
        if current:
            lines.append(current)
        return lines

    def paragraph(
        self,
        text: str,
        *,
        style: str = "regular",
        size: float | None = None,
        align: str | None = None,
        indent: float | None = None,
        hanging: float = 0.0,
        gap: float | None = None,
    ) -> None:
        size = size or self.s.body_pt
        align = align or ("justify" if self.s.justify else "left")
        indent = self.s.indent if indent is None else indent
        width = self.s.text_width
        lines = self.wrap(text, width - hanging, style, size, first_indent=indent)
        height = self._line_height(size)
        for index, line in enumerate(lines):
            self.ensure(height)
            last = index == len(lines) - 1
            x = self.s.left + (indent if index == 0 else hanging)
            w = width - (indent if index == 0 else hanging)
            line_align = align
            if align == "justify" and last:
                line_align = "left"
            if align in ("center", "right"):
                x, w = self.s.left, width
            self._lines.append(TextLine(line, x, self.y, w, size, style, line_align))
            self.y += height
        self.y += self.s.paragraph_gap if gap is None else gap

    def centered(self, text: str, *, style: str = "bold", size: float | None = None, gap: float = 0.5,
                 underline: float = 0.0) -> None:
        size = size or self.s.body_pt
        for line in self.wrap(text, self.s.text_width * 0.9, style, size):
            self.ensure(self._line_height(size))
            self._lines.append(TextLine(line, self.s.left, self.y, self.s.text_width, size, style, "center",
                                        underline))
            self.y += self._line_height(size)
        self.y += gap

    def field(self, label: str, value: str, **kwargs) -> None:
        """A "Label: value" line of a certificate or form (tighter spacing than body paragraphs)."""
        kwargs.setdefault("gap", self.s.paragraph_gap * 0.5)
        self.paragraph(f"{label}: {value}" if value else label, indent=0.0, hanging=0.0, align="left", **kwargs)

    # -- two-column blocks (header, signature)
    def columns(
        self,
        left: Sequence[Cell],
        right: Sequence[Cell],
        *,
        left_box: tuple[float, float],
        right_box: tuple[float, float],
        signature_after: int | None = None,
        keep_together: bool = True,
    ) -> None:
        """Two columns side by side on one grid of rows.

        Tesseract (psm 3) does not split short two-column blocks into columns: it reads each row
        across both, so the ground truth joins a row's left and right text with a space. Keeping
        both columns on the same row pitch makes those rows exact. ``signature_after`` is the index
        of the right cell after which the gap for the signature and seal starts."""
        sizes = [cell.size or self.s.header_pt for cell in (*left, *right)]
        pitch = max(sizes) * MM_PER_PT * 1.35
        rows: dict[int, list[TextLine]] = {}
        signature = None
        for column, (cells, (x, w)) in enumerate(((left, left_box), (right, right_box))):
            row = 0
            for index, cell in enumerate(cells):
                size = cell.size or self.s.header_pt
                row += cell.skip
                if column == 1 and signature_after is not None and index == signature_after + 1:
                    signature = (x + w * 0.15, (row - cell.skip) * pitch, w * 0.7, cell.skip * pitch)
                for text in self.wrap(cell.text, w, cell.style, size):
                    underline = 0.0
                    if cell.underline:
                        underline = text_width_mm(text, cell.style, size) * (1.0 if column == 1 else 0.45)
                    rows.setdefault(row, []).append(TextLine(text, x, row * pitch, w, size, cell.style, cell.align,
                                                             underline))
                    row += 1
        height = (max(rows) + 1) * pitch if rows else 0.0
        if keep_together and self.y + height > self.bottom:
            self.new_page_carrying(3)
        for row in sorted(rows):
            for position, line in enumerate(rows[row]):
                self._lines.append(TextLine(line.text, line.x_mm, line.y_mm + self.y, line.width_mm, line.size_pt,
                                            line.style, line.align, line.underline_mm, joined=position > 0))
        if signature:
            sx, sy, sw, sh = signature
            self._signature = (sx, sy + self.y, sw, sh)
        self.y += height

    def shape(self, kind: str, x: float, y: float, w: float, h: float, grey: int = 0) -> None:
        self._shapes.append(Shape(kind, x, y, w, h, grey))

    def absolute(self, line: TextLine) -> None:
        self._lines.append(line)
