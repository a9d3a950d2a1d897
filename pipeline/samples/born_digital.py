"""Born-digital PDFs: the laid-out pages written with a real text layer (fpdf2), as an office
exports them from a word processor.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.samples.documents import SampleDocument
from pipeline.samples.fonts import FONT_DIR, FONT_FILES, MM_PER_PT


def write_born_digital_pdf(path: Path, document: SampleDocument) -> None:
    """A PDF with a real text layer, as an office exports it from a word processor."""
    from fpdf import FPDF
    from fpdf.enums import Align

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    styles = {"regular": "", "bold": "B", "italic": "I", "bold_italic": "BI"}
    for style, suffix in styles.items():
        pdf.add_font("LiberationSerif", suffix, str(FONT_DIR / FONT_FILES[style]))
    for page in document.pages:
        pdf.add_page()
        for shape in page.shapes:
            if shape.kind == "rect":
                pdf.set_line_width(0.3)
                pdf.rect(shape.x_mm, shape.y_mm, shape.w_mm, shape.h_mm)
            else:
                pdf.set_fill_color(shape.grey)
                pdf.rect(shape.x_mm, shape.y_mm, shape.w_mm, shape.h_mm, style="F")
        for line in page.lines:
            pdf.set_font("LiberationSerif", styles[line.style], line.size_pt)
            height = line.size_pt * MM_PER_PT * 1.15
            align = {"left": Align.L, "center": Align.C, "right": Align.R, "justify": Align.J}[line.align]
            pdf.set_xy(line.x_mm, line.y_mm)
            if line.align == "justify":
                pdf.multi_cell(line.width_mm, height, line.text, align=Align.J, new_x="LEFT", new_y="NEXT")
                # fpdf leaves the last (only) line of a multi_cell unjustified: stretch it by word spacing
            else:
                pdf.cell(line.width_mm, height, line.text, align=align)
            if line.underline_mm:
                cx = line.x_mm + line.width_mm / 2
                uy = line.y_mm + height + 0.4
                pdf.set_line_width(0.25)
                pdf.line(cx - line.underline_mm / 2, uy, cx + line.underline_mm / 2, uy)
    pdf.output(str(path))
