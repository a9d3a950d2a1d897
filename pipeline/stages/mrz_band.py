"""MRZ stage: a second, dedicated Tesseract pass over the machine-readable zone of a card back.

The page's Vietnamese OCR reads the monospace zone badly (I read as T, 0 as 6, fillers dropped):
on a page whose first reading shows a zone (a line starting IDVNM, or `<<` fillers), the band of
those lines is cut out of the OCR image, enlarged to a size Tesseract reads well and read again
with the English model, one block of uniform text (psm 6), only the characters a zone may hold
(A-Z, 0-9, <) and no dictionary. The three lines are kept on the page (`OcrPage.mrz`); the
extractor's TD1 parser (extract/mrz.py) repairs look-alikes and checks the digits. Pages without
a zone cost nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import cv2
import numpy as np

from pipeline.stages import tesseract
from pipeline.stages.extract.mrz import clean_line, find_td1, parse_td1
from pipeline.stages.ocr import OcrPage, OcrSettings, OcrWord

ZONE_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_LINE1 = re.compile(r"^[I1lT|][D0O<]?[VW][NM][MN]")


@dataclass(frozen=True)
class MrzSettings:
    enabled: bool = True
    languages: str = "eng"  # ships with Debian's tesseract-ocr-eng; the zone is Latin capitals and digits
    line_height_px: int = 40  # the zone's lines are scaled to this height (Tesseract reads ~30-40 px best)
    scales: tuple[float, ...] = (1.0, 0.75, 1.35)  # tried in turn until the check digits hold


def zone_lines(words: tuple[OcrWord, ...]) -> list[list[OcrWord]]:
    """The first reading's lines that look like a zone line: IDVNM at the start, or fillers."""
    by_line: dict[int, list[OcrWord]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w)
    found = []
    for number in sorted(by_line):
        text = clean_line(" ".join(w.text for w in by_line[number]))
        if (_LINE1.match(text) and len(text) >= 20) or (text.count("<") >= 3 and len(text) >= 20):
            found.append(by_line[number])
    return found


def band_box(lines: list[list[OcrWord]], width: int, height: int) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) holding the zone: the lines found, widened to three
    lines' height and a margin (a line the first pass missed lies just above or below)."""
    if not lines:
        return None
    words = [w for line in lines for w in line]
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    line_h = int(np.median([w.height for w in words]))
    missing = max(0, 3 - len(lines))
    pad_y = int(line_h * (0.8 + 1.6 * missing))
    pad_x = max(line_h * 3, int(0.12 * (right - left)))
    box = (max(0, left - pad_x), max(0, top - pad_y), min(width, right + pad_x), min(height, bottom + pad_y))
    return box if box[2] - box[0] > 4 * line_h and box[3] - box[1] > line_h else None


def read_band(image: np.ndarray, box: tuple[int, int, int, int], line_h: int, scale: float,
              settings: MrzSettings, ocr: OcrSettings) -> list[str]:
    """The band read once at one scale: its text lines, in order."""
    left, top, right, bottom = box
    crop = image[top:bottom, left:right]
    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    factor = settings.line_height_px * scale / max(1, line_h)
    crop = cv2.resize(crop, None, fx=factor, fy=factor,
                      interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA)
    crop = cv2.copyMakeBorder(crop, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
    words = tesseract.recognise(
        crop, languages=settings.languages, page_segmentation_mode=6, timeout_seconds=ocr.timeout_seconds,
        threads=ocr.threads,
        variables=(f"tessedit_char_whitelist={ZONE_CHARACTERS}", "load_system_dawg=0", "load_freq_dawg=0",
                   "tessedit_do_invert=0"),
        engine=ocr.engine,
    )
    lines: dict[tuple[int, int, int], list[str]] = {}
    for w in words:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w.text.strip())
    return [" ".join(lines[k]) for k in sorted(lines)]


def read_zone(image: np.ndarray, page: OcrPage, settings: MrzSettings, ocr: OcrSettings) -> OcrPage:
    """``page`` with its zone's three lines read by the dedicated pass (``mrz``), when its first
    reading shows a zone; the first zone whose check digits hold, else the last one found."""
    if not settings.enabled:
        return page
    lines = zone_lines(page.words)
    box = band_box(lines, image.shape[1], image.shape[0])
    if box is None:
        return page
    line_h = int(np.median([w.height for line in lines for w in line]))
    best: tuple[str, str, str] | None = None
    for scale in settings.scales:
        zone = find_td1(read_band(image, box, line_h, scale, settings, ocr))
        if zone is None:
            continue
        best = zone
        if parse_td1(zone).valid:
            break
    return replace(page, mrz=best) if best else page
