"""A laid-out page: its visible lines and text-free marks placed in mm on A4, and its ground truth."""

from __future__ import annotations

from dataclasses import dataclass

A4_MM = (210.0, 297.0)


@dataclass(frozen=True)
class TextLine:
    """One visible line, placed in mm on an A4 page; ``x_mm``/``width_mm`` is the alignment box."""

    text: str
    x_mm: float
    y_mm: float  # top of the line box
    width_mm: float
    size_pt: float
    style: str = "regular"  # regular | bold | italic | bold_italic
    align: str = "left"  # left | center | right | justify
    underline_mm: float = 0.0  # a rule of this length centred under the line (Decree 30 headings)
    joined: bool = False  # read on the same text line as the previous one (a row across two columns)


@dataclass(frozen=True)
class Shape:
    """A drawn, text-free mark: ``rect`` outline, ``fill`` box (photo placeholder) or ``hline``."""

    kind: str
    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float
    grey: int = 0


@dataclass(frozen=True)
class PageLayout:
    lines: tuple[TextLine, ...]  # in ground-truth (reading) order
    shapes: tuple[Shape, ...] = ()
    signature_box_mm: tuple[float, float, float, float] | None = None  # x, y, w, h of the gap

    @property
    def text(self) -> str:
        """The ground truth: lines in reading order, a row across two columns read as one line."""
        out: list[str] = []
        for line in self.lines:
            if line.joined and out:
                out[-1] += " " + line.text
            else:
                out.append(line.text)
        return "\n".join(out)
