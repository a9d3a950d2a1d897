"""Separation: which pages of a scanner's stream are which documents.

A feeder scanner turns a stack of papers into one long file; this stage decides where each paper
starts, which pages are separator sheets (not stored) and which are blank back sides (dropped from
the stored document by default; the original file keeps every page). Two steps, so that the
orchestrator can run the image work in its page pool:

    inspect_page(pixels, dpi, settings) -> PageSignals     per page, on the loaded pixels (~50 ms):
                                                           separator codes, Patch T bars, ink
    separate(signals, texts, settings)  -> Separation      per input, once the pages' OCR text is
                                                           known: the documents and every decision

The mechanisms, strongest first:
- separator pages: a barcode (Code 128, Code 39 or QR) whose content is ``PATCHT`` (the convention
  other document systems use), a Kodak Patch T sheet (its bar pattern), or sohoa's own separator
  sheet (a QR with a versioned payload, `SeparatorSheet`; it also names the dossier, type and
  owner of what follows, and a cover sheet starts a dossier). A code located but not decoded
  splits nothing and its page stays — a split is never guessed from a damaged code;
- blank pages, measured by ink (dark pixels against the local paper, a margin band and specks
  ignored), never by file size;
- content boundaries on OCR text, used when the stream has no separator sheets (by default): a
  national heading at the top, a title line of a catalog type, a page number 1 or "Trang 1/…"
  start a paper; page numbers continuing, an annex "kèm theo", a card's back side, text running
  on continue it. Each boundary gets a confidence; a doubtful one does not split but marks the
  document ``needs_review`` with "possible document boundary after page N".

Pages scanned apart (`group_page_files`) and single-sided duplex scans (`collate_duplex`) are
put in page order before any of this. Owner IDs never appear in a decision or a log line.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote

import cv2
import numpy as np
from rapidfuzz import fuzz

from pipeline.stages.barcodes import SYMBOLOGIES, Barcode, read_barcodes
from pipeline.stages.classify import ClassifySettings, TitleCue, cue_table, find_title
from pipeline.stages.extract import personal_id_problems
from pipeline.textnorm import fold_upper, nfc, squash, upper_ratio
from schemas.catalog import Catalog, default_catalog

log = logging.getLogger(__name__)

CONTENT_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class SeparateSettings:
    # Separator pages
    read_barcodes: bool = True
    separator_codes: tuple[str, ...] = ("PATCHT",)  # barcode contents that split (Paperless-ngx's default)
    patch_t_sheets: bool = True
    sohoa_sheets: bool = True
    # Blank pages. Ink is the share of the page inside the margin band that is darker than the
    # local paper by ``ink_contrast``, counting only specks of at least ``min_speck_mm2``. On 172
    # generated pages (tuning seeds 100-111, 200 and 300 dpi) blank backs with dust, hairs, noise,
    # bleed-through and lid shadows measured at most 0.003 %, and the emptiest content page (a
    # page number and two lines) 0.71 %: the threshold sits 30x above the one, 9x below the other.
    # A page is blank only when all three say so: little ink, few specks (a short line of text
    # makes ~20, dust on a blank back at most 4) and no one mark as big as a word or a signature
    # stroke; a page kept by mistake costs nothing, a page dropped by mistake loses content.
    drop_blank_pages: bool = True
    blank_max_ink: float = 0.0008
    blank_max_specks: int = 10
    blank_max_speck_mm2: float = 4.0
    blank_margin: float = 0.05  # of the width and height, on each side: lid shadows, punch holes
    min_speck_mm2: float = 0.12
    ink_contrast: float = 0.4
    blank_max_text_letters: int = 25  # OCR text with more letters keeps a page that looks blank
    analysis_dpi: float = 100.0  # the grey rendering ink and Patch T bars are measured on
    # Content boundaries: "auto" = only in streams without separator pages.
    content_boundaries: str = "auto"
    split_confidence: float = 0.8  # a boundary at least this sure splits
    review_confidence: float = 0.35  # between this and split_confidence: one document, needs_review
    heading_lines: int = 4  # the national heading counts as "at the top" in this many lines
    title_lines: int = 10
    title_min_similarity: float = 0.8

    def __post_init__(self) -> None:
        if self.content_boundaries not in CONTENT_MODES:
            raise ValueError(f"content_boundaries must be one of {', '.join(CONTENT_MODES)}")
        if not 0.0 < self.review_confidence <= self.split_confidence <= 1.0:
            raise ValueError("need 0 < review_confidence <= split_confidence <= 1")


# ================================================================================================
# sohoa's separator sheets: the QR payload

SHEET_PREFIX = "SOHOA-SEP:"
SHEET_VERSION = 1
SHEET_KINDS = ("doc", "cover")
_SAFE = "-._~/"  # kept as they are in a value; everything else is percent-encoded
_TYPE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_OWNER_ID = re.compile(r"^[0-9]{9}$|^[0-9]{12}$")  # the 12-digit personal ID, or an old 9-digit CMND


class SheetPayloadError(ValueError):
    """A QR that says it is a sohoa separator sheet but cannot be read as one."""


@dataclass(frozen=True)
class SeparatorSheet:
    """What a sohoa separator sheet says about the pages after it.

    ``kind`` "cover" starts a new dossier: its dossier code and owner hold for every document until
    the next cover. "doc" starts one document: its type (and owner or dossier, when given) hold
    for that document only. The payload, versioned::

        SOHOA-SEP:1;k=cover;d=000.00.24.H29-240515-0001;o=079123456789
        SOHOA-SEP:1;k=doc;t=giay_khai_sinh

    Keys are one letter, values percent-encoded; readers ignore keys they do not know, so a later
    minor addition still reads. The owner ID is kept out of ``repr`` (it never reaches a log)."""

    kind: str = "doc"
    dossier_code: str | None = None
    doc_type: str | None = None
    owner_id: str | None = field(default=None, repr=False)
    version: int = SHEET_VERSION

    def __post_init__(self) -> None:
        if self.kind not in SHEET_KINDS:
            raise SheetPayloadError(f"unknown sheet kind {self.kind!r}")
        if self.doc_type is not None and not _TYPE_CODE.match(self.doc_type):
            raise SheetPayloadError(f"document type {self.doc_type!r} is not a type code")
        if self.owner_id is not None and not _OWNER_ID.match(self.owner_id):
            raise SheetPayloadError("owner ID must be 12 digits (or an old 9-digit number)")
        if self.dossier_code is not None and not (0 < len(self.dossier_code) <= 64):
            raise SheetPayloadError("dossier code must be 1-64 characters")

    def payload(self) -> str:
        parts = [f"{SHEET_PREFIX}{self.version}", f"k={self.kind}"]
        for key, value in (("d", self.dossier_code), ("t", self.doc_type), ("o", self.owner_id)):
            if value:
                parts.append(f"{key}={quote(value, safe=_SAFE)}")
        return ";".join(parts)

    def describe(self) -> str:
        """For decisions and logs: the dossier and type, and only whether an owner is set."""
        what = ["cover (starts a dossier)" if self.kind == "cover" else "document"]
        if self.dossier_code:
            what.append(f"dossier {self.dossier_code}")
        if self.doc_type:
            what.append(f"type {self.doc_type}")
        if self.owner_id:
            what.append("owner set")
        return ", ".join(what)


def is_sheet_payload(text: str) -> bool:
    return text.startswith(SHEET_PREFIX)


def parse_sheet_payload(text: str) -> SeparatorSheet:
    """The sheet a ``SOHOA-SEP:`` payload describes; `SheetPayloadError` when it is malformed or
    of a version this reader does not know."""
    if not is_sheet_payload(text):
        raise SheetPayloadError("not a sohoa separator sheet")
    head, _, rest = text[len(SHEET_PREFIX):].partition(";")
    if not head.isdigit():
        raise SheetPayloadError(f"version {head!r} is not a number")
    version = int(head)
    if version != SHEET_VERSION:
        raise SheetPayloadError(f"separator sheet of version {version}; this reader knows {SHEET_VERSION}")
    values: dict[str, str] = {}
    for item in filter(None, rest.split(";")):
        key, sep, value = item.partition("=")
        if not sep:
            raise SheetPayloadError(f"item {item!r} is not key=value")
        values[key] = nfc(unquote(value))
    return SeparatorSheet(
        kind=values.get("k", "doc"),
        dossier_code=values.get("d") or None,
        doc_type=values.get("t") or None,
        owner_id=values.get("o") or None,
        version=version,
    )


def separator_sheets_pdf(sheets: Sequence[SeparatorSheet], catalog: Catalog | None = None) -> bytes:
    """A4 pages, one per sheet: the QR with the payload (error correction H, 80 mm, and a 35 mm
    copy at the foot in case a staple or a punch hole hits the first), and the same text in large
    Liberation Serif for the person feeding the scanner."""
    from fpdf import FPDF
    from fpdf.enums import Align

    font_dir = _sheet_font_dir()
    catalog = catalog or default_catalog()
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title("sohoa - tờ phân cách")
    for style, name in (("", "Regular"), ("B", "Bold"), ("I", "Italic")):
        pdf.add_font("LiberationSerif", style, str(font_dir / f"LiberationSerif-{name}.ttf"))
    for sheet in sheets:
        pdf.add_page()
        cover = sheet.kind == "cover"
        pdf.set_font("LiberationSerif", "B", 30)
        pdf.set_xy(10, 14)
        pdf.cell(190, 14, "TỜ PHÂN CÁCH HỒ SƠ" if cover else "TỜ PHÂN CÁCH GIẤY TỜ", align=Align.C)
        pdf.set_font("LiberationSerif", "I", 13)
        pdf.set_xy(10, 30)
        what = "Đặt trước các giấy tờ của hồ sơ này" if cover else "Đặt trước giấy tờ này"
        pdf.cell(190, 7, f"{what} khi quét. Trang này không được lưu.", align=Align.C)
        _draw_qr(pdf, sheet.payload(), 65, 44, 80)
        y = 134.0
        lines = []
        if sheet.dossier_code:
            lines.append(("Mã hồ sơ:", sheet.dossier_code))
        if sheet.doc_type:
            spec = catalog.document_types.get(sheet.doc_type)
            lines.append(("Loại giấy tờ:", spec.title if spec else sheet.doc_type))
        if sheet.owner_id:
            lines.append(("Số định danh:", sheet.owner_id))
        if not lines:
            lines.append(("", "Bắt đầu hồ sơ mới" if cover else "Bắt đầu giấy tờ mới"))
        for label, value in lines:
            pdf.set_font("LiberationSerif", "", 20)
            pdf.set_xy(20, y)
            pdf.cell(170, 10, label, align=Align.C)
            pdf.set_font("LiberationSerif", "B", 30 if len(value) <= 26 else 22)
            pdf.set_xy(10, y + 10)
            pdf.cell(190, 14, value, align=Align.C)
            y += 30
        if sheet.doc_type:
            pdf.set_font("LiberationSerif", "", 14)
            pdf.set_xy(10, y - 4)
            pdf.cell(190, 7, f"({sheet.doc_type})", align=Align.C)
        _draw_qr(pdf, sheet.payload(), 20, 240, 35)
        pdf.set_font("LiberationSerif", "", 11)
        pdf.set_xy(60, 255)
        pdf.multi_cell(130, 5, sheet.payload(), align=Align.L)
    return bytes(pdf.output())


SHEET_FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"))


def _sheet_font_dir() -> Path:
    for folder in SHEET_FONT_DIRS:
        if (folder / "LiberationSerif-Regular.ttf").is_file():
            return folder
    raise FileNotFoundError("Liberation Serif was not found (Debian: fonts-liberation2) in "
                            + ", ".join(map(str, SHEET_FONT_DIRS)))


def _draw_qr(pdf, payload: str, x: float, y: float, size: float) -> None:
    import segno

    code = segno.make(payload, error="h", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


# ================================================================================================
# What one page shows: separators and ink


@dataclass(frozen=True)
class Separator:
    kind: str  # "barcode" (PATCHT), "patch_t" (Kodak bars), "sohoa_sheet"
    detail: str  # symbology, or the patch found
    sheet: SeparatorSheet | None = None
    problem: str = ""  # a sohoa sheet whose payload could not be read: it splits, sets nothing


@dataclass(frozen=True)
class PatchCode:
    name: str  # "1", "2", "3", "T", "4", "6"
    box: tuple[int, int, int, int]  # in pixels of the analysed (small) image
    reading: str  # "top", "bottom", "left", "right": the edge the pattern is read from


@dataclass(frozen=True)
class InkMeasure:
    fraction: float  # of the page inside the margin band
    specks: int  # ink components counted
    blank: bool
    largest_mm2: float = 0.0


@dataclass(frozen=True)
class PageSignals:
    """What the image of one page says, before OCR."""

    separator: Separator | None = None
    unreadable_codes: tuple[str, ...] = ()  # symbologies located but not decoded
    other_codes: tuple[str, ...] = ()  # symbologies decoded that are not separators (contents not kept)
    patch_codes: tuple[str, ...] = ()
    ink: InkMeasure | None = None
    seconds: float = 0.0


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    return image


def analysis_image(grey: np.ndarray, dpi: float | None, settings: SeparateSettings) -> tuple[np.ndarray, float]:
    """The page in grey at about ``analysis_dpi`` (a whole-number reduction: OpenCV's fast path,
    a tenth of the time of an arbitrary ratio), and its pixels per mm. Without a known dpi the
    page is taken to be A4 along its longer side."""
    if not dpi or dpi < 50 or dpi > 2400:
        dpi = max(grey.shape) / (297 / 25.4)
    factor = max(1, round(dpi / settings.analysis_dpi))
    if factor > 1:
        h, w = grey.shape[0] - grey.shape[0] % factor, grey.shape[1] - grey.shape[1] % factor
        grey = cv2.resize(grey[:h, :w], (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    return grey, dpi / factor / 25.4


def _paper(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The brightness of the paper around each pixel: a maximum over 2 mm cells within 12 mm
    (wider than a bold title stroke or a whole Patch T: their insides are not paper), smoothed
    and scaled back."""
    h, w = grey.shape
    cell = max(2, round(2 * px_per_mm))
    small = cv2.resize(grey, (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA)
    reach = 2 * math.ceil(12 * px_per_mm / cell) + 1
    small = cv2.dilate(small, np.ones((reach, reach), np.uint8))
    small = cv2.GaussianBlur(small, (0, 0), 2)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def ink_mask(grey: np.ndarray, contrast: float, px_per_mm: float) -> np.ndarray:
    """Pixels darker than their local paper by ``contrast`` (0.4 = 40 % darker): ink, not the
    grey of bleed-through, uneven light or a yellowed sheet."""
    paper = _paper(grey, px_per_mm).astype(np.float32)
    return (grey.astype(np.float32) < paper * (1.0 - contrast)).astype(np.uint8)


def measure_ink(small: np.ndarray, px_per_mm: float, settings: SeparateSettings,
                mask: np.ndarray | None = None) -> InkMeasure:
    """The ink on a page: the share of the page inside a margin band covered by specks of at
    least ``min_speck_mm2`` that do not run into the band (lid shadows, punch holes, a page edge).
    ``mask`` is the page's `ink_mask` when the caller has it already."""
    h, w = small.shape
    my, mx = int(h * settings.blank_margin), int(w * settings.blank_margin)
    if h - 2 * my <= 0 or w - 2 * mx <= 0:
        return InkMeasure(0.0, 0, True)
    if mask is None:
        mask = ink_mask(small, settings.ink_contrast, px_per_mm)
    mask = np.ascontiguousarray(mask[my: h - my, mx: w - mx])
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    min_area = max(1, round(settings.min_speck_mm2 * px_per_mm * px_per_mm))
    ih, iw = mask.shape
    x, y, bw, bh, area = (stats[1:, i] for i in range(5))
    touches = (x == 0) | (y == 0) | (x + bw >= iw) | (y + bh >= ih)
    kept = (area >= min_area) & ~touches
    fraction = float(area[kept].sum()) / float(ih * iw)
    specks = int(kept.sum())
    largest = float(area[kept].max()) / (px_per_mm * px_per_mm) if specks else 0.0
    blank = (fraction < settings.blank_max_ink and specks <= settings.blank_max_specks
             and largest < settings.blank_max_speck_mm2)
    return InkMeasure(round(fraction, 6), specks, blank, round(largest, 2))


# --- Kodak patch codes: four bars, two wide (5.08 mm) and two narrow (2.03 mm), three narrow
# spaces, 20.3 mm in all, the bars parallel to the leading edge. Read from the leading edge:
PATCH_PATTERNS = {"WWNN": "1", "WNNW": "2", "WNWN": "3", "NWNW": "T", "NWWN": "4", "NNWW": "6"}
_NARROW_MM, _WIDE_MM, _PATCH_MM = 2.03, 5.08, 20.3


@dataclass(frozen=True)
class _Bar:
    centre: np.ndarray  # x, y
    direction: np.ndarray  # unit vector along the bar
    length: float
    thickness: float


def _bars(mask: np.ndarray, px_per_mm: float) -> list[_Bar]:
    """Solid ink rectangles as thick and as long as patch bars."""
    # Outer boundaries of every component, also those inside another's hole: a dark frame left by
    # an open scanner lid must not hide the bars within it.
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    bars = []
    for index, contour in enumerate(contours):
        if len(contour) < 4 or hierarchy[0][index][3] != -1:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        length, thickness = max(rw, rh), min(rw, rh)
        if thickness < 1.2 * px_per_mm or thickness > 6.8 * px_per_mm or length < 15 * px_per_mm:
            continue
        if length < 3 * thickness or cv2.contourArea(contour) < 0.7 * rw * rh:  # solid, ragged edges allowed
            continue
        theta = math.radians(angle if rw >= rh else angle + 90)
        bars.append(_Bar(np.array([cx, cy]), np.array([math.cos(theta), math.sin(theta)]), length, thickness))
    return bars


def find_patch_codes(small: np.ndarray, px_per_mm: float, contrast: float = 0.4,
                     mask: np.ndarray | None = None) -> list[PatchCode]:
    """Kodak patch codes on a grey page: groups of four parallel bars with the patch widths,
    read from the page edge they are nearer to (the leading edge: a patch read from the far side
    would swap T for 3). Turned, upside-down and end-fed (vertical) patches are found."""
    bars = _bars(ink_mask(small, contrast, px_per_mm) if mask is None else mask, px_per_mm)
    h, w = small.shape
    found: list[PatchCode] = []
    used: set[int] = set()
    for i, bar in enumerate(bars):
        if i in used:
            continue
        normal = np.array([-bar.direction[1], bar.direction[0]])
        group = [j for j, other in enumerate(bars)
                 if abs(float(np.dot(bar.direction, other.direction))) > math.cos(math.radians(5))
                 and 0.6 < other.length / bar.length < 1.67
                 and abs(float(np.dot(other.centre - bar.centre, bar.direction))) < 0.25 * bar.length
                 and abs(float(np.dot(other.centre - bar.centre, normal))) < 1.3 * _PATCH_MM * px_per_mm]
        group.sort(key=lambda j: float(np.dot(bars[j].centre, normal)))
        for start in range(len(group) - 3):
            four = [bars[j] for j in group[start: start + 4]]
            code = _patch_from_bars(four, normal, px_per_mm, (w, h))
            if code is not None:
                found.append(code)
                used.update(group[start: start + 4])
                break
    return found


def _patch_from_bars(four: list[_Bar], normal: np.ndarray, px_per_mm: float,
                     size: tuple[int, int]) -> PatchCode | None:
    offsets = [float(np.dot(b.centre, normal)) for b in four]
    thick = [b.thickness for b in four]
    span = offsets[-1] - offsets[0] + (thick[0] + thick[-1]) / 2
    if not 0.75 * _PATCH_MM * px_per_mm <= span <= 1.25 * _PATCH_MM * px_per_mm:
        return None
    narrow = min(thick)
    widths = ["W" if t > 1.8 * narrow else "N" for t in thick]
    if widths.count("W") != 2:
        return None
    gaps = [offsets[k + 1] - offsets[k] - (thick[k] + thick[k + 1]) / 2 for k in range(3)]
    if any(not 0.45 * _NARROW_MM * px_per_mm <= g <= 1.7 * _NARROW_MM * px_per_mm for g in gaps):
        return None
    centre = np.mean([b.centre for b in four], axis=0)
    w, h = size
    # distance from the group to the page edge on either side along the normal
    if abs(normal[1]) >= abs(normal[0]):  # bars run across: read from the top or the bottom
        low_edge, high_edge = ("top", "bottom") if normal[1] > 0 else ("bottom", "top")
        low_distance = centre[1] if normal[1] > 0 else h - centre[1]
        extent = h
    else:
        low_edge, high_edge = ("left", "right") if normal[0] > 0 else ("right", "left")
        low_distance = centre[0] if normal[0] > 0 else w - centre[0]
        extent = w
    pattern = "".join(widths)
    reading = low_edge
    if low_distance > extent - low_distance:
        pattern, reading = pattern[::-1], high_edge
    name = PATCH_PATTERNS.get(pattern)
    if name is None:
        return None
    xs = [b.centre[0] for b in four]
    ys = [b.centre[1] for b in four]
    box = (int(min(xs)), int(min(ys)), int(max(xs) - min(xs)) + 1, int(max(ys) - min(ys)) + 1)
    return PatchCode(name, box, reading)


def _separator_from_codes(codes: Sequence[Barcode], settings: SeparateSettings) -> Separator | None:
    """The separator the decoded codes make a page into, if any; a sohoa sheet wins over PATCHT
    (it carries metadata). A malformed sohoa payload still separates: its prefix is ours."""
    best: Separator | None = None
    for code in codes:
        if not code.valid:
            continue
        text = code.text.strip()
        if settings.sohoa_sheets and is_sheet_payload(text):
            try:
                return Separator("sohoa_sheet", code.symbology, parse_sheet_payload(text))
            except SheetPayloadError as exc:
                best = Separator("sohoa_sheet", code.symbology, None, str(exc))
        elif text.upper() in {c.upper() for c in settings.separator_codes} and best is None:
            best = Separator("barcode", code.symbology)
    return best


def inspect_page(image: np.ndarray, dpi: float | None = None,
                 settings: SeparateSettings = SeparateSettings()) -> PageSignals:
    """What one page's image says for separation: a separator (decoded code or Patch T bars),
    codes located but not decoded, and its ink. Works on the loaded pixels in any orientation."""
    started = time.perf_counter()
    grey = _grey(image)
    small, px_per_mm = analysis_image(grey, dpi, settings)
    codes: tuple[Barcode, ...] = ()
    if settings.read_barcodes:  # at full resolution: reducing the page costs as much as it saves
        factor = max(1, round(grey.shape[1] / small.shape[1]))
        codes = read_barcodes(grey, SYMBOLOGIES, overview=(small, factor) if factor > 1 else None)
    separator = _separator_from_codes(codes, settings)
    mask = ink_mask(small, settings.ink_contrast, px_per_mm)
    patches: list[PatchCode] = []
    if settings.patch_t_sheets:
        patches = find_patch_codes(small, px_per_mm, settings.ink_contrast, mask)
        if separator is None and any(p.name == "T" for p in patches):
            separator = Separator("patch_t", "Kodak Patch T")
    ink = measure_ink(small, px_per_mm, settings, mask)
    decoded_others = tuple(c.symbology for c in codes if c.valid and (separator is None or c.symbology != separator.detail))
    # zxing-cpp now and then locates a QR in the noise of an empty page; a real code, readable or
    # not, is more ink than a blank page may hold
    unreadable = () if ink.blank else tuple(c.symbology for c in codes if not c.valid)
    return PageSignals(
        separator=separator,
        unreadable_codes=unreadable,
        other_codes=decoded_others if separator is None else (),
        patch_codes=tuple(p.name for p in patches),
        ink=ink,
        seconds=time.perf_counter() - started,
    )


# ================================================================================================
# What one page's text says: cues of a paper's first page and of a continuation

_NATIONAL_KEYS = ("CONGHOAXAHOICHUNGHIAVIETNAM", "DOCLAPTUDOHANHPHUC", "SOCIALISTREPUBLICOFVIETNAM")
# Issuing bodies whose name opens a paper's first line (Decree 30/2020: top left, beside the heading)
_ISSUER_KEYS = ("UYBANNHANDAN", "UBND", "BAOHIEMXAHOI", "CONGAN", "BOCONGAN", "SOTUPHAP", "SOXAYDUNG",
                "PHONGKINHTE", "PHONGTAINGUYEN", "CUCCANHSAT", "TOAAN", "BENHVIEN", "TRUONG")
_BARE_NUMBER = re.compile(r"^\W{0,2}(\d{1,3})\W{0,2}$")
_PAGE_OF = re.compile(r"(?:TRANG|PAGE)\s*([0-9OolI]{1,3})\s*(?:/|TREN|OF)\s*([0-9OolI]{1,3})", re.IGNORECASE)
_FRACTION = re.compile(r"^\W{0,2}(\d{1,3})\s*/\s*(\d{1,3})\W{0,2}$")
_TWELVE_DIGITS = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_MRZ = re.compile(r"^(?:ID|I<|IC)[A-Z<]{3}[A-Z0-9<]{20,}$|[A-Z0-9]{5,}<<[A-Z0-9<]{5,}")
_CARD_BACK = ("DAC DIEM NHAN DANG", "NGON TRO TRAI", "NGON TRO PHAI")
_CARD_TYPES = ("can_cuoc", "the_bao_hiem_y_te")
_ANNEX = ("KEM THEO", "PHU LUC")
_SENTENCE_END = ".:;!?)\"”/"
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "L": "1", "I": "1"})  # "Trang l/2" read as "TRANG L/2"


@dataclass(frozen=True)
class PageCues:
    """What a page's text shows about where it sits in a paper."""

    heading_line: int | None  # 0-based line of the national heading, when found in the title lines
    heading_similarity: float
    title_type: str | None
    title: str | None  # the cue matched
    title_similarity: float
    title_inline: bool  # the title was found inside a caps line, not opening one
    issuer_at_top: bool
    page_number: int | None
    page_total: int | None
    owner_ids: frozenset[str] = field(repr=False)
    card_back: bool
    annex: bool
    first_line: str  # first body line (after a page number), for "text running on"
    last_line: str


def _lines(text: str) -> list[str]:
    return [line.strip() for line in nfc(text).splitlines() if line.strip()]


def _heading(lines: Sequence[str], limit: int) -> tuple[int | None, float]:
    best_line, best = None, 0.0
    for index, line in enumerate(lines[:limit]):
        key = squash(line)
        for national in _NATIONAL_KEYS:
            if len(key) < 0.7 * len(national):
                continue
            similarity = fuzz.partial_ratio(national, key) / 100.0
            if similarity > best:
                best_line, best = index, similarity
    return best_line, best


def _title_inside(lines: Sequence[str], cues, min_similarity: float) -> TitleCue | None:
    """A catalog title inside one of the first caps lines, as when OCR reads an issuer block
    and the title on one line ("BẢO HIỂM XÃ HỘI VIỆT NAM THẺ BẢO HIỂM Y TẾ")."""
    best: TitleCue | None = None
    for line in lines:
        if upper_ratio(line) < 0.7:
            continue
        key = squash(line)
        for cue in cues:
            if len(cue.key) < 8 or len(key) < len(cue.key):
                continue
            similarity = fuzz.partial_ratio(cue.key, key) / 100.0
            if similarity >= max(min_similarity, 0.85) and (best is None or similarity > best.similarity):
                best = TitleCue(cue.doc_type, cue.text, line, similarity)
    return best


def _page_number(lines: Sequence[str]) -> tuple[int | None, int | None]:
    """A page number at the top or the bottom: "2", "- 2 -", "Trang 2/3", "2/3"."""
    candidates = list(lines[:2]) + list(lines[-2:])
    for line in candidates:
        match = _PAGE_OF.search(fold_upper(line))
        if match:
            try:
                return int(match.group(1).translate(_LOOKALIKES)), int(match.group(2).translate(_LOOKALIKES))
            except ValueError:
                continue
    for line in candidates:
        match = _FRACTION.match(line)
        if match:
            return int(match.group(1)), int(match.group(2))
        match = _BARE_NUMBER.match(line)
        if match and 0 < int(match.group(1)) < 500:
            return int(match.group(1)), None
    return None, None


def page_cues(text: str, settings: SeparateSettings = SeparateSettings(), catalog: Catalog | None = None
              ) -> PageCues:
    """The cues of one page's OCR text."""
    lines = _lines(text)
    heading_line, heading_similarity = _heading(lines, settings.title_lines)
    cues = _cue_table(catalog)
    title = find_title("\n".join(lines[: settings.title_lines]), cues,
                       ClassifySettings(title_min_similarity=settings.title_min_similarity,
                                        title_search_lines=settings.title_lines))
    inline = False
    if title is None:
        title = _title_inside(lines[:3], cues, settings.title_min_similarity)
        inline = title is not None
    number, total = _page_number(lines)
    first_key = squash(lines[0]) if lines else ""
    issuer = any(fuzz.ratio(key, first_key[: len(key)]) >= 85 for key in _ISSUER_KEYS if len(first_key) >= len(key))
    ids = frozenset(m for m in _TWELVE_DIGITS.findall(text) if not personal_id_problems(m))
    folded = [fold_upper(line) for line in lines]
    card_back = any(_MRZ.search(line.replace(" ", "")) for line in folded) or any(
        cue in line for line in folded for cue in _CARD_BACK)
    annex = any(cue in line for line in folded[:6] for cue in _ANNEX)
    body = [line for line in lines if not (_BARE_NUMBER.match(line) or _PAGE_OF.search(fold_upper(line)))]
    return PageCues(
        heading_line=heading_line if heading_similarity >= 0.8 else None,
        heading_similarity=round(heading_similarity, 3),
        title_type=title.doc_type if title else None,
        title=title.cue if title else None,
        title_similarity=round(title.similarity, 3) if title else 0.0,
        title_inline=inline,
        issuer_at_top=issuer,
        page_number=number,
        page_total=total,
        owner_ids=ids,
        card_back=card_back,
        annex=annex,
        first_line=body[0] if body else "",
        last_line=body[-1] if body else "",
    )


_CUE_TABLES: dict[int, tuple[Catalog, tuple]] = {}


def _cue_table(catalog: Catalog | None) -> tuple:
    """The catalog's title cues, built once per catalog (a stream reads them on every page)."""
    catalog = catalog or default_catalog()
    entry = _CUE_TABLES.get(id(catalog))
    if entry is None or entry[0] is not catalog:
        entry = _CUE_TABLES[id(catalog)] = (catalog, cue_table(catalog))
    return entry[1]


# ================================================================================================
# Content boundaries: does page B start a new paper after page A?


@dataclass(frozen=True)
class Boundary:
    confidence: float  # that a new document starts at the later page
    reasons: tuple[str, ...]


@dataclass
class _OpenDocument:
    """What is known of the document being read, for judging the next page."""

    doc_type: str | None = None
    last_number: int | None = None
    last_total: int | None = None
    owner_ids: set[str] = field(default_factory=set)
    last_line: str = ""


def _sigmoid(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-score))


def boundary_before(page: PageCues, current: _OpenDocument, settings: SeparateSettings) -> Boundary:
    """How sure we are that ``page`` starts a new paper, given the document read so far.

    Evidence is added as log-odds, strong cues near ±4 (a heading, a title, a page number that
    follows the last), weak ones near ±1 (a new owner ID, text running on). The weights were set
    by hand on the OCR-noised generated streams of seeds 100-130; scripts/bench_separate.py
    scores them on other seeds."""
    score = -1.0  # a page without cues continues
    reasons: list[str] = []
    if page.heading_line is not None and page.heading_line < settings.heading_lines:
        score += 4.5
        reasons.append("national heading at the top")
    elif page.heading_line is not None:
        score += 2.0
        reasons.append(f"national heading on line {page.heading_line + 1}")
    if page.title_type is not None:
        strength = max(0.0, min(1.0, (page.title_similarity - 0.7) / 0.3))
        score += (1.0 + 2.0 * strength) if page.title_inline else (1.0 + 3.0 * strength)
        reasons.append(f"title {page.title!r} ({page.title_similarity:.2f}{', inside a line' if page.title_inline else ''})")
        if current.doc_type and page.title_type != current.doc_type:
            score += 0.5
            reasons.append(f"a different type from the {current.doc_type} before")
    if page.issuer_at_top:
        score += 1.5
        reasons.append("an issuing body on the first line")
    if page.page_number is not None:
        if page.page_number == 1:
            score += 3.0
            reasons.append("page number 1" if page.page_total is None else f"page 1/{page.page_total}")
        elif current.last_number is not None and page.page_number == current.last_number + 1:
            score -= 5.0
            reasons.append(f"page number {page.page_number} follows {current.last_number}")
        elif current.last_number is None and page.page_number == 2:
            score -= 4.0
            reasons.append("page number 2 after an unnumbered first page")
        else:
            score -= 1.5
            reasons.append(f"page number {page.page_number}")
    elif current.last_total is not None and current.last_number is not None and current.last_number < current.last_total:
        score -= 1.5
        reasons.append(f"the page before was {current.last_number}/{current.last_total}")
    if page.annex:
        score -= 3.0
        reasons.append("an annex (kèm theo / phụ lục) of the paper before")
    if page.card_back and page.heading_line is None:
        score -= 4.0 if current.doc_type in _CARD_TYPES else 2.0
        reasons.append("the back of a card")
    if page.owner_ids and current.owner_ids and not (page.owner_ids & current.owner_ids):
        score += 1.0
        reasons.append("a new owner ID")
    if _runs_on(current.last_line, page.first_line):
        score -= 1.5
        reasons.append("the text runs on from the page before")
    if not reasons:
        reasons.append("no heading, title or page number")
    return Boundary(round(_sigmoid(score), 4), tuple(reasons))


def _runs_on(previous_last: str, first: str) -> bool:
    """The page before stops mid-sentence and this one starts in lower case."""
    if not previous_last or not first:
        return False
    return previous_last[-1] not in _SENTENCE_END and first[0].isalpha() and first[0].islower()


def _opened(page: PageCues) -> _OpenDocument:
    return _OpenDocument(page.title_type, page.page_number, page.page_total, set(page.owner_ids), page.last_line)


def _carried(current: _OpenDocument, page: PageCues) -> _OpenDocument:
    return _OpenDocument(
        current.doc_type or page.title_type,
        page.page_number if page.page_number is not None else (current.last_number + 1 if current.last_number else None),
        page.page_total if page.page_total is not None else current.last_total,
        current.owner_ids | set(page.owner_ids),
        page.last_line,
    )


# ================================================================================================
# The separation of a stream


@dataclass(frozen=True)
class DocumentMetadata:
    """What separator sheets said about a document (None where they said nothing)."""

    dossier_code: str | None = None
    doc_type: str | None = None
    owner_id: str | None = field(default=None, repr=False)
    starts_dossier: bool = False  # the first document after a cover sheet
    sheet_pages: tuple[int, ...] = ()  # the sheets it came from


@dataclass(frozen=True)
class DocumentSpan:
    """One document of the stream: pages ``first_page``..``last_page`` (1-based, inclusive) less
    the ``dropped_pages`` (blank), never a separator page."""

    first_page: int
    last_page: int
    dropped_pages: tuple[int, ...] = ()
    metadata: DocumentMetadata | None = None
    boundary_confidence: float = 1.0  # that a document starts at first_page
    needs_review: str | None = None

    @property
    def pages(self) -> tuple[int, ...]:
        """The pages to store, 1-based."""
        return tuple(p for p in range(self.first_page, self.last_page + 1) if p not in self.dropped_pages)


@dataclass(frozen=True)
class Decision:
    page: int  # 1-based
    kind: str  # separator | unreadable_code | blank | blank_kept | start | boundary | possible_boundary | continuation
    reason: str
    confidence: float


@dataclass(frozen=True)
class Separation:
    documents: tuple[DocumentSpan, ...]
    decisions: tuple[Decision, ...]
    separator_pages: tuple[int, ...] = ()
    unassigned_pages: tuple[int, ...] = ()  # blank pages between separator sheets: in no document
    content_boundaries_used: bool = False
    seconds: float = 0.0

    @property
    def dropped_pages(self) -> tuple[int, ...]:
        return tuple(p for doc in self.documents for p in doc.dropped_pages)


@dataclass
class _Segment:
    """Pages between two separator pages, with what the separators before it said."""

    pages: list[int]
    sheets: list[tuple[int, Separator]]


def _is_blank(index: int, signals: PageSignals | None, text: str | None, settings: SeparateSettings,
              decisions: list[Decision]) -> bool:
    if signals is None or signals.ink is None or not signals.ink.blank:
        return False
    letters = sum(ch.isalpha() for ch in text) if text else 0
    if letters > settings.blank_max_text_letters:
        decisions.append(Decision(index + 1, "blank_kept",
                                  f"little ink ({signals.ink.fraction:.4%}) but OCR read {letters} letters: kept", 0.5))
        return False
    # a page with a code or bars on it is not blank, whatever its ink
    return not (signals.unreadable_codes or signals.other_codes or signals.patch_codes)


def _segments(signals: Sequence[PageSignals | None], settings: SeparateSettings,
              decisions: list[Decision]) -> tuple[list[_Segment], list[int]]:
    segments = [_Segment([], [])]
    separator_pages = []
    for index, page in enumerate(signals):
        number = index + 1
        if page is not None and page.separator is not None:
            sep = page.separator
            separator_pages.append(number)
            if sep.kind == "sohoa_sheet" and sep.sheet is not None:
                what = f"sohoa separator sheet ({sep.sheet.describe()})"
            elif sep.kind == "sohoa_sheet":
                what = f"sohoa separator sheet whose payload could not be read ({sep.problem}): splits, sets nothing"
            elif sep.kind == "patch_t":
                what = "Kodak Patch T sheet"
            else:
                what = f"separator barcode PATCHT ({sep.detail})"
            decisions.append(Decision(number, "separator", f"{what}: not stored", 1.0))
            if segments[-1].pages:
                segments.append(_Segment([], []))
            segments[-1].sheets.append((number, sep))
            continue
        if page is not None and page.unreadable_codes:
            decisions.append(Decision(number, "unreadable_code",
                                      f"a {', '.join(sorted(set(page.unreadable_codes)))} code that could not be "
                                      "decoded: not split here, the page stays", 0.0))
        segments[-1].pages.append(number)
    return segments, separator_pages


def _metadata(sheets: Sequence[tuple[int, Separator]], dossier: DocumentMetadata | None
              ) -> tuple[DocumentMetadata | None, DocumentMetadata | None]:
    """The metadata of the first document after ``sheets``, and the dossier context that later
    documents inherit: a cover sheet replaces the context (dossier code, owner), a document sheet
    adds its type, and its owner or dossier code where it names them, for one document."""
    document = None
    for page, sep in sheets:
        sheet = sep.sheet
        if sheet is None:  # PATCHT, Patch T, or an unreadable sohoa payload: splits, says nothing
            continue
        if sheet.kind == "cover":
            dossier = DocumentMetadata(sheet.dossier_code, None, sheet.owner_id, True, (page,))
            document = replace(dossier, doc_type=sheet.doc_type)
        else:
            base = document or (replace(dossier, starts_dossier=False) if dossier else DocumentMetadata())
            document = DocumentMetadata(
                sheet.dossier_code or base.dossier_code,
                sheet.doc_type or base.doc_type,
                sheet.owner_id or base.owner_id,
                base.starts_dossier,
                base.sheet_pages + (page,),
            )
    if document is None and dossier is not None:
        document = replace(dossier, starts_dossier=False)
    return document, dossier


def separate(
    signals: Sequence[PageSignals | None],
    texts: Sequence[str | None] | None = None,
    settings: SeparateSettings = SeparateSettings(),
    catalog: Catalog | None = None,
) -> Separation:
    """The documents of one input's pages, from each page's image signals (`inspect_page`; None
    for a page without an image, e.g. a born-digital PDF's) and OCR text (None when not read).

    Every page is either a separator page or in exactly one document; blank pages inside a
    document are listed as its dropped pages (kept when ``drop_blank_pages`` is off). An input
    with no content page at all stays one document of all its pages, marked for review."""
    started = time.perf_counter()
    count = len(signals)
    texts = list(texts) if texts is not None else [None] * count
    if len(texts) != count:
        raise ValueError(f"{count} pages of signals but {len(texts)} texts")
    decisions: list[Decision] = []
    if count == 0:
        return Separation((), (), seconds=time.perf_counter() - started)
    segments, separator_pages = _segments(signals, settings, decisions)
    blank = {i + 1 for i in range(count)
             if (i + 1) not in separator_pages and _is_blank(i, signals[i], texts[i], settings, decisions)}
    use_content = settings.content_boundaries == "always" or (
        settings.content_boundaries == "auto" and not separator_pages)
    use_content = use_content and any(t for t in texts)

    groups, unassigned = _merge_empty_segments(segments, blank)
    if not groups:  # not one content page: keep the first run of pages as a document to look at
        pages = [p for p in range(1, count + 1) if p not in separator_pages]
        if not pages:  # nothing but separator sheets
            return Separation((), tuple(decisions), tuple(separator_pages), (), use_content,
                              time.perf_counter() - started)
        run = [pages[0]]
        while run[-1] + 1 in pages:
            run.append(run[-1] + 1)
        reason = "every page looks blank: kept as one document"
        decisions.append(Decision(run[0], "start", reason, 1.0))
        span = DocumentSpan(run[0], run[-1], (), None, 1.0, reason)
        rest = tuple(p for p in pages if p not in run)
        return Separation((span,), tuple(sorted(decisions, key=lambda d: d.page)), tuple(separator_pages), rest,
                          use_content, time.perf_counter() - started)
    spans: list[DocumentSpan] = []
    dossier: DocumentMetadata | None = None
    for group in groups:
        metadata, dossier = _metadata(group.sheets, dossier)
        spans += _spans_of_segment(group, metadata, dossier, blank, texts, use_content, settings, catalog, decisions,
                                   after_sheet=bool(group.sheets))
    for page in sorted(blank):
        ink = signals[page - 1].ink
        if page in unassigned:
            kind, what = "blank", "between separator sheets (a sheet's back side), not stored"
        elif settings.drop_blank_pages:
            kind, what = "blank", "dropped"
        else:
            kind, what = "blank_kept", "kept (dropping is off)"
        decisions.append(Decision(page, kind, f"blank page, ink {ink.fraction:.4%}: {what}", 1.0))
    if not settings.drop_blank_pages:
        spans = [replace(s, dropped_pages=()) for s in spans]
    decisions.sort(key=lambda d: (d.page, d.kind != "separator"))
    separation = Separation(tuple(spans), tuple(decisions), tuple(separator_pages), tuple(unassigned), use_content,
                            time.perf_counter() - started)
    log.info("separation: %d pages -> %d documents (%d separator pages, %d blank dropped)", count,
             len(spans), len(separator_pages), len(separation.dropped_pages))
    return separation


def _merge_empty_segments(segments: list[_Segment], blank: set[int]) -> tuple[list[_Segment], list[int]]:
    """Segments without a content page (consecutive sheets, a sheet's blank back side) give
    their sheets to the next segment; their blank pages belong to no document (a document's
    pages never run across a separator page). Returns the segments and those pages."""
    merged: list[_Segment] = []
    unassigned: list[int] = []
    sheets: list[tuple[int, Separator]] = []
    for segment in segments:
        sheets += segment.sheets
        if any(p not in blank for p in segment.pages):
            merged.append(_Segment(segment.pages, sheets))
            sheets = []
        else:
            unassigned += segment.pages
    return merged, unassigned


def _spans_of_segment(group: _Segment, metadata: DocumentMetadata | None, dossier: DocumentMetadata | None,
                      blank: set[int], texts: Sequence[str | None], use_content: bool, settings: SeparateSettings,
                      catalog: Catalog | None, decisions: list[Decision], *, after_sheet: bool) -> list[DocumentSpan]:
    """Split one segment (the pages between separators) by content; blank pages are not judged
    and go to the document they lie in (a leading one to the first)."""
    content = [p for p in group.pages if p not in blank]
    starts: list[tuple[int, float]] = [(group.pages[0], 1.0)]
    review: dict[int, list[str]] = {}  # start page of a document -> possible boundaries inside it
    first = content[0]
    first_reason = "after a separator sheet" if after_sheet else "first page of the input"
    decisions.append(Decision(first, "start", f"a document starts: {first_reason}", 1.0))
    if use_content:
        cues = {p: page_cues(texts[p - 1], settings, catalog) if texts[p - 1] else None for p in content}
        current = _opened(cues[first]) if cues[first] else _OpenDocument()
        previous = first
        for page in content[1:]:
            page_cue = cues[page]
            if page_cue is None:
                decisions.append(Decision(page, "continuation", "no text read: continues", 0.0))
                previous = page
                continue
            boundary = boundary_before(page_cue, current, settings)
            why = "; ".join(boundary.reasons)
            if boundary.confidence >= settings.split_confidence:
                decisions.append(Decision(page, "boundary", f"a new document starts: {why}", boundary.confidence))
                # blank pages before it stay with the document before: its last sheet's back sides
                starts.append((page, boundary.confidence))
                current = _opened(page_cue)
            elif boundary.confidence >= settings.review_confidence:
                note = f"possible document boundary after page {previous} ({boundary.confidence:.2f}: {why})"
                decisions.append(Decision(page, "possible_boundary", note, boundary.confidence))
                review.setdefault(starts[-1][0], []).append(note)
                current = _carried(current, page_cue)
            else:
                decisions.append(Decision(page, "continuation", f"continues: {why}", boundary.confidence))
                current = _carried(current, page_cue)
            previous = page
    spans = []
    for k, (start, confidence) in enumerate(starts):
        end = starts[k + 1][0] - 1 if k + 1 < len(starts) else group.pages[-1]
        dropped = tuple(p for p in range(start, end + 1) if p in blank)
        notes = review.get(start)
        spans.append(DocumentSpan(
            start, end, dropped,
            metadata if k == 0 else (replace(dossier, starts_dossier=False) if dossier else None),
            confidence,
            "; ".join(notes) if notes else None,
        ))
    return spans


def separate_pages(
    images: Sequence[np.ndarray | None],
    texts: Sequence[str | None] | None = None,
    settings: SeparateSettings = SeparateSettings(),
    *,
    dpi: float | None = None,
    catalog: Catalog | None = None,
) -> Separation:
    """`inspect_page` on each image (None: no image), then `separate`: for callers that hold the
    whole stream, such as tests and the benchmark."""
    signals = [inspect_page(image, dpi, settings) if image is not None else None for image in images]
    separation = separate(signals, texts, settings, catalog)
    return replace(separation, seconds=separation.seconds + sum(s.seconds for s in signals if s))


# ================================================================================================
# Pages scanned apart, and single-sided duplex scans

_PAPER_PAGE = re.compile(r"^(?P<base>.+?)[\s_\-.]*(?:p|page|pg|trang|tr)[\s_\-.]*(?P<n>\d{1,3})$", re.IGNORECASE)
_COPY_NUMBER = re.compile(r"^(?P<base>.+?)\s*\((?P<n>\d{1,3})\)$")
_SEQUENCE = re.compile(r"^(?P<base>[^\W\d]*(?:[\s_\-][^\W\d]+)*)[\s_\-]?(?P<n>\d{3,6})$")
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


@dataclass(frozen=True)
class PageFileGroup:
    """Files that hold the pages of one paper (``kind`` "paper": x-p1, x-p2; x, x (2)) or a
    scanner's numbered sequence ("sequence": scan_0001, scan_0002…, to be separated by content),
    in page order; "single" for a file that is a document of its own."""

    paths: tuple[Path, ...]
    kind: str


def _natural_key(path: Path) -> tuple:
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name))


def page_file_groups(paths: Iterable[Path]) -> list[PageFileGroup]:
    """Group files named as pages: ``x-p1.png``/``x-p2.png``, ``x_page1``, ``x.jpg``/``x (2).jpg``
    (one paper each), and image sequences ``scan_0001.jpg``… of at least two files (one stream).
    Only files in the same folder group; the groups come in the order of their first file."""
    paths = [Path(p) for p in paths]
    by_key: dict[tuple, list[tuple[int, Path]]] = {}
    plain: dict[tuple[Path, str], Path] = {}
    kinds: dict[tuple, str] = {}
    order: list[tuple] = []
    for path in sorted(paths, key=lambda p: (str(p.parent), _natural_key(p))):
        stem = path.stem
        paper = _PAPER_PAGE.match(stem)
        copy = _COPY_NUMBER.match(stem)
        sequence = _SEQUENCE.match(stem) if path.suffix.lower() in _IMAGE_SUFFIXES else None
        if paper:
            key, number, kind = (path.parent, "paper", paper["base"].lower()), int(paper["n"]), "paper"
        elif copy:
            key, number, kind = (path.parent, "copy", copy["base"].lower()), int(copy["n"]), "paper"
        elif sequence:
            key, number, kind = (path.parent, "sequence", sequence["base"].lower()), int(sequence["n"]), "sequence"
        else:
            plain[(path.parent, stem.lower())] = path
            key, number, kind = (path.parent, "single", str(path)), 0, "single"
        if key not in by_key:
            by_key[key] = []
            order.append(key)
        by_key[key].append((number, path))
        kinds[key] = kind
    # "x.jpg" is page 1 of "x (2).jpg", "x (3).jpg"
    for key in list(order):
        if key[1] == "copy" and (key[0], key[2]) in plain:
            first = plain[(key[0], key[2])]
            single = (first.parent, "single", str(first))
            by_key[key].append((1, first))
            order.remove(single)
            by_key.pop(single)
    groups: list[PageFileGroup] = []
    for key in sorted(order, key=lambda k: min(_natural_key(p) for _, p in by_key[k])):
        members = sorted(by_key[key], key=lambda item: (item[0], _natural_key(item[1])))
        if len(members) == 1:
            groups.append(PageFileGroup((members[0][1],), "single"))
        else:
            groups.append(PageFileGroup(tuple(p for _, p in members), kinds[key]))
    return groups


def group_page_files(paths: Iterable[Path]) -> list[list[Path]]:
    """The files of `page_file_groups`, each group in page order."""
    return [list(group.paths) for group in page_file_groups(paths)]


T = TypeVar("T")


def collate_duplex(fronts: Sequence[T], backs_reversed: Sequence[T]) -> list[T]:
    """Interleave a single-sided feeder's two passes: the fronts in order, then the stack turned
    over and its backs scanned last sheet first. ``[f1, f2, f3]`` and ``[b3, b2, b1]`` give
    ``[f1, b1, f2, b2, f3, b3]``."""
    if len(fronts) != len(backs_reversed):
        raise ValueError(f"{len(fronts)} fronts but {len(backs_reversed)} backs: the two passes must "
                         "hold the same sheets")
    collated: list[T] = []
    for front, back in zip(fronts, reversed(backs_reversed)):
        collated += [front, back]
    return collated
