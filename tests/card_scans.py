"""A chip CCCD's front and back photocopied on one A4 page, rendered with Liberation fonts (the
back's machine-readable zone in Liberation Mono), for the end-to-end card tests."""

from __future__ import annotations

from datetime import date

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipeline.stages.extract.mrz import td1_lines

FONTS = "/usr/share/fonts/truetype/liberation2"
DPI = 300


def _font(name: str, pt: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{FONTS}/{name}.ttf", int(pt * DPI / 72))


def card_on_a4(*, personal_id: str, name: str, surname_ascii: str, given_ascii: str, birth: date, sex: str,
               expiry: date, issued: date, seed: int = 0) -> np.ndarray:
    """Greyscale A4 page at 300 dpi: the card's front (bilingual labels) above its back (zone)."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", (2480, 3508), 250)
    draw = ImageDraw.Draw(page)
    x, y = 300, 260
    draw.rounded_rectangle((x - 40, y - 40, x + 1400, y + 900), radius=40, outline=120, width=4)
    regular, bold = _font("LiberationSans-Regular", 9), _font("LiberationSans-Bold", 10)
    front = [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold), ("CĂN CƯỚC CÔNG DÂN", bold),
             (f"Số / No.: {personal_id}", bold), ("Họ và tên / Full name:", regular), (name.upper(), bold),
             (f"Ngày sinh / Date of birth: {birth:%d/%m/%Y}", regular),
             (f"Giới tính / Sex: {sex}    Quốc tịch / Nationality: Việt Nam", regular),
             (f"Có giá trị đến / Date of expiry: {expiry:%d/%m/%Y}", regular)]
    for text, font in front:
        draw.text((x + 380 if font is regular or text.startswith("Số") or text.isupper() else x, y), text,
                  font=font, fill=20)
        y += 95
    draw.rectangle((x, 480, x + 330, 900), outline=90, width=3)  # the photo
    y += 260
    draw.rounded_rectangle((x - 40, y - 40, x + 1400, y + 900), radius=40, outline=120, width=4)
    draw.text((x, y), "Đặc điểm nhân dạng / Personal identification: Nốt ruồi", font=regular, fill=20)
    draw.text((x, y + 95), f"Ngày, tháng, năm / Date, month, year: {issued:%d/%m/%Y}", font=regular, fill=20)
    mono = _font("LiberationMono-Regular", 11)
    zy = y + 560
    for line in td1_lines(personal_id, birth, sex, expiry, surname_ascii, given_ascii):
        draw.text((x, zy), line, font=mono, fill=15)
        zy += 100
    image = page.filter(ImageFilter.GaussianBlur(0.8))
    noise = rng.normal(0, 6, (image.height, image.width))
    return np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
