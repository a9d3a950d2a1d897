"""One input's documents, from its processed pages to their index rows: the steps after the pages.

`store_input` separates an input into its documents (`document_parts`: separator sheets, blank
backs, content boundaries; one whole document when the input is not separable) and hands each
to `store_document`, the orchestrator of one document; it reads as its list of steps. Each step is a plain function
(local Ingestor and queue workers call the same ones). Objects are written before the row, and the
row is written last, in one transaction, so an interrupted run leaves no half-made record.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.clock import utcnow
from pipeline.core.config import PipelineSettings
from pipeline.core.pages import PageResult, is_separable, ocr_page_record, text_page_record
from pipeline.core.reuse import paper_of_dossier_changed
from pipeline.errors import DocumentNotFound, InputError
from pipeline.stages.assemble import PdfMetadata, PdfPage, assemble_pdf
from pipeline.stages.classify import Classification, TypeClassifier
from pipeline.stages.extract import Extraction, extract_fields, needs_review
from pipeline.stages.extract.learned import FieldTagger
from pipeline.stages.ingest import (
    InputFile,
    InputKind,
    OpenedInput,
    joined_input,
    open_input,
    page_files_manifest,
    read_bytes,
    read_text_pages,
)
from pipeline.stages.separate import DocumentMetadata, collate_duplex, separate
from pipeline.stores.index import NEEDS_REVIEW, DocumentRow, DuplicateDocument, Index
from pipeline.stores.layout import (
    DocumentObjects,
    drop_attempt,
    new_attempt,
    write_document,
    write_original,
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


def open_item(item: InputFile, settings: PipelineSettings) -> OpenedInput:
    """Open one input: a file, or page files joined into one (`InputFile.parts`)."""
    if not item.parts:
        return open_document(item.path, settings)
    return joined_input([open_document(path, settings) for path in item.parts], item.joined,
                        max_pages=settings.max_pages)


def input_bytes(opened: OpenedInput, settings: PipelineSettings) -> bytes:
    """The input's bytes, read again to store them, checked against the hash it was opened with;
    for page files, the list of their hashes (each file is checked and stored by `store_page_files`)."""
    parts = opened.parts or (opened,)
    for part in parts:
        if sha256_hex(read_bytes(part.path, max_bytes=settings.max_input_bytes)) != part.sha256:
            named = f"{part.path.name}: " if opened.parts else ""
            raise InputError(f"{named}file changed while it was being ingested")
    return page_files_manifest(opened.parts) if opened.parts else read_bytes(opened.path, max_bytes=settings.max_input_bytes)


def store_page_files(store: ObjectStore, opened: OpenedInput, settings: PipelineSettings) -> str | None:
    """Each page file's exact bytes under its own original key (written once); returns what the
    rows say of them (JSON: name, sha256, key, pages), or None for an ordinary file."""
    if not opened.parts:
        return None
    files = []
    for part in opened.parts:
        key = write_original(store, part.sha256, read_bytes(part.path, max_bytes=settings.max_input_bytes),
                             {"sha256": part.sha256, "page-files-of": opened.sha256})
        files.append({"name": part.path.name, "sha256": part.sha256, "key": key, "pages": part.page_count})
    return json.dumps(files, ensure_ascii=False)


@dataclass(frozen=True)
class DocumentPart:
    """Which pages of an input one stored document holds (separation decides; a whole file by
    default). ``pages`` are the input's pages stored, from 0; ``first_page``..``last_page`` the
    range of the input it came from, from 1 (blank backs inside it are not in ``pages``)."""

    pages: tuple[int, ...]
    first_page: int
    last_page: int
    documents: int = 1  # how many documents the input made
    metadata: DocumentMetadata | None = None  # what separator sheets said of it
    review: str | None = None  # "possible document boundary after page N …"
    decisions: tuple[str, ...] = ()  # separation's decisions on its pages, for the report

    def is_whole(self, page_count: int) -> bool:
        return self.first_page == 1 and self.last_page == page_count


def whole_input(opened: OpenedInput) -> DocumentPart:
    return DocumentPart(tuple(range(opened.page_count)), 1, max(opened.page_count, 1))


def document_sha256(source_sha256: str, part: DocumentPart, page_count: int) -> str:
    """A document's identity: the input's hash for a whole input, else a hash of the input's hash
    and the page range, so the same file separated the same way gives the same ids."""
    if part.is_whole(page_count):
        return source_sha256
    return sha256_hex(f"sohoa-part:1:{source_sha256}:{part.first_page}-{part.last_page}".encode())


def page_list(pages: tuple[int, ...]) -> str:
    """1-based page numbers written as ranges: (0, 1, 2, 4) -> "1-3,5"."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][1] + 1:
            runs[-1][1] = page
        else:
            runs.append([page, page])
    return ",".join(f"{a + 1}" if a == b else f"{a + 1}-{b + 1}" for a, b in runs)


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


def store_input(
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
    source_files: str | None = None,
    field_tagger: FieldTagger | None = None,
) -> list[IngestReportLine]:
    """Separate an input whose pages are processed into its documents (`document_parts`) and
    store each one (`store_document`); one report line per document, in page order. The
    arguments are `store_document`'s."""
    parts = document_parts(opened, results, settings)
    lines = []
    for n, part in enumerate(parts):
        lines.append(store_document(
            opened, item, data, results, store=store, index=index, settings=settings, classifier=classifier,
            seconds=seconds if n == 0 else None, created=created, attempt=attempt, part=part,
            source_files=source_files, field_tagger=field_tagger,
        ))
    return lines


def document_parts(opened: OpenedInput, results: Mapping[int, PageResult],
                   settings: PipelineSettings) -> list[DocumentPart]:
    """The documents of an input, from its pages' image signals and OCR text (`separate`); a
    whole input when it is not separated (`is_separable`). Page files of one paper are one
    document (only sheets and blank pages are taken out); a scanned sequence is split by content.
    Raises InputError for an input of nothing but separator sheets."""
    if not is_separable(opened, settings):
        return [whole_input(opened)]
    count = opened.page_count
    stage = settings.separate
    if opened.joined == "paper":
        stage = replace(stage, content_boundaries="never")
    order = list(range(count))  # the input's page at each place of the stream
    if settings.single_sided_duplex and count % 2 == 0:  # fronts, then the backs last sheet first
        order = collate_duplex(order[:count // 2], order[count // 2:])
    separation = separate([results[i].signals for i in order], [results[i].ocr.text for i in order], stage)
    if not separation.documents:
        raise InputError(f"{opened.path.name}: only separator sheets, no document to store")
    parts = []
    previous_last = 0
    spans = separation.documents
    for n, span in enumerate(spans):
        last = count if n == len(spans) - 1 else span.last_page
        decisions = tuple(f"page {order[d.page - 1] + 1}: {d.kind}: {d.reason}" for d in separation.decisions
                          if previous_last < d.page <= last)
        previous_last = last
        held = [order[p - 1] for p in range(span.first_page, span.last_page + 1)]
        parts.append(DocumentPart(tuple(order[p - 1] for p in span.pages), min(held) + 1, max(held) + 1,
                                  len(spans), span.metadata, span.needs_review, decisions))
    return parts


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
    part: DocumentPart | None = None,
    source_files: str | None = None,
    field_tagger: FieldTagger | None = None,
) -> IngestReportLine:
    """Finalise one document whose pages are processed: assemble the searchable PDF/A, classify,
    store the objects, then write the index row last.

    ``data`` are the input's exact bytes (``opened.sha256``); ``results`` its processed pages by
    index (empty when the text layer is read); ``part`` the pages of it this document holds
    (default: all). ``item.path`` names the file as received (source, filename), which may differ
    from ``opened.path`` (a worker's local copy). ``created`` dates
    the PDF. ``attempt`` names this attempt's objects (default: a new one; a queued item's
    delivery passes `item_attempt`), so two attempts at once never write the same key. A document
    whose row is already in the index is reported as a duplicate, with no second row or version,
    and the objects this attempt wrote for it are removed. Raises InputError (bad content) or StorageUnavailable
    (retry later).
    """
    part = part or whole_input(opened)
    item = labelled_by_sheets(item, part.metadata)
    clock = StepClock(seconds, {i: results[i] for i in part.pages if i in results})
    identity = document_sha256(opened.sha256, part, opened.page_count)
    document_id = identity[:32]
    with clock("assemble"):
        pages = page_records(opened, data, results, part)
        title = title_of(pages) or item.path.stem
        pdf = searchable_pdf(opened, data, results, PdfMetadata(
            title=title, dossier_code=item.dossier_code, producer=f"sohoa {__version__}",
            created=created or datetime.now().astimezone(), document_id=document_id,
        ), settings, part)
    with clock("classify"):
        understood = understand(pages, item, classifier, settings, part, field_tagger=field_tagger)
    signatures = None
    if opened.kind is InputKind.SIGNED_PDF:
        with clock("validate"):
            signatures = validate_signatures(data, settings)
    ocr = ocr_document_json(document_id, opened, pages)
    with clock("store"):
        keys = write_document(store, sha256=opened.sha256, document_id=document_id,
                              attempt=attempt or new_attempt(), original=data, searchable=pdf, ocr=ocr)
    row = row_for(opened, item, document_id, title, pages, understood, keys, pdf, ocr, clock.rounded())
    row = replace(row, sha256=identity, pages=len(pages), **source_columns(opened, part, source_files))
    with clock("index"):
        existing_id = add_row(index, row, signatures)
    if existing_id is not None:
        drop_lost_attempt(index, store, row)
    return report_line(opened, item, row, existing_id, clock.rounded(), part)


def labelled_by_sheets(item: InputFile, metadata: DocumentMetadata | None) -> InputFile:
    """The input's labels with what a separator sheet said of this document: the sheet wins
    (a person put it in front of this paper), the manifest or command line fills the rest."""
    if metadata is None:
        return item
    return replace(item, dossier_code=metadata.dossier_code or item.dossier_code,
                   owner_id=metadata.owner_id or item.owner_id)


def source_columns(opened: OpenedInput, part: DocumentPart, source_files: str | None) -> dict:
    return {
        "source_sha256": opened.sha256, "source_first_page": part.first_page, "source_last_page": part.last_page,
        "source_pages": page_list(part.pages), "source_documents": part.documents, "source_files": source_files,
    }


# --- the steps --------------------------------------------------------------------------------


def page_records(opened: OpenedInput, data: bytes, results: Mapping[int, PageResult],
                 part: DocumentPart | None = None) -> list[OcrPageRecord]:
    """Each page's words in PDF points: from the text layer when it is read, else from OCR,
    numbered in the document (its diagnostics keep the page of the input)."""
    if opened.has_text_layer:
        return [text_page_record(i, page) for i, page in enumerate(read_text_pages(data))]
    chosen = part.pages if part is not None else range(opened.page_count)
    records = [ocr_page_record(results[i]) for i in chosen]
    return [r if r.page == n + 1 else r.model_copy(update={"page": n + 1}) for n, r in enumerate(records)]


def searchable_pdf(opened: OpenedInput, data: bytes, results: Mapping[int, PageResult],
                   metadata: PdfMetadata, settings: PipelineSettings, part: DocumentPart | None = None) -> bytes:
    """The PDF/A of a scan; a text PDF is already searchable, and a signed one is never re-saved."""
    if opened.kind not in (InputKind.IMAGE, InputKind.SCANNED_PDF):
        return data
    chosen = part.pages if part is not None else range(opened.page_count)
    pages = [
        PdfPage(image=results[i].image, words=results[i].ocr.words, source_dpi=results[i].source_dpi)
        for i in chosen
    ]
    return assemble_pdf(pages, metadata, settings.assemble)


def understand(
    pages: list[OcrPageRecord],
    item: InputFile,
    classifier: TypeClassifier | None,
    settings: PipelineSettings,
    part: DocumentPart | None = None,
    *,
    field_tagger: FieldTagger | None = None,
) -> Understanding:
    """Type, fields and owner of a document; whether a person must review it, and why (a
    doubtful boundary inside it is a reason too)."""
    understood = _understand(pages, item, classifier, settings, part.metadata if part else None, field_tagger)
    if part is None or not part.review:
        return understood
    note = " | ".join(n for n in (understood.review_note, part.review) if n)
    return replace(understood, status=NEEDS_REVIEW, review_note=note)


def _understand(pages: list[OcrPageRecord], item: InputFile, classifier: TypeClassifier | None,
                settings: PipelineSettings, metadata: DocumentMetadata | None,
                field_tagger: FieldTagger | None) -> Understanding:
    sheet_type = metadata.doc_type if metadata else None
    if classifier is None and sheet_type is None:
        return Understanding(
            doc_type=None, type_confidence=None, type_reason="not classified",
            status=NEEDS_REVIEW, review_note="no type classifier configured",
            owner_id=item.owner_id, fields={}, valid_until=None, issue_date=None,
        )
    if sheet_type is not None:  # a person named the type on the separator sheet
        classification = Classification(doc_type=sheet_type, confidence=1.0, needs_review=False,
                                        reason="named by a separator sheet")
    else:
        classification = classifier.classify_pages([page.text for page in pages], settings.classify)
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
    paper_of_dossier_changed(index, row.dossier_code)
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
                seconds: dict[str, float], part: DocumentPart | None = None) -> IngestReportLine:
    base = report_base(item, opened, part)
    if existing_id is not None:
        return IngestReportLine(**base, document_id=existing_id, status="duplicate",
                                error=f"already stored as {existing_id}", seconds=seconds)
    return IngestReportLine(
        **base, document_id=row.id, status="stored", ocr_confidence=row.ocr_confidence,
        doc_type=row.doc_type, needs_review=row.status == NEEDS_REVIEW, seconds=seconds,
    )


def report_base(item: InputFile, opened: OpenedInput | None, part: DocumentPart | None = None) -> dict:
    """What every report line says of its input file, and of the pages of it a document holds."""
    base = {
        "source": str(item.path),
        "dossier_code": item.dossier_code,
        "input_kind": opened.kind.value if opened else None,
        "pages": opened.page_count if opened else 0,
    }
    if item.parts:
        base["source_files"] = [str(p) for p in item.parts]
    if part is not None and opened is not None:
        base.update(pages=len(part.pages), source_pages=page_list(part.pages),
                    source_range=f"{part.first_page}-{part.last_page}", separation=list(part.decisions) or None)
    return base


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
