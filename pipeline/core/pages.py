"""The per-page work of a document: load -> preprocess -> OCR -> encode the page image.

A page is a pure function of (file, page number, settings), so it runs in any process: the local
pool, or a queue worker that writes its result to scratch for the finalising worker
(`encode_page_result` / `decode_page_result`). Page records in PDF points are what the index keeps.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.core.config import PipelineSettings
from pipeline.stages.assemble import EncodedPageImage, encode_page_image
from pipeline.stages.ingest import InputKind, OpenedInput, TextPage, load_page
from pipeline.stages.ocr import OcrPage, OcrWord, recognise
from pipeline.stages.preprocess import preprocess
from schemas.models import OcrPageRecord, OcrWordRecord, PageDiagnostics

POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class PageTask:
    path: Path
    kind: InputKind
    index: int
    settings: PipelineSettings
    keep_image: bool  # False for signed PDFs: their text is read, their file never rewritten


@dataclass(frozen=True)
class PageResult:
    index: int
    ocr: OcrPage
    image: EncodedPageImage | None
    source_dpi: float
    diagnostics: PageDiagnostics
    seconds: dict[str, float]


def page_task(path: Path, kind: InputKind, index: int, settings: PipelineSettings) -> PageTask:
    """Page ``index`` of a file of this kind; a signed PDF's pages are read, never re-encoded."""
    return PageTask(path, kind, index, settings, keep_image=kind is not InputKind.SIGNED_PDF)


def page_tasks(opened: OpenedInput, settings: PipelineSettings) -> list[PageTask]:
    """The pages of a document that need processing: none when its own text layer is read."""
    if opened.has_text_layer:  # born-digital, or signed with text: read, never OCR'd
        return []
    return [page_task(opened.path, opened.kind, i, settings) for i in range(opened.page_count)]


def process_page(task: PageTask) -> PageResult:
    """One page, in whichever process runs it."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    loaded = load_page(task.path, task.kind, task.index, max_image_pixels=task.settings.max_image_pixels)
    seconds["load"] = time.perf_counter() - started

    started = time.perf_counter()
    page = preprocess(loaded.pixels, task.settings.preprocess)
    seconds["preprocess"] = time.perf_counter() - started

    ocr = recognise(page.ocr_image, task.settings.ocr)
    seconds["ocr"] = ocr.seconds

    image = None
    if task.keep_image:
        started = time.perf_counter()
        image = encode_page_image(page.image, loaded.dpi, task.settings.image)
        seconds["encode"] = time.perf_counter() - started
    diagnostics = PageDiagnostics(
        page=task.index + 1,
        rotation=page.rotation,
        rotation_confidence=round(float(page.rotation_confidence), 3),
        skew=round(float(page.skew), 3),
        ocr_confidence=round(ocr.mean_confidence, 2),
        words=len(ocr.words),
        source_dpi=round(loaded.dpi, 1),
        notes=list(page.notes),
    )
    return PageResult(
        index=task.index, ocr=ocr, image=image, source_dpi=loaded.dpi,
        diagnostics=diagnostics, seconds=seconds,
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
        ocr=OcrPage(**{**ocr, "words": tuple(OcrWord(**w) for w in ocr["words"])}),
        image=EncodedPageImage(**{**image, "data": base64.b64decode(image["data"])}) if image else None,
        source_dpi=record["source_dpi"],
        diagnostics=PageDiagnostics.model_validate(record["diagnostics"]),
        seconds=record["seconds"],
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
