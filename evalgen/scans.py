"""Paper to pixels: scanner, photocopier and phone-camera damage, and card placement.

Every function takes an RGB uint8 array and a random stream and returns a new array. The page's
quarter turn is applied last and recorded (clockwise degrees, the product's convention).
"""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
from PIL import Image

from evalgen.canvas import Sheet


def to_array(sheet: Sheet) -> np.ndarray:
    return np.asarray(sheet.image, dtype=np.uint8).copy()


def rotate_quarter(image: np.ndarray, degrees_cw: int) -> np.ndarray:
    """Turn the content ``degrees_cw`` clockwise (what a page fed the wrong way looks like)."""
    k = (degrees_cw // 90) % 4
    return np.ascontiguousarray(np.rot90(image, -k)) if k else image


def skew(image: np.ndarray, degrees: float, fill: int = 255) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(fill, fill, fill))


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0.05 else image


def noise(image: np.ndarray, rng: random.Random, amount: float) -> np.ndarray:
    gen = np.random.default_rng(rng.randrange(2**32))
    out = image.astype(np.int16) + gen.normal(0, amount, image.shape[:2])[..., None].astype(np.int16)
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def grey(image: np.ndarray) -> np.ndarray:
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.repeat(g[..., None], 3, axis=2)


def colour_scan(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A colour flatbed scan: warm paper, slight blur and noise, a small skew."""
    tint = np.array([rng.randint(240, 252), rng.randint(236, 248), rng.randint(222, 240)], dtype=np.float32)
    out = image.astype(np.float32) * (tint / 255.0)
    out = skew(out.clip(0, 255).astype(np.uint8), rng.uniform(-2.5, 2.5), fill=int(tint.mean()))
    return noise(blur(out, rng.uniform(0.3, 0.9)), rng, rng.uniform(2, 5))


def grey_scan(image: np.ndarray, rng: random.Random) -> np.ndarray:
    out = skew(grey(image), rng.uniform(-3.0, 3.0))
    return noise(blur(out, rng.uniform(0.3, 1.1)), rng, rng.uniform(2, 6))


def photocopy(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A copier's output: grey, high contrast, thin strokes broken, toner specks, dark edge bands."""
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gamma = rng.uniform(1.3, 2.2)
    g = 255.0 * (g / 255.0) ** gamma
    g = np.where(g > rng.uniform(200, 230), 255.0, g * rng.uniform(0.75, 0.95))
    out = np.clip(g, 0, 255).astype(np.uint8)
    gen = np.random.default_rng(rng.randrange(2**32))
    specks = gen.random(out.shape) < rng.uniform(0.0002, 0.0012)
    out[specks] = gen.integers(0, 90, int(specks.sum()), dtype=np.uint8)
    h, w = out.shape
    if rng.random() < 0.6:
        band = max(2, int(w * rng.uniform(0.004, 0.015)))
        side = rng.choice([0, 1])
        if side:
            out[:, w - band:] = np.minimum(out[:, w - band:], rng.randint(30, 90))
        else:
            out[:, :band] = np.minimum(out[:, :band], rng.randint(30, 90))
    out = skew(np.repeat(out[..., None], 3, axis=2), rng.uniform(-2.0, 2.0))
    return blur(out, rng.uniform(0.2, 0.8))


def phone_photo(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A photo taken with a phone: the paper on a darker table, seen in perspective, lit unevenly."""
    h, w = image.shape[:2]
    pad = int(0.08 * max(h, w))
    table = np.array([rng.randint(60, 140), rng.randint(50, 120), rng.randint(40, 100)], dtype=np.uint8)
    canvas = np.empty((h + 2 * pad, w + 2 * pad, 3), dtype=np.uint8)
    canvas[:] = table
    canvas[pad:pad + h, pad:pad + w] = image
    H, W = canvas.shape[:2]
    j = 0.045
    src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
    dst = np.float32([[x + rng.uniform(-j, j) * W, y + rng.uniform(-j, j) * H] for x, y in src])
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(canvas, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=tuple(int(c) for c in table))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    cx, cy = rng.uniform(0, W), rng.uniform(0, H)
    dist = np.sqrt(((xx - cx) / W) ** 2 + ((yy - cy) / H) ** 2)
    light = 1.05 - rng.uniform(0.25, 0.45) * dist
    out = np.clip(out.astype(np.float32) * light[..., None], 0, 255).astype(np.uint8)
    out = noise(blur(out, rng.uniform(0.5, 1.3)), rng, rng.uniform(3, 7))
    return jpeg(out, rng.randint(55, 85))


def on_a4(front: np.ndarray, back: np.ndarray, dpi: int, rng: random.Random) -> np.ndarray:
    """Both sides of a card placed on one white A4 page, as a photocopy counter does."""
    W, H = int(210 / 25.4 * dpi), int(297 / 25.4 * dpi)
    page = np.full((H, W, 3), 255, dtype=np.uint8)
    ch, cw = front.shape[:2]
    side_by_side = rng.random() < 0.25 and 2 * cw + 60 < W
    x0 = int(rng.uniform(0.15, 0.45) * (W - cw)) if not side_by_side else int(0.05 * W)
    y0 = int(rng.uniform(0.05, 0.2) * H)
    page[y0:y0 + ch, x0:x0 + cw] = front
    if side_by_side:
        x1, y1 = x0 + cw + int(0.05 * W), y0
    else:
        x1 = max(0, min(W - cw, x0 + int(rng.uniform(-0.05, 0.05) * W)))
        y1 = y0 + ch + int(rng.uniform(0.04, 0.15) * H)
    page[y1:y1 + ch, x1:x1 + cw] = back
    return page


def on_scanner_bed(card: np.ndarray, rng: random.Random) -> np.ndarray:
    """A card scanned alone: a margin of the bed's lid around it, a small tilt."""
    h, w = card.shape[:2]
    m = int(0.12 * w)
    bed = np.full((h + 2 * m, w + 2 * m, 3), rng.randint(225, 250), dtype=np.uint8)
    bed[m:m + h, m:m + w] = card
    return skew(bed, rng.uniform(-4, 4), fill=int(bed[0, 0, 0]))


def encode(image: np.ndarray, fmt: str, dpi: int, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    pil = Image.fromarray(image)
    if fmt == "jpeg":
        pil.save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    else:
        pil.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def encode_multipage(images: list[np.ndarray], fmt: str, dpi: int) -> bytes:
    """Several pages as one multi-page TIFF or one scanned PDF."""
    buffer = io.BytesIO()
    pils = [Image.fromarray(i) for i in images]
    if fmt == "pdf":
        pils[0].save(buffer, "PDF", resolution=float(dpi), save_all=True, append_images=pils[1:], quality=88)
    else:
        pils[0].save(buffer, "TIFF", dpi=(dpi, dpi), save_all=True, append_images=pils[1:], compression="tiff_lzw")
    return buffer.getvalue()
