"""Building blocks of Decree 30 papers and civil-status forms, on a `Sheet`.

A `Writer` keeps a cursor down an A4 page and knows the common parts: the two-column heading
(issuing body left, national motto right), the place-and-date line under the motto, the centred
title, label-value lines (dotted leaders or not), two-column rows, tables, the signature block
and the "Nơi nhận" list. Wording and spacing vary with the writer's random stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from evalgen.canvas import Sheet, Style

A4 = (210.0, 297.0)
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


@dataclass
class Writer:
    sheet: Sheet
    rng: random.Random
    style: Style
    left: float = 22.0
    right: float = 190.0
    y: float = 14.0

    @property
    def width(self) -> float:
        return self.right - self.left

    def s(self, **changes) -> Style:
        return replace(self.style, **changes)

    def gap(self, mm: float) -> None:
        self.y += mm

    def line(self, text: str, *, x: float | None = None, align: str = "left", **style) -> None:
        st = self.s(**style)
        if align == "center" and x is None:
            x = (self.left + self.right) / 2
        elif align == "right" and x is None:
            x = self.right
        self.y += self.sheet.text(self.left if x is None else x, self.y, text, st, align) * 1.15

    def para(self, text: str, indent: float = 10.0, **style) -> None:
        self.y = self.sheet.paragraph(self.left, self.y, self.width, text, self.s(**style), indent_mm=indent) + 0.8

    def field(self, label: str, value: str, *, dots: bool = False, value_bold: bool = False,
              x: float | None = None, same_line: bool = True) -> None:
        """``label value`` on one line, or the value on the next line under the label."""
        x = self.left if x is None else x
        st = self.s()
        full = self.sheet.width_of(f"{label} {value}", self.s(bold=value_bold))
        if same_line and x == self.left and full > self.width:
            self.para(f"{label} {value}", indent=0)
            return
        if not same_line:
            self.line(label, x=x)
            self.line(value, x=x + 4.0, bold=value_bold)
            return
        self.sheet.text(x, self.y, label, st, record=False)
        lw = self.sheet.width_of(label + " ", st)
        vst = self.s(bold=value_bold)
        self.sheet.text(x + lw, self.y, value, vst, record=False)
        if dots:
            vw = self.sheet.width_of(value + " ", vst)
            dot_x = x + lw + vw
            n = int((self.right - dot_x) / max(0.1, self.sheet.width_of(".", st)))
            if n > 3:
                self.sheet.text(dot_x, self.y, "." * n, self.s(ink=(90, 90, 90)), record=False)
        self.sheet.lines.append((self.y, x, f"{label} {value}"))
        self.y += self.sheet.text(x, self.y, "", st, record=False) * 1.12

    def pair(self, items: list[tuple[str, str]], *, dots: bool = False) -> None:
        """Two or three label-value items on one line, at fixed columns."""
        y0 = self.y
        step = self.width / len(items)
        for i, (label, value) in enumerate(items):
            self.y = y0
            self.field(label, value, dots=False, x=self.left + i * step)
        self.y = max(self.y, y0 + 6.0)

    def heading(self, body_lines: list[str], number: str | None, date_line: str | None, *,
                left_width: float = 78.0, number_label: str = "Số:") -> None:
        """Decree 30 heading: issuing body (its parent above) and number left, motto and the
        place-and-date line right."""
        top = self.y
        cx_left = self.left + left_width / 2
        cx_right = (self.left + left_width + self.right) / 2 + 4
        size = self.style.size
        y = top
        for i, text in enumerate(body_lines):
            y += self.sheet.text(cx_left, y, text, self.s(size=size - 0.5, bold=i == len(body_lines) - 1),
                                 "center") * 1.05
        self.sheet.rule(cx_left - 12, y + 0.6, cx_left + 12, y + 0.6, 0.25)
        y += 3.0
        if number:
            y += self.sheet.text(cx_left, y, f"{number_label} {number}", self.s(size=size - 0.5), "center")
        y2 = top
        y2 += self.sheet.text(cx_right, y2, NATION, self.s(size=size - 0.8, bold=True), "center") * 1.05
        y2 += self.sheet.text(cx_right, y2, MOTTO, self.s(size=size, bold=True), "center")
        motto_w = self.sheet.width_of(MOTTO, self.s(size=size, bold=True))
        self.sheet.rule(cx_right - motto_w / 2, y2 + 0.4, cx_right + motto_w / 2, y2 + 0.4, 0.25)
        y2 += 3.5
        if date_line:
            y2 += self.sheet.text(cx_right, y2, date_line, self.s(size=size - 0.5, italic=True), "center")
        self.y = max(y, y2) + 6.0

    def national_only(self) -> None:
        self.line(NATION, align="center", bold=True, size=self.style.size - 0.5)
        motto_w = self.sheet.width_of(MOTTO, self.s(bold=True))
        self.line(MOTTO, align="center", bold=True)
        cx = (self.left + self.right) / 2
        self.sheet.rule(cx - motto_w / 2, self.y - 0.8, cx + motto_w / 2, self.y - 0.8, 0.25)
        self.gap(5.0)

    def title(self, text: str, subtitle: str | None = None, size: float | None = None) -> None:
        self.line(text, align="center", bold=True, size=size or self.style.size + 3.5)
        if subtitle:
            self.line(subtitle, align="center", bold=True, size=self.style.size)
        self.gap(3.0)

    def signature(self, position: list[str], signer: str, *, date_line: str | None = None,
                  x: float | None = None) -> None:
        cx = x if x is not None else self.right - 40
        if date_line:
            self.line(date_line, x=cx, align="center", italic=True)
        for i, text in enumerate(position):
            self.line(text, x=cx, align="center", bold=True)
        self.gap(4.0)
        # a blue signature scrawl and a red seal ring over it (coloured marks the OCR copy drops)
        y = self.y
        pts = [(cx - 14 + 4 * i, y + self.rng.uniform(0, 7)) for i in range(8)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            self.sheet.rule(x0, y0, x1, y1, 0.45, (40, 60, 170))
        if self.rng.random() < 0.7:
            self.sheet.ellipse(cx - 34, y - 8, cx - 6, y + 18, (200, 40, 40), 0.9)
        self.gap(16.0)
        self.line(signer, x=cx, align="center", bold=True)

    def recipients(self, items: list[str]) -> None:
        self.line("Nơi nhận:", bold=True, italic=True, size=self.style.size - 1)
        for item in items:
            self.line(f"- {item};", size=self.style.size - 2)

    def table(self, columns: list[float], rows: list[list[str]], *, header: bool = True,
              row_height: float = 8.0) -> None:
        """A ruled table; ``columns`` are widths in mm; text printed in each cell's left."""
        x_edges = [self.left]
        for w in columns:
            x_edges.append(x_edges[-1] + w)
        y = self.y
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                st = self.s(size=self.style.size - 1, bold=header and r == 0)
                self.sheet.text(x_edges[c] + 1.5, y + 1.5, cell, st)
            self.sheet.rule(x_edges[0], y, x_edges[-1], y, 0.25)
            y += row_height
        self.sheet.rule(x_edges[0], y, x_edges[-1], y, 0.25)
        for x in x_edges:
            self.sheet.rule(x, self.y, x, y, 0.25)
        self.y = y + 4.0
