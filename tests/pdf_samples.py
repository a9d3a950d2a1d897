"""PDFs the PDF-input tests share: a born-digital decision with a real text layer."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
DECISION_TEXT = [
    "ỦY BAN NHÂN DÂN",
    "PHƯỜNG PHƯỚC BÌNH",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ cho bà Nguyễn Thị Lấp Lánh Ánh",
    "Điều 1. Cho phép xây dựng công trình nhà ở riêng lẻ tại thửa đất số 125.",
]


def born_digital_pdf(lines: list[str]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("LiberationSerif", "", str(FONT_DIR / "LiberationSerif-Regular.ttf"))
    pdf.set_font("LiberationSerif", size=13)
    pdf.add_page()
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
