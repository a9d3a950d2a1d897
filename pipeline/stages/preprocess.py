"""Preprocessing stage: orientation, deskew, dark scanner borders, light cleanup (OpenCV).

One call turns a raw page raster into

* ``image``: the page as a person should see it in the PDF — upright, deskewed, scanner borders
  cut off, uneven illumination flattened to a white background, in colour only if the scan
  really is in colour (red seals, blue signatures). It is deliberately *not* binarised.
* ``ocr_image``: the grey page Tesseract reads, with the same geometry as ``image`` so word boxes
  from OCR land on the stored picture unchanged.

Everything is measured on one small "analysis" copy (the page shrunk by a whole factor to a long
side of 1,100-2,100 px, i.e. 100-200 dpi for A4) because that is where the speed comes from: only
one resampling (rotation, deskew and crop in a single affine warp) and the cleanup touch the
full-resolution pixels. A 300 dpi A4 grey page costs ~0.1-0.15 s on one core, a colour one ~0.25 s.

Orientation is decided cheaply without Tesseract:

1. 0/180 vs 90/270: the deskew search runs over two families of angles, near 0° and near 90°.
   Text lines give a sharp projection profile only across the lines, so the family with the
   stronger profile tells which way the lines run.
2. 0 vs 180 (or 90 vs 270 once the lines are horizontal): Vietnamese (and any Latin script) has
   far more ink *above* the x-height band (ascenders, capitals, tone marks and hats) than below the
   baseline (descenders, the dot below). Measured per text line and pooled, that asymmetry is a
   strong vote for which way is up.

Only when that vote is unsure do we read: a sample of the page's text lines (full resolution, at
most 0.8 megapixels) is OCR'd at the vote's turn and half a turn from it (and, when even the line
direction is unclear, at the other two quarter turns), and the reading with clearly more
dictionary words (schemas/orientation_words.txt), dates and MRZ lines wins. Upside-down text reads
as junk, so this is decisive where the ink statistics are not: ID cards photocopied on a mostly
blank A4, a few lines of a signature page, monospace MRZ lines. Tesseract OSD alone never decides
(it called such photocopies "rotated 180°" with confidence); when the reading is inconclusive the
page keeps the cheap vote only if the best reading agrees with it, else it is kept as it is, and
the note says so. OSD is used only when reading is switched off (``read_to_orient=False``).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.errors import InputError, OcrFailed, OcrTimeout, ToolMissing
from pipeline.stages import tesseract

log = logging.getLogger(__name__)

# Target long side of the analysis copy. ~1600 px keeps the x-height of 11-13 pt text at 8-16 px,
# enough to separate the ascender/x-height/descender bands, while every search stays in
# milliseconds.
ANALYSIS_LONG_SIDE = 1600
MIN_SIDE = 32  # smaller than this is not a page scan
MAX_PIXELS = 200_000_000


class BadPageImage(InputError):
    """The page raster is not something we can preprocess (wrong shape, dtype or size)."""

    code = "bad_page_image"


@dataclass(frozen=True)
class PreprocessSettings:
    max_skew_degrees: float = 10.0
    # Confidence (0..1) the cheap orientation vote needs before we turn a page. Measured on 160
    # generated scans (all 12 document types, 150-400 dpi, any skew/turn): text pages and cards
    # score 0.61-0.90 and were all right; pages with a few lines score 0.17-0.5, blank pages 0.
    # Below the threshold Tesseract OSD decides (~1-2 s; ~8 % of generated pages).
    orientation_min_confidence: float = 0.6
    # Below orientation_min_confidence the page is read both ways (see the module docstring).
    # Measured with scripts/bench_orientation.py on 512 evalgen pages (cards on A4, cards alone,
    # MRZ backs, office papers, all four turns).
    read_to_orient: bool = True
    reading_languages: str = "vie"
    reading_max_pixels: int = 800_000  # the sample OCR'd per candidate turn, full-resolution px
    reading_min_hits: int = 3  # words, dates or MRZ lines a winning reading must have at least
    reading_timeout_seconds: float = 30.0
    # A confident vote from fewer text lines than this is confirmed by reading too: a card's back
    # photographed with 6 lines voted 5 to 1 the wrong way (evalgen seed 71). When the reading
    # settles nothing, the vote stands.
    confirm_votes_below_lines: int = 12
    # Tesseract OSD: only when read_to_orient is off and the cheap vote is unsure.
    use_tesseract_osd: bool = True
    osd_min_confidence: float = 2.0  # Tesseract's own "Orientation confidence" scale
    osd_timeout_seconds: float = 10.0
    osd_threads: int = 1  # OMP_THREAD_LIMIT of the OSD tesseract process, as OcrSettings.threads
    tesseract_engine: str = "auto"  # of the reading and of OSD, as OcrSettings.engine
    # Skews smaller than this are not worth resampling the page (it softens the strokes a little).
    min_skew_to_correct: float = 0.05
    crop_borders: bool = True
    max_crop_fraction: float = 0.2  # never cut more than this fraction of a side per edge
    denoise: bool = True
    flatten_background: bool = True
    # Fraction of the page's ink that must be clearly coloured for the page to be kept in colour.
    colour_min_fraction: float = 0.002
    # Coloured marks left out of the OCR copy: chroma above this (red seal ~150, blue ink ~130,
    # scanner fringes around black text < 40), grouped, and both wider and taller than this
    # (a line of 13-16 pt text is ~6 mm tall; seals are 30-40 mm, signatures 10-20 mm tall).
    mark_min_chroma: int = 50
    mark_min_size_mm: float = 9.0


@dataclass(frozen=True)
class PreprocessedPage:
    image: np.ndarray  # uint8 grey HxW, or RGB HxWx3 when the scan really is in colour
    ocr_image: np.ndarray  # uint8 grey, same geometry as `image`; what Tesseract reads
    rotation: int  # 0/90/180/270: the content appeared rotated this much CLOCKWISE; we undid it
    rotation_confidence: float  # 0..1
    skew: float  # degrees the content appeared rotated COUNTER-clockwise (PIL convention); undone
    crop: tuple[int, int, int, int]  # left, top, right, bottom kept, in the upright deskewed image
    colour: bool
    seconds: float
    notes: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Input


def _validate(image: np.ndarray) -> np.ndarray:
    """Return the page as uint8 HxW or HxWx3, or raise BadPageImage saying what is wrong."""
    if not isinstance(image, np.ndarray):
        raise BadPageImage(f"page image must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise BadPageImage(f"page image must be uint8 (8-bit), got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]  # RGBA from PNG: alpha carries nothing on a scan
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise BadPageImage(
            f"page image must be grey HxW or RGB HxWx3, got shape {tuple(image.shape)}"
        )
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise BadPageImage(f"page image is too small to be a scan: {width}x{height} px")
    if height * width > MAX_PIXELS:
        raise BadPageImage(f"page image is too large: {width}x{height} px")
    return np.ascontiguousarray(image)


# --------------------------------------------------------------------------------------------
# Analysis copy: small, grey, background-flattened, with a mask of text-like ink


@dataclass(frozen=True)
class _Analysis:
    grey: np.ndarray  # small grey copy, background flattened to ~255
    ink: np.ndarray  # bool mask of dark pixels (text, lines, photos, borders)
    text: np.ndarray  # bool mask of text-like connected components only


def _background(grey: np.ndarray, kernel: int) -> np.ndarray:
    """Paper brightness under each pixel: a grey closing (max filter) wipes out strokes thinner
    than `kernel`, a blur smooths the result. Works on small images only (cost ∝ pixels)."""
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, element)
    return cv2.blur(paper, (kernel, kernel))


def _flatten(grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Divide by the paper brightness so the background becomes white and ink keeps its shade."""
    return cv2.divide(grey, np.maximum(paper, 1), scale=255)


def _analyse_small(small: np.ndarray) -> _Analysis:
    """Find ink and text-like components in the (grey) analysis copy of the page."""
    flat = _flatten(small, _background(small, 15))
    # Ink is anything clearly darker than the paper; a fixed fraction of the paper level works
    # because the background was flattened (Otsu would chase photo mid-tones on mixed pages).
    ink = flat < 160
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8)
    sh, sw = small.shape
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    # Text-like: letter-sized, not touching the image edge (scanner borders, cut-off photos), not
    # a solid blob (photos, seals filled in), not a speck of noise.
    text_like = (
        (h >= 3)
        & (h <= max(8, 0.06 * max(sh, sw)))
        & (w <= max(8, 0.15 * max(sh, sw)))
        & (area >= 4)
        & (area <= 0.9 * w * h + 1)
        & (left > 0)
        & (top > 0)
        & (left + w < sw)
        & (top + h < sh)
    )
    text_like[0] = False
    text = text_like[labels]
    return _Analysis(grey=flat, ink=ink, text=text)


# --------------------------------------------------------------------------------------------
# Skew and the 0/180 vs 90/270 decision: projection profiles of text pixels


def _profile_sharpness(xs: np.ndarray, ys: np.ndarray, angle: float) -> float:
    """How sharply the points pile up into lines running at `angle` degrees (CCW).

    The points are projected on the normal of those lines, histogrammed at 1 px, and the sum of
    squared bin counts is compared with what the same points would give spread evenly over the
    same extent (=1). Scale-free, so the 0° and 90° families can be compared with each other.
    """
    rad = math.radians(angle)
    projection = xs * math.sin(rad) + ys * math.cos(rad)
    projection -= projection.min()
    hist = np.bincount(projection.astype(np.int32))
    occupied = np.flatnonzero(hist)
    extent = occupied[-1] - occupied[0] + 1
    n = projection.size
    return float(np.dot(hist, hist)) * extent / (n * n)


def _search(xs, ys, centre: float, half_width: float, step: float) -> tuple[float, float, list]:
    angles = np.arange(centre - half_width, centre + half_width + step / 2, step)
    scores = [_profile_sharpness(xs, ys, a) for a in angles]
    best = int(np.argmax(scores))
    return float(angles[best]), float(scores[best]), list(zip(angles, scores))


def _refine(xs, ys, angle: float, step: float) -> float:
    """Parabola through the best angle and its neighbours: sub-step precision for free."""
    s0, s1, s2 = (_profile_sharpness(xs, ys, angle + d) for d in (-step, 0.0, step))
    denominator = s0 - 2 * s1 + s2
    if denominator >= 0:  # not a peak; keep the grid value
        return angle
    return angle + step * 0.5 * (s0 - s2) / denominator


@dataclass(frozen=True)
class _LineDirection:
    angle: float  # CCW angle of the text lines, in (-max_skew-1, 90+max_skew+1)
    sharpness: float  # profile sharpness at that angle (1 = no line structure)
    other_sharpness: float  # best sharpness in the other family (0° vs 90°)
    points: int


def _line_direction(text: np.ndarray, max_skew: float, rng: np.random.Generator) -> _LineDirection:
    ys, xs = np.nonzero(text)
    n = xs.size
    if n < 50:
        return _LineDirection(0.0, 1.0, 1.0, n)
    xs = xs.astype(np.float32)
    ys = ys.astype(np.float32)
    # The coarse pass only has to land within half a step of the peak; 20k pixels suffice.
    if n > 20_000:
        pick = rng.choice(n, 20_000, replace=False)
        cx, cy = xs[pick], ys[pick]
    else:
        cx, cy = xs, ys
    coarse = 0.5
    half = max_skew + coarse
    a0, s0, _ = _search(cx, cy, 0.0, half, coarse)
    a90, s90, _ = _search(cx, cy, 90.0, half, coarse)
    angle, sharp, other = (a0, s0, s90) if s0 >= s90 else (a90, s90, s0)
    # Fine passes on more pixels: 0.1° then a parabola through 0.05°-spaced neighbours.
    if n > 120_000:
        pick = rng.choice(n, 120_000, replace=False)
        xs, ys = xs[pick], ys[pick]
    angle, sharp, _ = _search(xs, ys, angle, coarse, 0.1)
    angle, sharp, _ = _search(xs, ys, angle, 0.1, 0.025)
    angle = _refine(xs, ys, angle, 0.025)
    return _LineDirection(angle, sharp, other, n)


# --------------------------------------------------------------------------------------------
# 0 vs 180: ink above the x-height band against ink below the baseline, per text line


@dataclass(frozen=True)
class _UprightVote:
    upright_lines: int
    inverted_lines: int
    above: float  # pooled ink above the x-height band, analysis px
    below: float  # pooled ink below the baseline

    @property
    def lines(self) -> int:
        return self.upright_lines + self.inverted_lines

    @property
    def confidence(self) -> float:
        """0..1: agreement between the lines, discounted when there are only a few of them."""
        if self.lines == 0:
            return 0.0
        agreement = abs(self.upright_lines - self.inverted_lines) / self.lines
        return agreement * min(1.0, self.lines / 6)

    @property
    def upright(self) -> bool:
        return self.upright_lines >= self.inverted_lines


def _upright_vote(text: np.ndarray) -> _UprightVote:
    """Vote, line by line, whether horizontal text in `text` (bool mask) is upright or inverted.

    Lines are runs of rows with ink in the row profile; a line's x-height band ("core") is the
    stretch of dense rows around its peak (ascender and descender rows are much sparser). The ink
    in a band half a core tall just above the core is compared with the same band just below.
    Lines set so tight that tone marks touch the line above merge into one run; their "core" then
    spans both lines and is left out by its height.
    """
    profile = text.sum(axis=1).astype(np.float64)
    inked = profile[profile > 0]
    if inked.size < 3:
        return _UprightVote(0, 0, 0.0, 0.0)
    occupied = profile > 0.1 * np.percentile(inked, 95)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], occupied.view(np.int8), [0]))))
    cores = []
    for start, stop in zip(edges[::2], edges[1::2]):
        run = profile[start:stop]
        dense = run >= 0.6 * np.percentile(run, 75)
        peak = int(np.argmax(run))
        # The core is the dense stretch around the peak row: serif fonts put a dense row at the
        # ascender line too, so "first to last dense row" would swallow the ascenders.
        sparse_above = np.flatnonzero(~dense[:peak])
        sparse_below = np.flatnonzero(~dense[peak:])
        core_top = sparse_above[-1] + 1 if sparse_above.size else 0
        core_bottom = peak + sparse_below[0] if sparse_below.size else run.size
        if core_bottom - core_top >= 2:
            cores.append((int(start + core_top), int(start + core_bottom)))
    if not cores:
        return _UprightVote(0, 0, 0.0, 0.0)
    typical = float(np.median([stop - start for start, stop in cores]))
    # Too tall: two lines run together. Too short: a row of tone marks floating above a line of
    # capitals, an underline, a stray dot. Neither has a core of its own.
    cores = [(a, b) for a, b in cores if 0.5 * typical <= b - a <= 1.6 * typical]
    upright = inverted = 0
    above_total = below_total = 0.0
    for index, (start, stop) in enumerate(cores):
        band = max(1, round(0.5 * (stop - start)))
        previous_stop = cores[index - 1][1] if index else 0
        next_start = cores[index + 1][0] if index + 1 < len(cores) else profile.size
        top = max(start - band, (previous_stop + start + 1) // 2)
        bottom = min(stop + band, (stop + next_start) // 2)
        above = float(profile[top:start].sum())
        below = float(profile[stop:bottom].sum())
        if above + below < 0.05 * profile[start:stop].sum():
            continue  # digits or small caps only: nothing sticks out, no vote
        above_total += above
        below_total += below
        if above > below:
            upright += 1
        elif below > above:
            inverted += 1
    return _UprightVote(upright, inverted, above_total, below_total)


# --------------------------------------------------------------------------------------------
# Orientation decision


@dataclass(frozen=True)
class _Orientation:
    rotation: int  # CW degrees the content appears rotated
    skew: float  # CCW degrees, |skew| <= max_skew
    confidence: float
    notes: tuple[str, ...]


def _undo_quarter_turns(image: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate `image` COUNTER-clockwise by `rotation` (a multiple of 90): exact, no resampling."""
    code = {
        90: cv2.ROTATE_90_COUNTERCLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_CLOCKWISE,
    }.get(rotation % 360)
    return image if code is None else cv2.rotate(image, code)


def _undo_skew(image: np.ndarray, skew: float, interpolation: int) -> np.ndarray:
    """Rotate `image` CLOCKWISE by `skew` degrees about its centre, same canvas size.

    The canvas is not enlarged: a scan that was skewed *inside* the scanner frame fits back in the
    frame, and what is uncovered at the corners is filled by repeating the edge (so a dark scanner
    border stays dark and is cropped, and white paper stays white).
    """
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -skew, 1.0)
    return cv2.warpAffine(
        image, matrix, (width, height), flags=interpolation, borderMode=cv2.BORDER_REPLICATE
    )


def _deskew_and_crop(image: np.ndarray, skew: float, crop: tuple[int, int, int, int]) -> np.ndarray:
    """`_undo_skew` and the crop in one resampling, straight into the cropped frame (full size)."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -skew, 1.0)
    matrix[:, 2] -= crop[:2]
    size = (crop[2] - crop[0], crop[3] - crop[1])
    if image.ndim == 3:
        # OpenCV's vectorised warp handles 4 channels much better than 3: RGB->RGBA->warp->RGB
        # costs ~47 ms per 300 dpi A4 page against ~73 ms warping RGB directly.
        rgba = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
        warped = cv2.warpAffine(
            rgba, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        return cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB)
    return cv2.warpAffine(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _family_confidence(direction: _LineDirection) -> float:
    """0..1: how much more line structure one family of angles (0° or 90°) shows than the other."""
    excess = direction.sharpness - 1.0
    if excess <= 0.05 or direction.points < 200:
        return 0.0
    other = max(0.0, direction.other_sharpness - 1.0)
    return float(np.clip(1.0 - other / excess, 0.0, 1.0))


def _tesseract_osd(grey_small: np.ndarray, settings: PreprocessSettings) -> tuple[int, float] | None:
    """Tesseract's own orientation guess, (CW rotation, its confidence), or None if it has none."""
    try:
        osd = tesseract.detect_orientation(
            grey_small, timeout_seconds=settings.osd_timeout_seconds, threads=settings.osd_threads,
            engine=settings.tesseract_engine,
        )
    except (OcrFailed, OcrTimeout, ToolMissing) as exc:
        # "Too few characters" on sparse pages, a timeout, or no tesseract: all mean "no opinion".
        log.debug("tesseract OSD gave no answer: %s", exc)
        return None
    return osd.rotation, osd.confidence


def _orientation(analysis: _Analysis, settings: PreprocessSettings, reading: _ReadingSource | None = None
                 ) -> _Orientation:
    rng = np.random.default_rng(0)  # subsampling only; fixed so results are reproducible
    direction = _line_direction(analysis.text, settings.max_skew_degrees, rng)
    quarter = round(direction.angle / 90)
    skew = direction.angle - 90 * quarter
    # Lines near 90° CCW: the content is turned 90° or 270° CW. Try 270 (undo: 90° CW) first.
    candidate = 270 if quarter == 1 else 0
    level = _undo_skew(
        _undo_quarter_turns(analysis.text.view(np.uint8), candidate), skew, cv2.INTER_NEAREST
    ).view(bool)
    vote = _upright_vote(level)
    rotation = candidate if vote.upright else (candidate + 180) % 360
    family = _family_confidence(direction)
    confidence = round(min(family, vote.confidence), 3)
    notes = [
        f"text lines at {direction.angle:.2f}° (profile sharpness {direction.sharpness:.2f} vs "
        f"{direction.other_sharpness:.2f} across), {vote.upright_lines} lines read upright and "
        f"{vote.inverted_lines} inverted"
    ]
    if direction.points < 200:
        notes.append("too little text to measure skew: kept at 0°")
        skew = 0.0
    if confidence >= settings.orientation_min_confidence:
        if vote.lines >= settings.confirm_votes_below_lines or not settings.read_to_orient or reading is None:
            return _Orientation(rotation, skew, confidence, tuple(notes))
        read = _orientation_by_reading(analysis, reading, rotation, family >= settings.orientation_min_confidence,
                                       settings)
        notes.append(f"only {vote.lines} lines voted: confirmed by reading")
        notes.extend(read.notes)
        if read.rotation is None or read.rotation == rotation:
            return _Orientation(rotation, skew, confidence, tuple(notes))
        same_family = (read.rotation - rotation) % 180 == 0
        return _Orientation(read.rotation, skew if same_family else 0.0, read.confidence, tuple(notes))

    notes.append(
        f"orientation unsure: confidence {confidence:.2f} < {settings.orientation_min_confidence}"
    )
    if direction.points >= 200 and settings.read_to_orient and reading is not None:
        clear_family = family >= settings.orientation_min_confidence
        read = _orientation_by_reading(analysis, reading, rotation, clear_family, settings)
        notes.extend(read.notes)
        if read.rotation is not None:
            same_family = (read.rotation - rotation) % 180 == 0
            return _Orientation(read.rotation, skew if same_family else 0.0,
                                max(confidence, read.confidence), tuple(notes))
    elif settings.use_tesseract_osd and direction.points >= 200:
        osd = _tesseract_osd(analysis.grey, settings)
        if osd is not None and osd[1] >= settings.osd_min_confidence:
            osd_rotation, osd_confidence = osd
            notes.append(f"Tesseract OSD: rotated {osd_rotation}° (confidence {osd_confidence:.1f})")
            # OSD does not measure skew; ours is about the line direction, valid either way.
            # Its confidence (unbounded, ~2 = usable, ~15 = sure) is mapped onto 0..1 so that
            # the threshold lands at 0.5.
            mapped = round(osd_confidence / (osd_confidence + settings.osd_min_confidence), 3)
            return _Orientation(osd_rotation, skew, mapped, tuple(notes))
        notes.append(
            "Tesseract OSD unsure too"
            if osd is None
            else f"Tesseract OSD unsure too: confidence {osd[1]:.1f} < {settings.osd_min_confidence}"
        )
    # Keep the page as it is. The skew is still worth undoing when the line direction itself was
    # clear (rotations commute, so it is right whichever way up the page is); otherwise do nothing.
    if family < settings.orientation_min_confidence:
        skew = 0.0
    notes.append("orientation kept")
    return _Orientation(0, skew, confidence, tuple(notes))


# --------------------------------------------------------------------------------------------
# Orientation by reading: OCR a sample of the text lines each way up, keep the one that reads


@dataclass(frozen=True)
class _ReadingSource:
    """The full-resolution page (grey or RGB) the sample is cut from, and its shrink factor to the
    analysis copy."""

    full: np.ndarray
    factor: int


@dataclass(frozen=True)
class _Reading:
    rotation: int
    hits: float  # dictionary words + dates + 3 per MRZ-like line
    words: int
    mean_confidence: float
    seconds: float


@dataclass(frozen=True)
class _ReadDecision:
    rotation: int | None  # None: inconclusive
    confidence: float
    notes: tuple[str, ...]


_WORDS_FILE = Path(__file__).resolve().parents[2] / "schemas" / "orientation_words.txt"
_STRIP = "\"'.,;:!?()[]{}-–—/|*_“”‘’…"
_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-](19|20)\d\d")
_MRZ_LIKE = re.compile(r"[A-Z0-9<]{12,}")


@functools.lru_cache(maxsize=1)
def orientation_words() -> frozenset[str]:
    """The word list the reading is scored with (lower case, NFC)."""
    words = set()
    for line in _WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        words.update(unicodedata.normalize("NFC", w).lower() for w in line.split())
    return frozenset(words)


def reading_hits(texts: list[str]) -> float:
    """How much of ``texts`` (OCR'd words) reads as Vietnamese: dictionary syllables of 2+ letters,
    dates, and MRZ-like runs ("IDVNM…<<<", worth 3 each)."""
    words = orientation_words()
    hits = 0.0
    for raw in texts:
        text = unicodedata.normalize("NFC", raw.strip())
        if "<" in text and _MRZ_LIKE.fullmatch(text.replace(" ", "")):
            hits += 3
            continue
        token = text.strip(_STRIP).lower()
        if _DATE.fullmatch(token):
            hits += 1
        elif len(token) >= 2 and token in words:
            hits += 1
    return hits


def _reading_sample(analysis: _Analysis, source: _ReadingSource, max_pixels: int) -> np.ndarray | None:
    """The part of the full-resolution page with the most text, at most ``max_pixels``, its paper
    flattened to white (phone photos are lit unevenly)."""
    text = analysis.text
    ys, xs = np.nonzero(text)
    if ys.size < 50:
        return None
    y0, y1 = (int(v) for v in np.percentile(ys, [0.2, 99.8]))
    x0, x1 = (int(v) for v in np.percentile(xs, [0.2, 99.8]))
    pad = 4
    y0, x0 = max(0, y0 - pad), max(0, x0 - pad)
    y1, x1 = min(text.shape[0], y1 + pad + 1), min(text.shape[1], x1 + pad + 1)
    f = source.factor
    budget = max_pixels / (f * f)  # in analysis px
    for _ in range(2):  # cut the longer side down to the densest window, then the other if needed
        h, w = y1 - y0, x1 - x0
        if h * w <= budget:
            break
        if h >= w:
            y0, y1 = _densest_window(text[y0:y1, x0:x1].sum(axis=1), max(8, int(budget / w)), y0)
        else:
            x0, x1 = _densest_window(text[y0:y1, x0:x1].sum(axis=0), max(8, int(budget / h)), x0)
    sample = source.full[y0 * f : y1 * f, x0 * f : x1 * f]
    if sample.size == 0:
        return None
    if sample.ndim == 3:
        sample = cv2.cvtColor(sample, cv2.COLOR_RGB2GRAY)
    small = _shrink(sample, 4) if min(sample.shape) >= 64 else sample
    paper = cv2.resize(_background(small, 15), (sample.shape[1], sample.shape[0]), interpolation=cv2.INTER_LINEAR)
    return _flatten(sample, paper)


def _densest_window(profile: np.ndarray, length: int, offset: int) -> tuple[int, int]:
    """(start, stop) of the ``length``-long stretch of ``profile`` with the most ink, + ``offset``."""
    length = min(length, profile.size)
    sums = np.convolve(profile.astype(np.float64), np.ones(length), mode="valid")
    start = int(np.argmax(sums))
    return offset + start, offset + start + length


def _read_turned(sample: np.ndarray, rotation: int, settings: PreprocessSettings) -> _Reading:
    """OCR the sample as if the content were turned ``rotation`` CW (i.e. after undoing that)."""
    started = time.perf_counter()
    try:
        words = tesseract.recognise(
            _undo_quarter_turns(sample, rotation), languages=settings.reading_languages,
            # Sparse text (11): every word wherever it is, no layout analysis. The automatic mode
            # (3) finds vertical text lines and reads them turned (even with
            # textord_tabfind_vertical_text=0), so a page a quarter off would read as upright.
            page_segmentation_mode=11, timeout_seconds=settings.reading_timeout_seconds,
            threads=settings.osd_threads, variables=("tessedit_do_invert=0",),
            engine=settings.tesseract_engine,
        )
    except (OcrFailed, OcrTimeout, ToolMissing) as exc:
        log.debug("orientation reading at %d° failed: %s", rotation, exc)
        words = ()
    confident = [w.confidence for w in words if w.confidence >= 0]
    return _Reading(rotation, reading_hits([w.text for w in words]), len(words),
                    float(np.mean(confident)) if confident else 0.0, time.perf_counter() - started)


def _orientation_by_reading(analysis: _Analysis, source: _ReadingSource, voted: int, clear_family: bool,
                            settings: PreprocessSettings) -> _ReadDecision:
    """Read the sample at the voted turn and half a turn from it; when the line direction was
    unclear too, or those two readings settle nothing, also at the other two quarter turns."""
    sample = _reading_sample(analysis, source, settings.reading_max_pixels)
    if sample is None:
        return _ReadDecision(None, 0.0, ("reading: no text sample",))
    readings = [_read_turned(sample, r, settings) for r in (voted, (voted + 180) % 360)]
    decision = _decide_by_reading(readings, voted, settings)
    if decision.rotation is None or not clear_family:
        readings += [_read_turned(sample, r, settings) for r in ((voted + 90) % 360, (voted + 270) % 360)]
        decision = _decide_by_reading(readings, voted, settings)
    return decision


def _decide_by_reading(readings: list[_Reading], voted: int, settings: PreprocessSettings) -> _ReadDecision:
    ranked = sorted(readings, key=lambda r: (r.hits, r.mean_confidence), reverse=True)
    best, second = ranked[0], ranked[1]
    summary = ", ".join(f"{r.rotation}°: {r.hits:g} hits of {r.words} words, confidence {r.mean_confidence:.0f}"
                        for r in readings)
    note = f"read {best.words + second.words} words at {len(readings)} turns in " \
           f"{sum(r.seconds for r in readings):.1f} s ({summary})"
    clearly = best.hits >= settings.reading_min_hits and best.hits >= 2 * second.hits + 1
    if clearly:
        confidence = round(1.0 - (second.hits + 1) / (best.hits + 1), 3)
        return _ReadDecision(best.rotation, confidence, (note, f"reading decided: rotated {best.rotation}°"))
    if best.rotation == voted and best.hits > second.hits:
        return _ReadDecision(voted, 0.0, (note, f"reading inconclusive but agrees with the vote: rotated {voted}°"))
    return _ReadDecision(None, 0.0, (note, "reading inconclusive"))


# --------------------------------------------------------------------------------------------
# Dark scanner borders


def _border_crop(grey_small: np.ndarray, settings: PreprocessSettings) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) to keep in `grey_small` (upright, deskewed, NOT flattened).

    Scanner borders are dark bands along the edges; after deskewing they are often slanted (the
    scanner frame was straight, the page was not), and the corners uncovered by the rotation
    repeat them. We peel the rectangle inwards one line at a time, always taking the edge line
    with most border-dark pixels, until every edge line is (nearly) free of them. That removes
    straight and slanted bands alike and stops at the paper, because text is not border-dark:
    an opening wipes out strokes a few px wide, only bands and large blobs survive it.
    """
    height, width = grey_small.shape
    paper = _percentile_u8(grey_small[::4, ::4], 90)
    dark = (grey_small < min(110.0, 0.5 * paper)).view(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    if not dark.any():
        return 0, 0, width, height
    # Integral image: the dark count of any edge line segment is four look-ups.
    integral = cv2.integral(dark)

    def count(y0: int, y1: int, x0: int, x1: int) -> int:
        return int(integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0])

    limit_x = int(settings.max_crop_fraction * width)
    limit_y = int(settings.max_crop_fraction * height)
    left, top, right, bottom = 0, 0, width, height  # kept: [top, bottom) x [left, right)
    tolerance = 0.02  # a sliver of a slanted band left in a corner is not a band
    while True:
        span_x, span_y = right - left, bottom - top
        candidates = []
        if left < limit_x:
            candidates.append((count(top, bottom, left, left + 1) / span_y, "left"))
        if width - right < limit_x:
            candidates.append((count(top, bottom, right - 1, right) / span_y, "right"))
        if top < limit_y:
            candidates.append((count(top, top + 1, left, right) / span_x, "top"))
        if height - bottom < limit_y:
            candidates.append((count(bottom - 1, bottom, left, right) / span_x, "bottom"))
        if not candidates:
            break
        fraction, side = max(candidates)
        if fraction <= tolerance:
            break
        if side == "left":
            left += 1
        elif side == "right":
            right -= 1
        elif side == "top":
            top += 1
        else:
            bottom -= 1
    # One more line each side that moved: the band's blurred edge is still dark-ish.
    left, top = left + (left > 0), top + (top > 0)
    right, bottom = right - (right < width), bottom - (bottom < height)
    return left, top, right, bottom


# --------------------------------------------------------------------------------------------
# Colour and cleanup


def _percentile_u8(values: np.ndarray, q: float) -> float:
    """Percentile of a uint8 array by histogram: ~10x faster than np.percentile on a page."""
    counts = cv2.calcHist([np.ascontiguousarray(values)], [0], None, [256], [0, 256]).ravel()
    return float(np.searchsorted(np.cumsum(counts), q / 100 * counts.sum()))


def _is_colour(rgb_small: np.ndarray, ink: np.ndarray, settings: PreprocessSettings) -> tuple[bool, float]:
    """Whether the scan carries real colour (seal, signature, coloured form), and how much.

    The channels are first white-balanced on the paper (its 90th percentile per channel), so
    yellowed or tinted paper counts as grey. Chroma (max - min channel) above 60 is then well clear
    of scanner colour noise and JPEG chroma fringes around black text (the analysis copy is
    area-averaged), and well below red seals (~150) or blue ink (~130).
    """
    balanced = [
        cv2.convertScaleAbs(c, alpha=255.0 / max(_percentile_u8(c[::3, ::3], 90), 1.0))
        for c in cv2.split(rgb_small)
    ]
    red, green, blue = balanced
    chroma = cv2.subtract(cv2.max(cv2.max(red, green), blue), cv2.min(cv2.min(red, green), blue))
    coloured_mask = chroma > 60
    coloured = int(np.count_nonzero(coloured_mask))
    # Coloured marks count as ink even where they are too light for the ink mask (a card's tint, a
    # pale seal): the share is of everything marked on the page, so it never exceeds 100%.
    marked = max(int(np.count_nonzero(np.logical_or(ink, coloured_mask))), 1)
    fraction = coloured / marked
    return coloured >= 20 and fraction >= settings.colour_min_fraction, fraction


def _without_seals_and_signatures(
    rgb: np.ndarray, settings: PreprocessSettings
) -> tuple[np.ndarray, int]:
    """Grey copy for OCR with large coloured marks (seals, signatures) whitened.

    Seals are stamped over the signer's position and name: left in, Tesseract loses those lines.
    Coloured ink is grouped into marks by closing gaps of ~1.5 mm, so a seal's ring, star and
    lettering become one mark; a mark taller and wider than a line of text is a seal or a
    signature, while a coloured title or filled-in text line stays (it is not that tall).
    Measured on 5 generated colour scans: CER 2.45 % with the marks, 0.10 % without.
    """
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    red, green, blue = cv2.split(rgb)
    chroma = cv2.subtract(cv2.max(cv2.max(red, green), blue), cv2.min(cv2.min(red, green), blue))
    coloured = (chroma > settings.mark_min_chroma).astype(np.uint8)
    if not coloured.any():
        return grey, 0
    # Pixels per mm from the page's long side taken as A4 (297 mm): no dpi reaches this stage.
    factor = 4
    px_per_mm = max(rgb.shape[:2]) / 297.0 / factor
    small = cv2.resize(coloured, (coloured.shape[1] // factor, coloured.shape[0] // factor),
                       interpolation=cv2.INTER_AREA)
    gap = max(1, round(1.5 * px_per_mm))
    grouped = cv2.dilate((small > 0).astype(np.uint8), np.ones((gap, gap), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    min_size = settings.mark_min_size_mm * px_per_mm
    marks = [
        i for i in range(1, count)
        if stats[i, cv2.CC_STAT_WIDTH] > min_size and stats[i, cv2.CC_STAT_HEIGHT] > min_size
    ]
    if not marks:
        return grey, 0
    lookup = np.zeros(count, np.uint8)
    lookup[marks] = 1
    region = cv2.resize(lookup[labels], (coloured.shape[1], coloured.shape[0]),
                        interpolation=cv2.INTER_NEAREST)
    # The antialiased rim of a stroke is less saturated than its core: take it too.
    mask = cv2.dilate(coloured & region, np.ones((3, 3), np.uint8))
    grey[mask > 0] = 255
    return grey, len(marks)


# Levels: the flattened paper sits near 245-255; map 235 and above to pure white and stretch the
# rest, so the background is clean (and JPEG-cheap) while strokes keep their antialiased greys.
_WHITE_POINT = 235
_LEVELS = np.clip(np.arange(256) * (255.0 / _WHITE_POINT), 0, 255).astype(np.uint8)


def _clean(full: np.ndarray, small: np.ndarray, settings: PreprocessSettings) -> np.ndarray:
    """Flatten illumination to a white background, lightly denoise; keeps grey levels.

    `small` is the same (cropped) page at analysis scale; the paper estimate is made there and
    scaled up, which costs a fraction of doing it at full resolution.
    """
    height, width = full.shape[:2]
    if settings.flatten_background:
        paper = _background(small, 15)
        # Never divide by less than 3/4 of the typical paper level: large dark areas (photos,
        # filled seals) would otherwise be "flattened" into white. Uneven lighting stays within it.
        channels = cv2.split(paper) if paper.ndim == 3 else [paper]
        floors = [0.75 * _percentile_u8(c[::3, ::3], 90) for c in channels]
        paper = cv2.merge([np.maximum(c, np.uint8(f)) for c, f in zip(channels, floors)])
        paper = cv2.blur(paper, (9, 9))  # soften the steps of the max filter
        paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
        # Division and the white point in one pass: pixel / paper * 255 * 255 / white point.
        out = cv2.divide(full, paper, scale=255.0 * 255.0 / _WHITE_POINT)
    else:
        out = cv2.LUT(full, _LEVELS)
    if settings.denoise:
        # A 3x3 median removes scanner speckle and JPEG mosquito noise without thinning strokes
        # at 150-600 dpi; anything stronger (non-local means) costs seconds per page.
        out = cv2.medianBlur(out, 3)
    return out


# --------------------------------------------------------------------------------------------
# The stage


def _shrink_factor(height: int, width: int) -> int:
    """Integer downscale to the analysis copy: INTER_AREA by a whole factor is ~20x faster than by
    a fractional one, and 1,100-2,100 px on the long side all work (≈100-200 dpi for A4)."""
    return max(1, round(max(height, width) / ANALYSIS_LONG_SIDE))


def _shrink(full: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return full
    height, width = full.shape[:2]
    trimmed = full[: height - height % factor, : width - width % factor]  # exact multiples
    return cv2.resize(
        trimmed, (width // factor, height // factor), interpolation=cv2.INTER_AREA
    )


def preprocess(image: np.ndarray, settings: PreprocessSettings) -> PreprocessedPage:
    """Turn a raw page raster (uint8 grey or RGB, 150-600 dpi) into an upright, deskewed, cropped,
    cleaned page for storage and a grey copy for OCR; report every decision in `notes`."""
    started = time.perf_counter()
    image = _validate(image)
    copies, analysis, notes = _copies_in_stored_mode(image, settings)
    orientation = _orientation(analysis, settings, _ReadingSource(copies.full, copies.factor))
    notes.extend(orientation.notes)
    deskew = abs(orientation.skew) >= settings.min_skew_to_correct
    # The small copies are turned first; they decide the crop. The full-resolution page follows
    # once everything is known.
    copies, turn_notes = _turn_small_copies(copies, orientation, deskew, settings)
    notes.extend(turn_notes)
    crop, copies, crop_notes = _crop_borders(copies, orientation.rotation, settings)
    notes.extend(crop_notes)
    full = _upright_full_page(copies.full, orientation, deskew, crop)
    page = _clean(full, copies.small, settings)
    ocr_image, ocr_notes = _ocr_copy(page, settings)
    notes.extend(ocr_notes)
    seconds = time.perf_counter() - started
    for note in notes:
        log.debug("preprocess: %s", note)
    return PreprocessedPage(
        image=page,
        ocr_image=ocr_image,
        rotation=orientation.rotation,
        rotation_confidence=float(orientation.confidence),
        skew=float(round(orientation.skew, 3)),
        crop=crop,
        colour=copies.colour,
        seconds=seconds,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class _Copies:
    """The page in the mode it is stored in (grey, or RGB when it really is in colour) at full
    resolution and shrunk by `factor`, and the shrunk grey copy that decides the turn and crop."""

    full: np.ndarray
    small: np.ndarray
    grey_small: np.ndarray
    factor: int
    colour: bool


def _copies_in_stored_mode(
    image: np.ndarray, settings: PreprocessSettings
) -> tuple[_Copies, _Analysis, list[str]]:
    """The working copies, the analysis of the small grey one, and the colour decision's note."""
    factor = _shrink_factor(*image.shape[:2])
    if image.ndim == 3:
        grey_full = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        rgb_small = _shrink(image, factor)
    else:
        grey_full, rgb_small = image, None
    grey_small = _shrink(grey_full, factor)
    analysis = _analyse_small(grey_small)

    notes: list[str] = []
    colour = False
    if rgb_small is not None:
        colour, fraction = _is_colour(rgb_small, analysis.ink, settings)
        notes.append(
            f"kept in colour: {fraction:.1%} of the ink is coloured"
            if colour
            else f"stored as grey: only {fraction:.2%} of the ink is coloured"
        )
    full = image if colour else grey_full
    small = rgb_small if colour else grey_small
    return _Copies(full, small, grey_small, factor, colour), analysis, notes


def _turn_small_copies(
    copies: _Copies, orientation: _Orientation, deskew: bool, settings: PreprocessSettings
) -> tuple[_Copies, list[str]]:
    """The small copies upright and straight (the full page keeps its turn and skew for now)."""
    rotation, skew = orientation.rotation, orientation.skew
    grey_small, small, colour = copies.grey_small, copies.small, copies.colour
    notes: list[str] = []
    if rotation:
        notes.append(f"rotated {rotation}° (confidence {orientation.confidence:.2f})")
        grey_small = _undo_quarter_turns(grey_small, rotation)
        small = _undo_quarter_turns(small, rotation) if colour else grey_small
    if deskew:
        notes.append(f"deskewed {skew:+.2f}°")
        grey_small = _undo_skew(grey_small, skew, cv2.INTER_LINEAR)
        small = _undo_skew(small, skew, cv2.INTER_LINEAR) if colour else grey_small
    else:
        notes.append(f"skew {skew:+.2f}° left alone (< {settings.min_skew_to_correct}°)")
    return replace(copies, small=small, grey_small=grey_small), notes


def _crop_borders(
    copies: _Copies, rotation: int, settings: PreprocessSettings
) -> tuple[tuple[int, int, int, int], _Copies, list[str]]:
    """The crop of dark scanner borders in full-resolution px of the upright page (the whole page
    when there are none), found on the upright small copies; the small stored-mode copy cropped."""
    factor = copies.factor
    full_h, full_w = copies.full.shape[:2]
    if rotation % 180:
        full_h, full_w = full_w, full_h  # size once upright
    crop = (0, 0, full_w, full_h)
    if not settings.crop_borders:
        return crop, copies, []
    left, top, right, bottom = _border_crop(copies.grey_small, settings)
    small_h, small_w = copies.grey_small.shape
    if (left, top, right, bottom) == (0, 0, small_w, small_h):
        return crop, copies, []
    # Small px -> full px; the trimmed remainder (< factor px) sits past right/bottom.
    crop = (
        left * factor,
        top * factor,
        full_w if right == small_w else right * factor,
        full_h if bottom == small_h else bottom * factor,
    )
    note = (
        "cropped dark borders: "
        f"{crop[0]} px left, {crop[1]} px top, {full_w - crop[2]} px right, "
        f"{full_h - crop[3]} px bottom"
    )
    return crop, replace(copies, small=copies.small[top:bottom, left:right]), [note]


def _upright_full_page(
    full: np.ndarray, orientation: _Orientation, deskew: bool, crop: tuple[int, int, int, int]
) -> np.ndarray:
    # Quarter turns are exact (and cheap, and keep the warp below cache-friendly); the skew and
    # crop are one resampling.
    full = _undo_quarter_turns(full, orientation.rotation)
    if deskew:
        return _deskew_and_crop(full, orientation.skew, crop)
    return full[crop[1] : crop[3], crop[0] : crop[2]]


def _ocr_copy(page: np.ndarray, settings: PreprocessSettings) -> tuple[np.ndarray, list[str]]:
    """The grey page Tesseract reads: the cleaned page itself, or for a colour page its grey copy
    without coloured seals and signatures."""
    # Tesseract gets the cleaned grey page, not a binarised one. Measured on 12 generated office
    # scans (300 dpi, light..heavy damage, skew 0-4.5°, tesseract 5.3 -l vie --psm 3): raw scan
    # CER 4.97 % in 2.77 s/page; this grey page 0.55 % in 1.37 s; Otsu-binarised 0.61 % in 1.20 s.
    # Binarising saves ~12 % of OCR time but loses accuracy (thin tone marks break up), and
    # Tesseract thresholds a flat white background just as well itself.
    notes: list[str] = []
    if page.ndim == 2:
        ocr_image = page
    else:
        ocr_image, removed = _without_seals_and_signatures(page, settings)
        if removed:
            notes.append(f"OCR copy: {removed} seal/signature mark(s) in colour left out")
    ocr_image, rulings = _without_rulings(ocr_image)
    if rulings:
        notes.append(f"OCR copy: ruling lines left out ({rulings} px)")
    return ocr_image, notes


def _without_rulings(grey: np.ndarray) -> tuple[np.ndarray, int]:
    """The page with the rulings of its tables left out, and how many pixels they covered.

    Tesseract's layout analysis takes a ruled table for a picture and reads nothing inside it: the
    printout of a health-insurance card, a marriage extract's two columns and many forms hold
    their fields in one (seen: a card printout's eight rows read as no words; without its rulings,
    every row read). A run of ink longer than a twenty-fifth of the page is no letter at any
    body-text size (an em dash at 14 pt is a third of that at 300 dpi), so opening the ink with
    such a line keeps only straight lines. Only a table's are painted over with paper (two
    vertical rules or more, three horizontal ones across them, crossing at six points or more:
    rows and columns, not a card's frame): elsewhere a long stroke is a
    signature's or an underline, and taking it away changed how Tesseract cut the signer's block
    into lines (seen: "TRƯỞNG CÔNG AN" above a signature lost)."""
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    span = max(40, min(grey.shape) // 25)
    # Looked for on a copy a quarter the size (a rule a few pixels wide still leaves a trace
    # there), so that a page without a table costs a few milliseconds.
    shrink = 4
    small = cv2.resize(ink, (ink.shape[1] // shrink, ink.shape[0] // shrink), interpolation=cv2.INTER_AREA)
    small_down = _straight_runs((small > 48).astype(np.uint8), span // shrink, vertical=True, slack=1)
    table = _table_box(small_down, span // shrink)
    if table is None:
        return grey, 0
    x0, y0, x1, y1 = (min(limit, v * shrink) for v, limit in zip(table, (grey.shape[1], grey.shape[0]) * 2))
    region = ink[y0:y1, x0:x1]
    across = _straight_runs(region, span, vertical=False, slack=2)
    if sum(1 for w in _component_sizes(across, axis=0) if w >= max(4 * span, 0.6 * (x1 - x0))) < 3:
        return grey, 0  # a frame (a card's edge, a photo's box), not rows of a table
    down = _straight_runs(region, span, vertical=True, slack=2)
    near = np.ones((7, 7), np.uint8)
    crossings = cv2.bitwise_and(cv2.dilate(across, near), cv2.dilate(down, near))
    if len(_component_sizes(crossings, axis=0)) < 6:
        return grey, 0  # rules that do not cross as a grid's do (two cards one above the other)
    rulings = cv2.dilate(cv2.bitwise_or(across, down), np.ones((3, 3), np.uint8))
    out = grey.copy()
    out[y0:y1, x0:x1][rulings > 0] = 255
    return out, int(cv2.countNonZero(rulings))


def _straight_runs(ink: np.ndarray, span: int, *, vertical: bool, slack: int) -> np.ndarray:
    """The ink of ``ink`` lying on straight runs at least ``span`` long, across or down, that may
    drift ``slack`` pixels to either side (a phone photo's rules are not quite straight)."""
    thicken = np.ones((1, 2 * slack + 1) if vertical else (2 * slack + 1, 1), np.uint8)
    line = cv2.getStructuringElement(cv2.MORPH_RECT, (1, span) if vertical else (span, 1))
    return cv2.bitwise_and(cv2.morphologyEx(cv2.dilate(ink, thicken), cv2.MORPH_OPEN, line), ink)


def _component_sizes(mask: np.ndarray, axis: int) -> list[int]:
    """The width (axis 0) or height (axis 1) of each connected component of ``mask``."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    column = cv2.CC_STAT_WIDTH if axis == 0 else cv2.CC_STAT_HEIGHT
    return [int(stats[i, column]) for i in range(1, count)]


def _table_box(down: np.ndarray, span: int) -> tuple[int, int, int, int] | None:
    """The box around the vertical rules of a table (two or more rules at least two spans tall),
    a little enlarged to take in its outer horizontal rules; None when there are fewer."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(down, connectivity=8)
    rules = [stats[i] for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= 2 * span]
    if len(rules) < 2:
        return None
    margin = max(2, span // 8)
    x0 = min(int(r[cv2.CC_STAT_LEFT]) for r in rules) - margin
    y0 = min(int(r[cv2.CC_STAT_TOP]) for r in rules) - margin
    x1 = max(int(r[cv2.CC_STAT_LEFT] + r[cv2.CC_STAT_WIDTH]) for r in rules) + margin
    y1 = max(int(r[cv2.CC_STAT_TOP] + r[cv2.CC_STAT_HEIGHT]) for r in rules) + margin
    height, width = down.shape
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)
