"""The per-page work of a document: load -> preprocess -> OCR -> encode the page image.

A page is a pure function of (file, page number, settings), so it runs in any process: the local
pool, or a queue worker that writes its result to scratch for the finalising worker
(`encode_page_result` / `decode_page_result`). Page records in PDF points are what the index keeps.

A blank page (no ink on its loaded pixels) is neither preprocessed nor sent to Tesseract: its OCR
result is no words, and its image is still kept, so the stored PDF has every page received.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.config import PipelineSettings
from pipeline.stages.assemble import EncodedPageImage, encode_page_image
from pipeline.stages.ingest import (
    InputKind,
    LoadedPage,
    OpenedInput,
    TextPage,
    load_page,
)
from pipeline.stages.mrz_band import read_zone
from pipeline.stages.ocr import OcrPage, OcrWord, recognise
from pipeline.stages.preprocess import MIN_SIDE as MIN_PAGE_SIDE
from pipeline.stages.preprocess import preprocess
from pipeline.stages.separate import InkMeasure, PageSignals, Separator, SeparatorSheet, inspect_page
from schemas.models import OcrPageRecord, OcrWordRecord, PageDiagnostics

POINTS_PER_INCH = 72.0
MM_PER_INCH = 25.4
# A page is blank when less than this much of it differs from the paper by more than
# BLANK_INK_CONTRAST grey levels, measured at ~BLANK_PROBE_DPI. A page number alone is 1-2 mm² of
# ink and a full stop 0.1 mm², so only a page with nothing on it (or a few specks) qualifies;
# a scanned empty page with dust is still OCR'd, as before.
BLANK_MAX_INK_MM2 = 0.5
BLANK_INK_CONTRAST = 48
BLANK_PROBE_DPI = 100.0


@dataclass(frozen=True)
class PageTask:
    path: Path
    kind: InputKind
    index: int
    settings: PipelineSettings
    keep_image: bool  # False for signed PDFs: their text is read, their file never rewritten
    inspect: bool = False  # look for separator sheets and measure ink (`is_separable`)
    number: int | None = None  # the page in the input, when it is not ``index`` (page files)

    @property
    def page(self) -> int:
        """The page in the input, from 0 (``index`` is the page in the file at ``path``)."""
        return self.index if self.number is None else self.number


@dataclass(frozen=True)
class PageResult:
    index: int  # the page in the input, from 0
    ocr: OcrPage
    image: EncodedPageImage | None
    source_dpi: float
    diagnostics: PageDiagnostics
    seconds: dict[str, float]
    signals: PageSignals | None = None  # separation's image signals, when inspected


def is_separable(opened: OpenedInput, settings: PipelineSettings) -> bool:
    """Whether an input's pages go through separation: scans (or page files) of two pages or
    more, when separation is on. Text and signed PDFs are always one document."""
    return not opened.has_text_layer and separable(opened.kind, opened.page_count, settings)


def separable(kind: InputKind, page_count: int, settings: PipelineSettings) -> bool:
    """`is_separable` for an input known by its kind and pages (a queued item's OCR'd pages)."""
    return settings.separation and page_count >= 2 and kind in (InputKind.IMAGE, InputKind.SCANNED_PDF)


def page_task(path: Path, kind: InputKind, index: int, settings: PipelineSettings, *,
              inspect: bool = False, number: int | None = None) -> PageTask:
    """Page ``index`` of a file of this kind; a signed PDF's pages are read, never re-encoded."""
    return PageTask(path, kind, index, settings, keep_image=kind is not InputKind.SIGNED_PDF,
                    inspect=inspect, number=number)


def page_tasks(opened: OpenedInput, settings: PipelineSettings) -> list[PageTask]:
    """The pages of a document that need processing: none when its own text layer is read. The
    pages of page files joined into one input are numbered across the files."""
    if opened.has_text_layer:  # born-digital, or signed with text: read, never OCR'd
        return []
    inspect = is_separable(opened, settings)
    if not opened.parts:
        return [page_task(opened.path, opened.kind, i, settings, inspect=inspect) for i in range(opened.page_count)]
    tasks: list[PageTask] = []
    for part in opened.parts:
        for i in range(part.page_count):
            tasks.append(page_task(part.path, part.kind, i, settings, inspect=inspect, number=len(tasks)))
    return tasks


def blank_page_reason(pixels: np.ndarray, dpi: float) -> str | None:
    """Why a loaded page holds nothing to read, or None when it has ink.

    Ink is any pixel further than BLANK_INK_CONTRAST grey levels from the paper (the median
    level, so a uniformly dark page is blank too), counted on a copy shrunk to about
    BLANK_PROBE_DPI: milliseconds, against seconds of preprocessing and Tesseract."""
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    factor = max(1, int(dpi // BLANK_PROBE_DPI))
    height, width = grey.shape
    if factor > 1 and height >= factor and width >= factor:
        grey = cv2.resize(grey, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    histogram = np.bincount(grey.ravel(), minlength=256)
    paper = int(np.searchsorted(np.cumsum(histogram), grey.size / 2))
    levels = np.arange(256)
    ink_pixels = int(histogram[np.abs(levels - paper) > BLANK_INK_CONTRAST].sum())
    ink_mm2 = ink_pixels * (MM_PER_INCH * factor / dpi) ** 2
    if ink_mm2 >= BLANK_MAX_INK_MM2:
        return None
    return f"blank page: not OCR'd ({ink_mm2:.2f} mm² of ink)"


def process_page(task: PageTask) -> PageResult:
    """One page, in whichever process runs it."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    loaded = load_page(task.path, task.kind, task.index, max_image_pixels=task.settings.max_image_pixels)
    seconds["load"] = time.perf_counter() - started

    # Too small to be a page at all is preprocessing's verdict (bad_page_image), not "blank".
    is_page_sized = min(loaded.pixels.shape[:2]) >= MIN_PAGE_SIDE
    signals = None
    if task.inspect and is_page_sized:
        signals = inspect_page(loaded.pixels, loaded.dpi, task.settings.separate)
        seconds["separate"] = signals.seconds
        if signals.separator is not None:  # never stored: neither read nor encoded
            return _unread_page(task, loaded, "separator sheet: not OCR'd, not stored", seconds, signals,
                                keep_image=False)
    blank = blank_page_reason(loaded.pixels, loaded.dpi) if is_page_sized else None
    if blank is None and signals is not None and signals.ink is not None and signals.ink.blank:
        # separation's ink measure sees past dust and the other side showing through, which
        # Tesseract would read as a few words of nonsense
        blank = f"blank back side: not OCR'd ({signals.ink.fraction:.4%} ink)"
    if blank is not None:
        return _unread_page(task, loaded, blank, seconds, signals, keep_image=task.keep_image)

    started = time.perf_counter()
    page = preprocess(loaded.pixels, task.settings.preprocess)
    seconds["preprocess"] = time.perf_counter() - started

    ocr = recognise(page.ocr_image, task.settings.ocr)
    seconds["ocr"] = ocr.seconds
    started = time.perf_counter()
    ocr = read_zone(page.ocr_image, ocr, task.settings.mrz, task.settings.ocr)  # card backs only
    if ocr.mrz:
        seconds["mrz"] = time.perf_counter() - started

    image = None
    if task.keep_image:
        started = time.perf_counter()
        image = encode_page_image(page.image, loaded.dpi, task.settings.image)
        seconds["encode"] = time.perf_counter() - started
    diagnostics = PageDiagnostics(
        page=task.page + 1,
        rotation=page.rotation,
        rotation_confidence=round(float(page.rotation_confidence), 3),
        skew=round(float(page.skew), 3),
        ocr_confidence=round(ocr.mean_confidence, 2),
        words=len(ocr.words),
        source_dpi=round(loaded.dpi, 1),
        notes=list(page.notes),
    )
    return PageResult(
        index=task.page, ocr=ocr, image=image, source_dpi=loaded.dpi,
        diagnostics=diagnostics, seconds=seconds, signals=signals,
    )


def _unread_page(task: PageTask, loaded: LoadedPage, reason: str, seconds: dict[str, float],
                 signals: PageSignals | None, *, keep_image: bool) -> PageResult:
    """A page with no ink, or a separator sheet: no words; a blank page's image is kept as
    loaded (nothing to turn or deskew)."""
    height, width = loaded.pixels.shape[:2]
    image = None
    if keep_image:
        started = time.perf_counter()
        image = encode_page_image(loaded.pixels, loaded.dpi, task.settings.image)
        seconds["encode"] = time.perf_counter() - started
    diagnostics = PageDiagnostics(
        page=task.page + 1, ocr_confidence=None, words=0, source_dpi=round(loaded.dpi, 1), notes=[reason],
    )
    return PageResult(
        index=task.page, ocr=OcrPage(words=(), text="", width=width, height=height), image=image,
        source_dpi=loaded.dpi, diagnostics=diagnostics, seconds=seconds, signals=signals,
    )


# --- page results in scratch (queue workers) ----------------------------------------------------


def encode_page_result(result: PageResult) -> bytes:
    """A processed page as JSON (the page image's JPEG in base64) for the finalising worker."""
    record = {
        "index": result.index,
        "ocr": {**asdict(result.ocr), "words": [asdict(w) for w in result.ocr.words]},
        "image": None,
        "source_dpi": result.source_dpi,
        "diagnostics": result.diagnostics.model_dump(mode="json"),
        "seconds": result.seconds,
        "signals": _signals_record(result.signals),
    }
    if result.image is not None:
        image = asdict(result.image)
        image["data"] = base64.b64encode(result.image.data).decode("ascii")
        record["image"] = image
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def decode_page_result(data: bytes) -> PageResult:
    record = json.loads(data)
    ocr = record["ocr"]
    image = record["image"]
    return PageResult(
        index=record["index"],
        ocr=OcrPage(**{**ocr, "words": tuple(OcrWord(**w) for w in ocr["words"]), "mrz": tuple(ocr.get("mrz", ()))}),
        image=EncodedPageImage(**{**image, "data": base64.b64decode(image["data"])}) if image else None,
        source_dpi=record["source_dpi"],
        diagnostics=PageDiagnostics.model_validate(record["diagnostics"]),
        seconds=record["seconds"],
        signals=_signals_from(record.get("signals")),
    )


def _signals_record(signals: PageSignals | None) -> dict | None:
    if signals is None:
        return None
    record = asdict(signals)
    sheet = signals.separator.sheet if signals.separator else None
    if sheet is not None:  # asdict keeps the owner, which repr hides: scratch is not a log
        record["separator"]["sheet"] = asdict(sheet)
    return record


def _signals_from(record: dict | None) -> PageSignals | None:
    if record is None:
        return None
    separator = record.get("separator")
    if separator is not None:
        sheet = separator.get("sheet")
        separator = Separator(**{**separator, "sheet": SeparatorSheet(**sheet) if sheet else None})
    ink = InkMeasure(**record["ink"]) if record.get("ink") else None
    return PageSignals(
        separator=separator, ink=ink, seconds=record.get("seconds", 0.0),
        **{name: tuple(record.get(name) or ()) for name in ("unreadable_codes", "other_codes", "patch_codes")},
    )


# --- page records, in PDF points, as the index keeps them ---------------------------------------


def ocr_page_record(result: PageResult) -> OcrPageRecord:
    scale = POINTS_PER_INCH / result.source_dpi
    return OcrPageRecord(
        page=result.index + 1,
        width=round(result.ocr.width * scale, 2),
        height=round(result.ocr.height * scale, 2),
        text=result.ocr.text,
        words=[
            OcrWordRecord(
                text=w.text,
                bbox=(
                    round(w.left * scale, 2),
                    round(w.top * scale, 2),
                    round((w.left + w.width) * scale, 2),
                    round((w.top + w.height) * scale, 2),
                ),
                confidence=w.confidence,
                line=w.line,
            )
            for w in result.ocr.words
        ],
        diagnostics=result.diagnostics,
        mrz=list(result.ocr.mrz),
    )


def text_page_record(index: int, page: TextPage) -> OcrPageRecord:
    return OcrPageRecord(
        page=index + 1,
        width=round(page.width, 2),
        height=round(page.height, 2),
        text=page.text,
        words=[
            OcrWordRecord(text=t, bbox=(round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2)),
                          confidence=100.0, line=-1)
            for t, x0, top, x1, bottom in page.words
        ],
        diagnostics=PageDiagnostics(page=index + 1, words=len(page.words), notes=["text layer read"]),
    )
