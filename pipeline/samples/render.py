"""Clean page images: laid-out pages drawn in Liberation Serif with Pillow at a given dpi."""

from __future__ import annotations

from PIL import Image, ImageDraw

from pipeline.samples.documents import SampleDocument
from pipeline.samples.fonts import load_font
from pipeline.samples.pages import A4_MM, PageLayout


def mm_to_px(mm: float, dpi: int) -> int:
    return int(round(mm / 25.4 * dpi))


def render_page(page: PageLayout, *, dpi: int = 300) -> Image.Image:
    size = (mm_to_px(A4_MM[0], dpi), mm_to_px(A4_MM[1], dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for shape in page.shapes:
        box = [mm_to_px(shape.x_mm, dpi), mm_to_px(shape.y_mm, dpi), mm_to_px(shape.x_mm + shape.w_mm, dpi),
               mm_to_px(shape.y_mm + shape.h_mm, dpi)]
        if shape.kind == "rect":
            draw.rounded_rectangle(box, radius=mm_to_px(2.5, dpi), outline=shape.grey, width=max(1, mm_to_px(0.3, dpi)))
        elif shape.kind == "fill":
            draw.rectangle(box, fill=shape.grey)
        else:
            draw.rectangle(box, fill=shape.grey)
    for line in page.lines:
        font = load_font(line.style, max(6, int(round(line.size_pt * dpi / 72))))
        x0, y0, width = mm_to_px(line.x_mm, dpi), mm_to_px(line.y_mm, dpi), mm_to_px(line.width_mm, dpi)
        text_w = font.getlength(line.text)
        words = line.text.split(" ")
        if line.align == "justify" and len(words) > 1:
            widths = [font.getlength(w) for w in words]
            gap = (width - sum(widths)) / (len(words) - 1)
            if gap < font.getlength(" ") * 3:
                x = float(x0)
                for word, w in zip(words, widths):
                    draw.text((x, y0), word, font=font, fill=0, anchor="la")
                    x += w + gap
            else:
                draw.text((x0, y0), line.text, font=font, fill=0, anchor="la")
            text_x = x0
        else:
            if line.align == "center":
                text_x = x0 + (width - text_w) / 2
            elif line.align == "right":
                text_x = x0 + width - text_w
            else:
                text_x = x0
            draw.text((text_x, y0), line.text, font=font, fill=0, anchor="la")
        if line.underline_mm:
            ascent, descent = font.getmetrics()
            uy = y0 + ascent + descent + mm_to_px(0.6, dpi)
            cx = x0 + width / 2
            half = mm_to_px(line.underline_mm, dpi) / 2
            draw.line([(cx - half, uy), (cx + half, uy)], fill=0, width=max(1, mm_to_px(0.25, dpi)))
    return image


def render_pages(document: SampleDocument, *, dpi: int = 300) -> list[tuple[Image.Image, str]]:
    """Clean page images ("L", A4 at ``dpi``) and the ground-truth text of each."""
    return [(render_page(page, dpi=dpi), page.text) for page in document.pages]
