"""Page images for people to look at: a page's own JPEG taken out of the searchable PDF (no
re-encoding), or a rendering when the page has none, and thumbnails. Bytes in, bytes out."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from PIL import Image

VIEW_DPI = 110  # a rendering of a page without its own image (born-digital PDFs)
THUMB_WIDTH = 200
JPEG_QUALITY = 80


@dataclass(frozen=True)
class PageImage:
    jpeg: bytes
    reencoded: bool  # False: the page's own image stream, byte for byte


def page_jpeg(pdf: bytes, page: int) -> PageImage:
    """Page ``page`` (from 1) as a JPEG: the scanned page's own image when the page is one JPEG
    image (what sohoa's PDF/A pages are), else the page rendered at VIEW_DPI."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        if not 1 <= page <= len(document.pages):
            raise IndexError(f"page {page} of {len(document.pages)}")
        images = list(document.pages[page - 1].get_images().values())
        if len(images) == 1 and images[0].get("/Filter") == pikepdf.Name.DCTDecode \
                and not document.pages[page - 1].obj.get("/Rotate"):
            return PageImage(images[0].read_raw_bytes(), reencoded=False)
    return PageImage(_rendered(pdf, page), reencoded=True)


def _rendered(pdf: bytes, page: int) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page - 1].render(scale=VIEW_DPI / 72)
        image = bitmap.to_pil().convert("RGB")
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def thumbnail(jpeg: bytes, width: int = THUMB_WIDTH) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as image:
        image.draft("RGB", (width, width * 2))  # JPEG decodes at a fraction of its size: cheap
        small = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
    small.thumbnail((width, width * 4))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
