"""Barcodes on a page image: the one wrapper of the decoder (zxing-cpp), with OpenCV's QR detector
as the fallback when zxing-cpp is not installed or finds nothing.

Only the symbologies separator sheets use are read (Code 128, Code 39, QR): fewer formats is faster
and gives fewer false reads on text. A code the decoder locates but cannot decode (a checksum or
format error) is returned with ``valid=False`` so that the caller can say why it did not split —
never guess a split from a damaged code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import cv2
import numpy as np

log = logging.getLogger(__name__)

SYMBOLOGIES = ("Code128", "Code39", "QRCode")


@dataclass(frozen=True)
class Barcode:
    text: str  # the decoded content ("" when not valid)
    symbology: str  # "Code128", "Code39", "QRCode"
    box: tuple[int, int, int, int]  # x, y, width, height in pixels of the image that was read
    orientation: int = 0  # degrees the code is turned, as the decoder reports it
    valid: bool = True  # False: located but not decodable
    error: str = ""
    reader: str = "zxing-cpp"  # or "opencv"


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(image)


def _zxing_formats(symbologies: tuple[str, ...]):
    import zxingcpp

    return tuple(getattr(zxingcpp.BarcodeFormat, name) for name in symbologies)


def _box(points) -> tuple[int, int, int, int]:
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _read_with_zxing(grey: np.ndarray, symbologies: tuple[str, ...], *, downscale: bool = False) -> list[Barcode]:
    import zxingcpp

    found = []
    # Separator codes print dark on light: no inverted pass.
    for code in zxingcpp.read_barcodes(grey, formats=_zxing_formats(symbologies), return_errors=True,
                                       try_invert=False, try_downscale=downscale):
        position = code.position
        box = _box((position.top_left, position.top_right, position.bottom_right, position.bottom_left))
        valid = bool(code.valid)
        found.append(Barcode(
            text=code.text if valid else "",
            symbology=code.format.name,
            box=box,
            orientation=int(code.orientation),
            valid=valid,
            error="" if valid else str(code.error),
        ))
    return found


def _read_qr_with_opencv(grey: np.ndarray) -> list[Barcode]:
    detector = cv2.QRCodeDetector()
    try:
        ok, texts, points, _ = detector.detectAndDecodeMulti(grey)
    except cv2.error as exc:  # OpenCV raises on degenerate input
        log.debug("OpenCV QR detector failed: %s", exc)
        return []
    if not ok or points is None:
        return []
    found = []
    for text, quad in zip(texts, points):
        xs, ys = quad[:, 0], quad[:, 1]
        box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min()), int(ys.max() - ys.min()))
        found.append(Barcode(text=text, symbology="QRCode", box=box, valid=bool(text),
                             error="" if text else "located, not decoded", reader="opencv"))
    return found


def zxing_available() -> bool:
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    return True


def _overview(grey: np.ndarray, overview: tuple[np.ndarray, int] | None) -> tuple[np.ndarray, int]:
    """A copy of the page at about 100 dpi and how many times smaller it is (the caller's when given)."""
    if overview is not None:
        return overview
    factor = max(1, round(max(grey.shape) / 1170))
    h, w = grey.shape[0] - grey.shape[0] % factor, grey.shape[1] - grey.shape[1] % factor
    return cv2.resize(grey[:h, :w], (w // factor, h // factor), interpolation=cv2.INTER_AREA), factor


def fuzzy_code_regions(grey: np.ndarray, limit: int = 2, overview: tuple[np.ndarray, int] | None = None
                       ) -> list[tuple[int, int, int, int]]:
    """Where a blurred 1-D code may be: regions whose edges run one way only (a barcode's bars),
    found on a ~100 dpi copy (``overview``: one the caller has, and how many times smaller it
    is); boxes in pixels of ``grey``, the most barcode-like first."""
    small, factor = _overview(grey, overview)
    px_per_mm = max(small.shape) / 297.0
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    one_way = np.abs(np.abs(gx) - np.abs(gy))
    size = max(3, int(2 * px_per_mm) | 1)
    strength = cv2.blur(one_way, (size, size))
    mask = (strength > 40).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * size + 1,) * 2))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    regions = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if min(w, h) < 6 * px_per_mm or max(w, h) < 12 * px_per_mm or area < 0.5 * w * h:
            continue
        score = float(cv2.mean(strength[y: y + h, x: x + w], (labels[y: y + h, x: x + w] == label).astype(np.uint8))[0])
        if score >= 200:  # text blocks score 140-200, bars of a code 230-280
            pad = int(4 * px_per_mm)
            box = (max(0, x - pad) * factor, max(0, y - pad) * factor, (w + 2 * pad) * factor, (h + 2 * pad) * factor)
            regions.append((score, box))
    return [box for _, box in sorted(regions, reverse=True)[:limit]]


def _sharpened(crop: np.ndarray, page_pixels: int) -> np.ndarray:
    """An unsharp mask sized to the page (sigma 0.3 mm): bars blurred into each other part again."""
    sigma = 2.5 * page_pixels / 2339  # 2.5 px on an A4 page at 200 dpi
    return cv2.addWeighted(crop, 3.0, cv2.GaussianBlur(crop, (0, 0), sigma), -2.0, 0)


def read_barcodes(image: np.ndarray, symbologies: tuple[str, ...] = SYMBOLOGIES, *,
                  overview: tuple[np.ndarray, int] | None = None) -> tuple[Barcode, ...]:
    """Every code of ``symbologies`` on a grey or RGB page image, in any orientation.

    zxing-cpp reads first (turned every way, ~25 ms a 300 dpi page), again downscaled where it
    located a code it could not decode, and on a ~100 dpi copy when it decoded nothing (a noisy
    QR code reads better smaller). When it still decodes nothing, regions that look like a blurred 1-D code are read again sharpened
    (a few ms: only those regions). OpenCV's QR detector costs ten times zxing-cpp on a page
    without codes, so it only has a go where zxing-cpp located a QR code it could not decode, or
    when zxing-cpp is not installed. ``overview``: a grey copy 2-4 times smaller that the caller
    already has, and the factor (saves reducing the page again)."""
    grey = _grey(image)
    if not zxing_available():
        log.warning("zxing-cpp is not installed: only QR codes are read (OpenCV)")
        return tuple(_read_qr_with_opencv(grey)) if "QRCode" in symbologies else ()
    # Downscaled passes cost a third more on every page; they are what reads a noisy code, so
    # they run where a code was located but not decoded (and always above ~300 dpi).
    found = _read_with_zxing(grey, symbologies, downscale=max(grey.shape) > 3600)
    if found and not any(code.valid for code in found):
        found = _read_with_zxing(grey, symbologies, downscale=True) or found
    if not any(code.valid for code in found):  # a noisy QR reads better smaller: ~3 ms at 100 dpi
        small, factor = _overview(grey, overview)
        if factor > 1:
            smaller = [replace(code, box=tuple(v * factor for v in code.box))
                       for code in _read_with_zxing(small, symbologies) if code.valid]
            found = smaller or found
    if not any(code.valid for code in found) and any(s != "QRCode" for s in symbologies):
        for x, y, w, h in fuzzy_code_regions(grey, overview=overview):
            rescued = [code for code in _read_with_zxing(_sharpened(grey[y: y + h, x: x + w], max(grey.shape)), symbologies)
                       if code.valid]
            if rescued:
                found = [replace(code, box=(code.box[0] + x, code.box[1] + y, code.box[2], code.box[3]))
                         for code in rescued]
                break
    if any(code.symbology == "QRCode" and not code.valid for code in found):
        rescued = [code for code in _read_qr_with_opencv(grey) if code.valid]
        if rescued:
            found = [code for code in found if code.valid] + rescued
    return tuple(found)
