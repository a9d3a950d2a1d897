"""One document, from its processed pages to its index row: the steps after the pages are done.

`store_document` is the orchestrator; it reads as its list of steps. Each step is a plain function
(local Ingestor and queue workers call the same ones). Objects are written before the row, and the
row is written last, in one transaction, so an interrupted run leaves no half-made record.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.clock import utcnow
from pipeline.core.config import PipelineSettings
from pipeline.core.pages import PageResult, ocr_page_record, text_page_record
from pipeline.errors import DocumentNotFound
from pipeline.stages.assemble import PdfMetadata, PdfPage, assemble_pdf
from pipeline.stages.classify import Classification, TypeClassifier
from pipeline.stages.extract import Extraction, extract_fields, needs_review
from pipeline.stages.extract.learned import FieldTagger
from pipeline.stages.ingest import (
    InputFile,
    InputKind,
    OpenedInput,
    open_input,
    read_bytes,
    read_text_pages,
)
from pipeline.stores.index import NEEDS_REVIEW, DocumentRow, DuplicateDocument, Index
from pipeline.stores.layout import (
    DocumentObjects,
    drop_attempt,
    new_attempt,
    write_document,
)
from pipeline.stores.objects import ObjectStore, sha256_hex
from schemas.models import IngestReportLine, OcrDocumentRecord, OcrPageRecord

log = logging.getLogger(__name__)


def open_document(path: Path, settings: PipelineSettings, data: bytes | None = None) -> OpenedInput:
    """Read and check one input file (``data``: its bytes, when already read); raises an
    InputError saying why it cannot be digitised."""
    opened = open_input(path, read_bytes(path, max_bytes=settings.max_input_bytes) if data is None else data,
                        max_image_pixels=settings.max_image_pixels, max_pages=settings.max_pages)
    log.info("%s: %s", path, opened.reason)
    return opened


@dataclass(frozen=True)
class Understanding:
    doc_type: str | None
    type_confidence: float | None
    type_reason: str
    status: str
    review_note: str
    owner_id: str | None
    fields: dict[str, dict]
    valid_until: date | None
    issue_date: date | None


def store_document(
    opened: OpenedInput,
    item: InputFile,
    data: bytes,
    results: Mapping[int, PageResult],
    *,
    store: ObjectStore,
    index: Index,
    settings: PipelineSettings,
    classifier: TypeClassifier | None,
    seconds: Mapping[str, float] | None = None,
    created: datetime | None = None,
    attempt: str | None = None,
    field_tagger: FieldTagger | None = None,
) -> IngestReportLine:
    """Finalise one document whose pages are processed: assemble the searchable PDF/A, classify,
    store the objects, then write the index row last.

    ``data`` are the file's exact bytes (``opened.sha256``); ``results`` its processed pages by
    index (empty when the text layer is read). ``item.path`` names the file as received (source,
    filename), which may differ from ``opened.path`` (a worker's local copy). ``created`` dates
    the PDF; the same pages and date give the same bytes, so a repeated call writes identical
    objects. ``attempt`` names this attempt's objects (default: a new one); a queued item passes
    its id, so a message delivered twice writes the same keys. A document whose row is already in
    the index is reported as a duplicate, with no second row or version, and the objects this
    attempt wrote for it are removed. Raises InputError (bad content) or StorageUnavailable
    (retry later).
    """
    clock = StepClock(seconds, results)
    document_id = opened.sha256[:32]
    with clock("assemble"):
        pages = page_records(opened, data, results)
        title = title_of(pages) or item.path.stem
        pdf = searchable_pdf(opened, data, results, PdfMetadata(
            title=title, dossier_code=item.dossier_code, producer=f"sohoa {__version__}",
            created=created or datetime.now().astimezone(), document_id=document_id,
        ), settings)
    with clock("classify"):
        understood = understand(pages, item, classifier, settings, field_tagger=field_tagger)
    signatures = None
    if opened.kind is InputKind.SIGNED_PDF:
        with clock("validate"):
            signatures = validate_signatures(data, settings)
    ocr = ocr_document_json(document_id, opened, pages)
    with clock("store"):
        keys = write_document(store, sha256=opened.sha256, document_id=document_id,
                              attempt=attempt or new_attempt(), original=data, searchable=pdf, ocr=ocr)
    row = row_for(opened, item, document_id, title, pages, understood, keys, pdf, ocr, clock.rounded())
    with clock("index"):
        existing_id = add_row(index, row, signatures)
    if existing_id is not None:
        drop_lost_attempt(index, store, row)
    return report_line(opened, item, row, existing_id, clock.rounded())


# --- the steps --------------------------------------------------------------------------------


def page_records(opened: OpenedInput, data: bytes, results: Mapping[int, PageResult]) -> list[OcrPageRecord]:
    """Each page's words in PDF points: from the text layer when it is read, else from OCR."""
    if opened.has_text_layer:
        return [text_page_record(i, page) for i, page in enumerate(read_text_pages(data))]
    return [ocr_page_record(results[i]) for i in range(opened.page_count)]


def searchable_pdf(opened: OpenedInput, data: bytes, results: Mapping[int, PageResult],
                   metadata: PdfMetadata, settings: PipelineSettings) -> bytes:
    """The PDF/A of a scan; a text PDF is already searchable, and a signed one is never re-saved."""
    if opened.kind not in (InputKind.IMAGE, InputKind.SCANNED_PDF):
        return data
    pages = [
        PdfPage(image=results[i].image, words=results[i].ocr.words, source_dpi=results[i].source_dpi)
        for i in range(opened.page_count)
    ]
    return assemble_pdf(pages, metadata, settings.assemble)


def understand(
    pages: list[OcrPageRecord],
    item: InputFile,
    classifier: TypeClassifier | None,
    settings: PipelineSettings,
    *,
    field_tagger: FieldTagger | None = None,
) -> Understanding:
    """Type, fields and owner of a document; whether a person must review it, and why."""
    if classifier is None:
        return Understanding(
            doc_type=None, type_confidence=None, type_reason="not classified",
            status=NEEDS_REVIEW, review_note="no type classifier configured",
            owner_id=item.owner_id, fields={}, valid_until=None, issue_date=None,
        )
    classification: Classification = classifier.classify_pages(
        [page.text for page in pages], settings.classify
    )
    extraction: Extraction = extract_fields(
        classification.doc_type, pages, settings=settings.extract, tagger=field_tagger
    )
    review, why = needs_review(classification, extraction)
    printed_owner = extraction.value("owner_id")
    owner_id = printed_owner or item.owner_id
    if item.owner_id and printed_owner and item.owner_id != printed_owner:
        # The paper is the evidence: keep what it says, and have a person look.
        review = True
        why = f"{why} | the manifest's owner ID differs from the one printed on the document"
    log.info(
        "%s: %s (confidence %.2f): %s",
        item.path, classification.doc_type, classification.confidence, classification.reason,
    )
    return Understanding(
        doc_type=classification.doc_type,
        type_confidence=round(classification.confidence, 4),
        type_reason=classification.reason,
        status=NEEDS_REVIEW if review else "stored",
        review_note=why,
        owner_id=owner_id,
        fields={name: value.model_dump(mode="json") for name, value in extraction.fields.items()},
        valid_until=_iso_date(extraction.value("valid_until")),
        issue_date=_iso_date(extraction.value("issue_date")),
    )


@dataclass(frozen=True)
class ArrivedSignatures:
    """The validation of a PDF that arrived signed, and the settings (trust roots) it was made with."""

    report: object  # schemas.signature.SignatureReport
    validation: object  # pipeline.stages.sign.ValidationSettings


def validate_signatures(pdf: bytes, settings: PipelineSettings) -> ArrivedSignatures:
    """The validation report of a PDF that arrived signed; never alters the bytes."""
    from pipeline.stages.sign import ValidationSettings, validate_pdf  # pyHanko only when signed

    validation = ValidationSettings.from_file(settings.signature_trust_roots,
                                              allow_fetching=settings.signature_fetching)
    return ArrivedSignatures(validate_pdf(pdf, validation), validation)


def ocr_document_json(document_id: str, opened: OpenedInput, pages: list[OcrPageRecord]) -> bytes:
    return OcrDocumentRecord(
        document_id=document_id, sha256=opened.sha256, source_kind=opened.kind.value, pages=pages,
    ).model_dump_json().encode()


def row_for(
    opened: OpenedInput, item: InputFile, document_id: str, title: str, pages: list[OcrPageRecord],
    understood: Understanding, keys: DocumentObjects, pdf: bytes, ocr: bytes,
    stage_seconds: dict[str, float],
) -> DocumentRow:
    confidences = [p.diagnostics.ocr_confidence for p in pages if p.diagnostics.ocr_confidence is not None]
    return DocumentRow(
        id=document_id,
        sha256=opened.sha256,
        source=str(item.path),
        filename=item.path.name,
        media_type=opened.media_type,
        input_kind=opened.kind.value,
        dossier_code=item.dossier_code,
        owner_id=understood.owner_id,
        procedure_code=item.procedure_code,
        title=title,
        pages=opened.page_count,
        ocr_confidence=round(sum(confidences) / len(confidences), 2) if confidences else None,
        status=understood.status,
        version=1,
        original_key=keys.original,
        searchable_key=keys.searchable,
        ocr_key=keys.ocr,
        searchable_sha256=sha256_hex(pdf),
        ocr_sha256=sha256_hex(ocr),
        text="\f".join(page.text for page in pages),
        stage_seconds=stage_seconds,
        created_at=utcnow(),
        doc_type=understood.doc_type,
        type_confidence=understood.type_confidence,
        type_reason=understood.type_reason,
        fields=understood.fields,
        valid_until=understood.valid_until,
        issue_date=understood.issue_date,
        review_note=understood.review_note,
    )


def add_row(index: Index, row: DocumentRow, signatures) -> str | None:
    """Write the row and the arrived signatures' validation; returns the id of the document
    already stored with these bytes instead, if any."""
    try:
        index.add(row)
    except DuplicateDocument as exc:
        if signatures is not None and exc.existing_id == row.id:
            # a repeated finalise (a worker's retry) completes what a crash may have cut short
            _record_signatures(index, row.id, signatures)
        return exc.existing_id
    if signatures is not None:
        _record_signatures(index, row.id, signatures)
    return None


def drop_lost_attempt(index: Index, store: ObjectStore, row: DocumentRow) -> None:
    """Another attempt's row stands for this document: remove this attempt's own objects, unless
    the row names them (the same queued item, finalised again)."""
    try:
        stored = index.get(row.id)
    except DocumentNotFound:
        return
    if stored.searchable_key != row.searchable_key:
        drop_attempt(store, DocumentObjects(row.original_key, row.searchable_key, row.ocr_key))


def report_line(opened: OpenedInput, item: InputFile, row: DocumentRow, existing_id: str | None,
                seconds: dict[str, float]) -> IngestReportLine:
    base = report_base(item, opened)
    if existing_id is not None:
        return IngestReportLine(**base, document_id=existing_id, status="duplicate",
                                error=f"already stored as {existing_id}", seconds=seconds)
    return IngestReportLine(
        **base, document_id=row.id, status="stored", ocr_confidence=row.ocr_confidence,
        doc_type=row.doc_type, needs_review=row.status == NEEDS_REVIEW, seconds=seconds,
    )


def report_base(item: InputFile, opened: OpenedInput | None) -> dict:
    """What every report line says of its input file."""
    return {
        "source": str(item.path),
        "dossier_code": item.dossier_code,
        "input_kind": opened.kind.value if opened else None,
        "pages": opened.page_count if opened else 0,
    }


_TITLE_SKIP = re.compile(r"CỘNG HÒA|CỘNG HOÀ|ĐỘC LẬP|ỦY BAN|UỶ BAN|SỐ:", re.IGNORECASE)


def title_of(pages: list[OcrPageRecord]) -> str | None:
    """The first line in capitals that is not the national heading or the issuing body."""
    text = "\f".join(page.text for page in pages)
    for line in text.splitlines()[:40]:
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.9:
            if not _TITLE_SKIP.search(line):
                return line.strip()
    return None


class StepClock:
    """Seconds per step of one document, starting from what its pages and planning took."""

    def __init__(self, seconds: Mapping[str, float] | None, results: Mapping[int, PageResult]):
        self.seconds = dict(seconds or {})
        for result in results.values():
            for stage, value in result.seconds.items():
                self.seconds[stage] = self.seconds.get(stage, 0.0) + value

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = time.perf_counter() - started

    def rounded(self) -> dict[str, float]:
        return rounded_seconds(self.seconds)


def rounded_seconds(seconds: Mapping[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in seconds.items()}


def _record_signatures(index: Index, document_id: str, arrived: ArrivedSignatures) -> None:
    from pipeline.core.signed_versions import record_validation  # pyHanko only when a PDF is signed

    record_validation(index, document_id, 1, arrived.report, validation=arrived.validation)


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
