"""Office-scan damage for a clean page: skew, rotation, ink and paper tone, uneven light,
bleed-through, punch holes, dust, dark borders from an open scanner lid, sensor noise, blur, JPEG.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

SEVERITIES = ("light", "medium", "heavy")
_TRANSPOSE_FOR_ROTATION = {  # content appears rotated clockwise by the key
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
UPRIGHT_TRANSPOSE = {  # undo a clockwise rotation: rotate the image counter-clockwise
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], strength: float) -> np.ndarray:
    """A smooth multiplicative illumination field around 1.0 (a gradient plus an off-centre vignette)."""
    h, w = shape
    yy, xx = np.mgrid[0:1:complex(0, 24), 0:1:complex(0, 17)]
    angle = rng.uniform(0, 2 * math.pi)
    gradient = (xx - 0.5) * math.cos(angle) + (yy - 0.5) * math.sin(angle)
    cx, cy = rng.uniform(0.2, 0.8, size=2)
    vignette = (xx - cx) ** 2 + (yy - cy) ** 2
    small = 1.0 - strength * (rng.uniform(0.3, 1.0) * (gradient + 0.5) + rng.uniform(0, 1.0) * vignette)
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Sensor noise: a seeded 512-pixel tile of Gaussian noise repeated from a random offset
    (drawing 9 million normals per page would cost more than the rest of the damage together)."""
    h, w = shape
    tile = rng.standard_normal((512, 512), dtype=np.float32) * sigma
    oy, ox = (int(v) for v in rng.integers(0, 512, size=2))
    reps = (math.ceil((h + oy) / 512), math.ceil((w + ox) / 512))
    return np.tile(tile, reps)[oy: oy + h, ox: ox + w]


def _border_mask(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray | None:
    """Dark bands on one or more edges, as when the scanner lid is left open; 1.0 = band."""
    h, w = shape
    edges = [e for e in ("top", "bottom", "left", "right") if rng.random() < 0.45] or [str(rng.choice(["left", "top"]))]
    mask = np.zeros((h, w), np.float32)
    for edge in edges:
        across = h if edge in ("left", "right") else w
        depth = int(rng.uniform(0.004, 0.035) * (w if edge in ("left", "right") else h)) + 2
        ragged = depth * (1 + rng.uniform(0.03, 0.12) * np.sin(np.linspace(0, rng.uniform(1, 4), across) + rng.uniform(0, 6)))
        band = (np.arange(int(ragged.max()) + 1)[None, :] < ragged[:, None]).astype(np.float32)  # across x depth
        d = band.shape[1]
        if edge == "left":
            mask[:, :d] = np.maximum(mask[:, :d], band)
        elif edge == "right":
            mask[:, w - d:] = np.maximum(mask[:, w - d:], band[:, ::-1])
        elif edge == "top":
            mask[:d] = np.maximum(mask[:d], band.T)
        else:
            mask[h - d:] = np.maximum(mask[h - d:], band.T[::-1])
    return mask


def degrade(
    image: Image.Image,
    rng: np.random.Generator,
    *,
    skew: float | None = None,
    rotation: int | None = None,
    colour: bool | None = None,
    severity: str = "mixed",
    max_skew: float = 5.0,
) -> tuple[Image.Image, float, int]:
    """Office-scan damage for a clean page.

    Returns the image ("L", or "RGB" when ``colour``), the skew applied (degrees counter-clockwise)
    and the rotation (degrees the content appears turned clockwise). ``None`` draws at random;
    ``severity`` is "light", "medium", "heavy", "none" (geometry only) or "mixed" (drawn).

    The helpers draw from ``rng`` in the order this function calls them; that order is what makes
    a seed give the same scan, so a new kind of damage draws after the existing ones."""
    if severity == "mixed":
        severity = str(rng.choice(SEVERITIES, p=[0.4, 0.4, 0.2]))
    if severity not in SEVERITIES and severity != "none":
        raise ValueError(f"unknown severity {severity!r}")
    level = {"none": 0.0, "light": 0.35, "medium": 0.7, "heavy": 1.0}[severity]
    if skew is None:
        skew = float(rng.uniform(-1, 1) * max_skew * max(level, 0.15)) if level else 0.0
    if rotation is None:
        rotation = int(rng.choice([0, 90, 180, 270], p=[0.85, 0.06, 0.06, 0.03])) if level else 0
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
    if colour is None:
        colour = bool(rng.random() < 0.25)
    scale = max(image.size) / 3508  # 1.0 at 300 dpi

    channels = _skewed_channels(image, skew, colour)
    h, w = channels[0].shape
    black, paper, light = _ink_paper_and_light(rng, channels, level, colour, scale)
    border = _border_mask(rng, (h, w)) if level and rng.random() < 0.45 * level + 0.1 else None
    tone = rng.uniform(0.05, 0.45)
    noise = _noise(rng, (h, w), rng.uniform(0.008, 0.02 + 0.03 * level) * 255) if level else None
    array = _scanned(channels, colour, black, paper, light, border, tone, noise)
    if level:
        array = _blurred_and_compressed(array, rng, level, scale)
    result = Image.fromarray(array, "RGB" if array.ndim == 3 else "L")
    if rotation:
        result = result.transpose(_TRANSPOSE_FOR_ROTATION[rotation])
    return result, float(skew), int(rotation)


def _skewed_channels(image: Image.Image, skew: float, colour: bool) -> list[np.ndarray]:
    """The page as 8-bit channels (grey, or R, G, B for a colour scan), rotated ``skew`` degrees."""
    if image.mode == "RGB" and not colour:
        image = image.convert("L")
    channels = [np.asarray(band) for band in image.split()] if image.mode == "RGB" else [np.asarray(image.convert("L"))]
    h, w = channels[0].shape
    if skew:
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), skew, 1.0)  # positive = counter-clockwise
        channels = [cv2.warpAffine(c, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255) for c in channels]
    return channels


def _ink_paper_and_light(rng: np.random.Generator, channels: list[np.ndarray], level: float, colour: bool,
                         scale: float) -> tuple[float, list[float], np.ndarray]:
    """Gain and offset per pixel: ink not quite black, paper not quite white, uneven light, and what
    the paper adds to the light field: bleed-through, punch holes, dust."""
    h, w = channels[0].shape
    black = rng.uniform(0.02, 0.08 + 0.14 * level) if level else 0.0
    if colour:
        paper = [rng.uniform(0.95, 1.0), rng.uniform(0.90, 0.97), rng.uniform(0.74, 0.88)]
    else:
        paper = [rng.uniform(0.88, 1.0) if level else 1.0]
    light = _smooth_field(rng, (h, w), rng.uniform(0.03, 0.22) * level) if level else np.ones((h, w), np.float32)
    if level and rng.random() < 0.15 * level:  # bleed-through from the back of thin paper
        back = cv2.blur(cv2.flip(channels[0], 1), (max(3, int(9 * scale)),) * 2).astype(np.float32)
        light = light * (1 - rng.uniform(0.05, 0.12) * (1 - back / 255.0))
    if level and rng.random() < 0.12 * level:  # punch holes for the ring binder
        holes = np.zeros((h, w), np.uint8)
        radius, x = int(3 * scale * 300 / 25.4), int(12 * scale * 300 / 25.4)
        for fy in (0.38, 0.62):
            cv2.circle(holes, (x, int(h * fy)), radius, 1, -1)
        light[holes > 0] *= rng.uniform(0.1, 0.35)
    if level:  # dust specks
        count = int(rng.integers(0, int(400 * level) + 1))
        ys, xs = rng.integers(0, h - 2, count), rng.integers(0, w - 2, count)
        for dy in range(2):
            for dx in range(2):
                light[ys + dy, xs + dx] *= 0.3
    return black, paper, light


def _scanned(channels: list[np.ndarray], colour: bool, black: float, paper: list[float], light: np.ndarray,
             border: np.ndarray | None, tone: float, noise: np.ndarray | None) -> np.ndarray:
    """The channels as the scanner's sensor records them: ink, paper and light, dark borders, noise."""
    if colour and len(channels) == 1:
        channels = channels * 3
    inside = np.nonzero(border > 0) if border is not None else None
    out = []
    for channel, tint in zip(channels, paper * (3 if len(channels) == 3 and len(paper) == 1 else 1)):
        # value = light * tint * ((1 - black) * ink + black * 255), in two vectorised OpenCV passes
        value = cv2.multiply(channel, light, dtype=cv2.CV_32F, scale=tint * (1 - black))
        value = cv2.scaleAdd(light, tint * black * 255.0, value)
        if inside is not None:
            band = border[inside]
            value[inside] = value[inside] * (1 - band) + (tone * 255.0) * band
        if noise is not None:
            value = cv2.add(value, noise)
        out.append(cv2.convertScaleAbs(value))  # saturates to 0..255
    return cv2.merge(out) if len(out) == 3 else out[0]


def _blurred_and_compressed(array: np.ndarray, rng: np.random.Generator, level: float, scale: float) -> np.ndarray:
    """The scanner's optics (a slight Gaussian blur), then its JPEG encoding at quality 50-90."""
    sigma = rng.uniform(0.2, 0.5 + 0.7 * level) * scale
    array = cv2.GaussianBlur(array, (0, 0), sigma)
    quality = int(rng.integers(50, 91))
    code = cv2.IMWRITE_JPEG_QUALITY
    if array.ndim == 3:
        array = cv2.cvtColor(cv2.imdecode(cv2.imencode(".jpg", cv2.cvtColor(array, cv2.COLOR_RGB2BGR), [code, quality])[1],
                                          cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    else:
        array = cv2.imdecode(cv2.imencode(".jpg", array, [code, quality])[1], cv2.IMREAD_GRAYSCALE)
    return array
