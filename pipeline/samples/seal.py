"""The signer's blue strokes in the signature gap and the office's red round seal over them, added to
a rendered page before it is scanned.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from pipeline.samples.fonts import load_font
from pipeline.samples.pages import PageLayout
from pipeline.samples.render import mm_to_px


def _signature_strokes(draw: ImageDraw.ImageDraw, rng: np.random.Generator, box: tuple[int, int, int, int],
                       colour, width: int) -> None:
    x, y, w, h = box
    points = []
    n = int(rng.integers(12, 25))
    for i in range(n):
        t = i / (n - 1)
        px = x + w * (0.1 + 0.8 * t) + rng.normal(0, w * 0.03)
        py = y + h * (0.5 + 0.3 * math.sin(t * rng.uniform(6, 14))) + rng.normal(0, h * 0.08)
        points.append((px, py))
    draw.line(points, fill=colour, width=width, joint="curve")
    sx = x + w * rng.uniform(0.2, 0.6)
    draw.line([(sx, y + h * 0.8), (sx + w * rng.uniform(0.2, 0.4), y + h * rng.uniform(0.2, 0.4))], fill=colour, width=width)


def add_seal_and_signature(image: Image.Image, page: PageLayout, rng: np.random.Generator, *, dpi: int,
                           issuer: str = "") -> Image.Image:
    """The blue signature strokes in the signer's gap and the red seal overlapping its left third."""
    if page.signature_box_mm is None:
        return image
    page_rgb = image.convert("RGB")
    stamp = Image.new("RGB", page_rgb.size, (255, 255, 255))
    draw = ImageDraw.Draw(stamp)
    x, y, w, h = page.signature_box_mm
    box = (mm_to_px(x, dpi), mm_to_px(y, dpi), mm_to_px(w, dpi), mm_to_px(h, dpi))
    _signature_strokes(draw, rng, box, (30, 50, 160), max(2, mm_to_px(0.5, dpi)))
    if issuer and rng.random() < 0.85:
        radius = mm_to_px(rng.uniform(16, 19), dpi)
        cx = box[0] + int(box[2] * rng.uniform(0.05, 0.25))
        cy = box[1] + box[3] // 2 + int(rng.normal(0, box[3] * 0.1))
        red = (int(rng.integers(180, 225)), 30, 45)
        ring = max(2, mm_to_px(0.6, dpi))
        for r in (radius, radius - mm_to_px(1.0, dpi), int(radius * 0.62)):
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=ring)
        star = [(cx + radius * 0.3 * (1 if i % 2 == 0 else 0.45) * math.cos(math.pi / 2 + i * math.pi / 5),
                 cy - radius * 0.3 * (1 if i % 2 == 0 else 0.45) * math.sin(math.pi / 2 + i * math.pi / 5)) for i in range(10)]
        draw.polygon(star, fill=red)
        _arc_text(stamp, issuer, (cx, cy), int(radius * 0.81), red, mm_to_px(2.6, dpi))
    return Image.fromarray(np.minimum(np.asarray(page_rgb), np.asarray(stamp)))


def _arc_text(image: Image.Image, text: str, centre: tuple[int, int], radius: int, colour, size: int) -> None:
    font = load_font("bold", max(6, size))
    chars = list(text)
    span = min(300.0, 12.0 * len(chars))
    for index, char in enumerate(chars):
        angle = -span / 2 + span * index / max(1, len(chars) - 1)  # degrees from the top, clockwise
        tile = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(tile).text((size, size), char, font=font, fill=255, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.BILINEAR)
        theta = math.radians(angle)
        px = int(centre[0] + radius * math.sin(theta)) - size
        py = int(centre[1] - radius * math.cos(theta)) - size
        image.paste(Image.new("RGB", tile.size, colour), (px, py), tile)
