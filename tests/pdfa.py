"""Small PDF/A results as the pipeline makes them, for the signing tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.stages.assemble import (
    AssembleSettings,
    ImageSettings,
    PdfMetadata,
    PdfPage,
    assemble_pdf,
    encode_page_image,
)


def page_pdf(pages: int = 1, seed: int = 0) -> bytes:
    """A small PDF/A as the pipeline makes it (page image, no OCR), 100 dpi A4, text only in the
    middle of the page so the margins where marks go are blank paper."""
    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", 18)
    rendered = []
    for number in range(pages):
        image = Image.new("L", (827, 1169), 255)
        draw = ImageDraw.Draw(image)
        for line in range(18):
            draw.text((110, 250 + 34 * line),
                      f"Giấy phép xây dựng số {seed}-{number}-{line}: nhà ở riêng lẻ", font=font, fill=0)
        encoded = encode_page_image(np.array(image), 100, ImageSettings())
        rendered.append(PdfPage(encoded, [], 100))
    return assemble_pdf(rendered, PdfMetadata(title="Giấy phép xây dựng",
                                              created=datetime(2026, 11, 23, tzinfo=UTC)),
                        AssembleSettings())
