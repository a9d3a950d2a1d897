"""PDFs the PDF-input tests share: a born-digital decision with a real text layer, a scan as
scanners wrap it in a PDF, blank pages."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from fpdf import FPDF
from PIL import Image

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


def image_pdf(image: Image.Image, page_size: tuple[float, float], **page_keys) -> bytes:
    """A one-page scanned PDF: the JPEG drawn over the whole MediaBox, as scanners write them;
    ``page_keys`` are set on the page (``UserUnit=10``, ``CropBox=pikepdf.Array(…)``)."""
    pdf = pikepdf.new()
    width, height = page_size
    page = pdf.add_blank_page(page_size=page_size)
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=85)
    jpeg = pikepdf.Stream(pdf, encoded.getvalue())
    jpeg.Type, jpeg.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    jpeg.Width, jpeg.Height = image.width, image.height
    jpeg.ColorSpace = pikepdf.Name.DeviceGray if image.mode == "L" else pikepdf.Name.DeviceRGB
    jpeg.BitsPerComponent, jpeg.Filter = 8, pikepdf.Name.DCTDecode
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=jpeg))
    page.obj.Contents = pikepdf.Stream(pdf, f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode())
    for key, value in page_keys.items():
        page.obj[pikepdf.Name("/" + key)] = value
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def blank_pdf(pages: int) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF written object by object (object 1 the catalog), with a correct cross-reference
    table, so its structure can be exactly as odd as a real file's."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
