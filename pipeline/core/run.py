"""Runs the stages for a batch of input files; the CLI, workers and API all come through here.

Per page (in a process pool when jobs > 1): load -> preprocess -> OCR -> encode the page image.
Per document (in this process): assemble the searchable PDF/A, store the objects, then write the
index row last, in one transaction, so an interrupted run leaves no half-made record.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.stages.assemble import (
    AssembleSettings,
    EncodedPageImage,
    ImageSettings,
    PdfMetadata,
    PdfPage,
    assemble_pdf,
    encode_page_image,
)
from pipeline.stages.classify import Classification, ClassifySettings, TypeClassifier
from pipeline.errors import InputError, SohoaError, StorageUnavailable
from pipeline.stages.extract import Extraction, ExtractSettings, extract_fields, needs_review
from pipeline.clock import utcnow
from pipeline.stores.index import NEEDS_REVIEW, DocumentRow, DuplicateDocument, Index
from pipeline.stages.ingest import (
    InputFile,
    InputKind,
    OpenedInput,
    TextPage,
    load_page,
    open_input,
    read_bytes,
    read_text_pages,
)
from pipeline.stages.ocr import OcrPage, OcrSettings, recognise
from pipeline.stages.preprocess import PreprocessSettings, preprocess
from pipeline.settings import Settings
from pipeline.stores.objects import ObjectStore, document_key, original_key, sha256_hex
from schemas.models import (
    IngestReportLine,
    OcrDocumentRecord,
    OcrPageRecord,
    OcrWordRecord,
    PageDiagnostics,
)

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class PipelineSettings:
    preprocess: PreprocessSettings = field(default_factory=PreprocessSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    image: ImageSettings = field(default_factory=ImageSettings)
    assemble: AssembleSettings = field(default_factory=AssembleSettings)
    classify: ClassifySettings = field(default_factory=ClassifySettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    max_image_pixels: int = 200_000_000
    # PDFs that arrive signed: their signatures are validated against these roots, fetching
    # OCSP/CRL only when allowed (SOHOA_TRUST_ROOTS, SOHOA_SIGNATURE_FETCHING)
    signature_trust_roots: Path | None = None
    signature_fetching: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineSettings:
        preprocess_settings = PreprocessSettings()
        if settings.orientation_min_confidence is not None:
            preprocess_settings = replace(
                preprocess_settings, orientation_min_confidence=settings.orientation_min_confidence
            )
        classify_settings = ClassifySettings()
        if settings.type_min_confidence is not None:
            classify_settings = replace(classify_settings, min_confidence=settings.type_min_confidence)
        return cls(
            preprocess=preprocess_settings,
            classify=classify_settings,
            ocr=OcrSettings(
                languages=settings.ocr_languages, timeout_seconds=settings.ocr_timeout_seconds
            ),
            image=ImageSettings(image_dpi=settings.image_dpi),
            assemble=AssembleSettings(),
            max_image_pixels=settings.max_image_pixels,
            signature_trust_roots=settings.trust_roots,
            signature_fetching=settings.signature_fetching,
        )


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


def process_page(task: PageTask) -> PageResult:
    """One page: a pure function of (file, page number, settings); runs in any process."""
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
        index=task.index,
        ocr=ocr,
        image=image,
        source_dpi=loaded.dpi,
        diagnostics=diagnostics,
        seconds=seconds,
    )


# --- events for progress displays -------------------------------------------------------------


@dataclass(frozen=True)
class BatchPlanned:
    documents: int
    pages: int


@dataclass(frozen=True)
class PagesDone:
    pages: int


@dataclass(frozen=True)
class DocumentDone:
    line: IngestReportLine
    message: str


ProgressCallback = Callable[[object], None]


@dataclass
class _Planned:
    input: InputFile
    opened: OpenedInput | None = None
    error: SohoaError | None = None
    duplicate_of: str | None = None  # an earlier file of this batch or a stored document
    same_as_input: int | None = None
    results: dict[int, PageResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Ingestor:
    """Ingests batches into one object store and one index."""

    def __init__(
        self,
        store: ObjectStore,
        index: Index,
        settings: PipelineSettings,
        *,
        quarantine_dir: Path,
        classifier: TypeClassifier | None = None,
    ):
        self.store = store
        self.index = index
        self.settings = settings
        self.quarantine_dir = quarantine_dir
        # Without a classifier documents are stored untyped (status needs_review).
        self.classifier = classifier

    # -- planning ---------------------------------------------------------------------------------

    def _plan(self, inputs: list[InputFile]) -> list[_Planned]:
        planned: list[_Planned] = []
        first_with_hash: dict[str, int] = {}
        for position, item in enumerate(inputs):
            entry = _Planned(input=item)
            started = time.perf_counter()
            try:
                entry.opened = open_document(item.path, self.settings)
            except SohoaError as exc:
                entry.error = exc
            entry.seconds["open"] = time.perf_counter() - started
            if entry.opened is not None:
                sha = entry.opened.sha256
                stored = self.index.find_by_sha256(sha)
                if stored:
                    entry.duplicate_of = stored
                elif sha in first_with_hash:
                    entry.same_as_input = first_with_hash[sha]
                else:
                    first_with_hash[sha] = position
            planned.append(entry)
        return planned

    def _page_tasks(self, position: int, entry: _Planned) -> list[tuple[int, PageTask]]:
        opened = entry.opened
        if opened is None or entry.duplicate_of or entry.same_as_input is not None:
            return []
        return [(position, task) for task in page_tasks(opened, self.settings)]

    # -- running ----------------------------------------------------------------------------------

    def ingest(
        self,
        inputs: Iterable[InputFile],
        *,
        jobs: int = 1,
        progress: ProgressCallback | None = None,
    ) -> Iterator[IngestReportLine]:
        """Ingest files; yields one report line per input file as each completes."""
        notify = progress or (lambda _event: None)
        planned = self._plan(list(inputs))
        tasks = [task for pos, entry in enumerate(planned) for task in self._page_tasks(pos, entry)]
        pending_pages = {pos: 0 for pos in range(len(planned))}
        for pos, _task in tasks:
            pending_pages[pos] += 1
        notify(BatchPlanned(documents=len(planned), pages=sum(pending_pages.values())))

        finished: dict[int, IngestReportLine] = {}

        def finish(pos: int) -> Iterator[IngestReportLine]:
            line = self._finish(planned[pos], finished)
            finished[pos] = line
            notify(DocumentDone(line=line, message=_describe(line)))
            yield line

        # Documents that need no page processing finish first (failed, duplicate, text PDFs).
        for pos, entry in enumerate(planned):
            if pending_pages[pos] == 0 and entry.same_as_input is None:
                yield from finish(pos)

        for pos, result_or_error in self._run_pages(tasks, jobs):
            entry = planned[pos]
            pending_pages[pos] -= 1
            if isinstance(result_or_error, SohoaError):
                entry.error = entry.error or result_or_error
            else:
                entry.results[result_or_error.index] = result_or_error
            notify(PagesDone(pages=1))
            if pending_pages[pos] == 0:
                yield from finish(pos)

        for pos, entry in enumerate(planned):
            if entry.same_as_input is not None:
                yield from finish(pos)

    def _run_pages(
        self, tasks: list[tuple[int, PageTask]], jobs: int
    ) -> Iterator[tuple[int, PageResult | SohoaError]]:
        if jobs <= 1 or len(tasks) <= 1:
            for pos, task in tasks:
                yield pos, _guarded_process_page(task)
            return
        window = jobs * 2  # bounded in-flight pages: memory stays flat on big batches
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
            queue = iter(tasks)
            running: dict[Future, int] = {}

            def refill():
                for pos, task in queue:
                    running[pool.submit(_guarded_process_page, task)] = pos
                    if len(running) >= window:
                        break

            refill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    pos = running.pop(future)
                    yield pos, future.result()
                refill()

    # -- finishing one document -----------------------------------------------------------------

    def _finish(self, entry: _Planned, finished: dict[int, IngestReportLine]) -> IngestReportLine:
        item, opened = entry.input, entry.opened
        base = {
            "source": str(item.path),
            "dossier_code": item.dossier_code,
            "input_kind": opened.kind.value if opened else None,
            "pages": opened.page_count if opened else 0,
        }
        if entry.same_as_input is not None:
            first = finished.get(entry.same_as_input)
            if first is not None and first.status == "stored":
                entry.duplicate_of = first.document_id
            else:
                entry.error = entry.error or InputError(
                    "same content as another file of this batch, which failed"
                )
        if entry.error is not None:
            return self._fail(entry, base)
        if entry.duplicate_of:
            return IngestReportLine(
                **base,
                document_id=entry.duplicate_of,
                status="duplicate",
                error=f"already stored as {entry.duplicate_of}",
                seconds=_rounded(entry.seconds),
            )
        try:
            return self._store(entry, base)
        except InputError as exc:
            entry.error = exc
            return self._fail(entry, base)
        except StorageUnavailable as exc:
            entry.error = exc
            return self._fail(entry, base, quarantine=False)

    def _fail(self, entry: _Planned, base: dict, *, quarantine: bool = True) -> IngestReportLine:
        error = entry.error
        assert error is not None
        quarantined = self._quarantine(entry.input.path, error) if quarantine else None
        return IngestReportLine(
            **base,
            status="failed",
            error_code=error.code,
            error=error.message,
            quarantined_as=str(quarantined) if quarantined else None,
            seconds=_rounded(entry.seconds),
        )

    def _store(self, entry: _Planned, base: dict) -> IngestReportLine:
        opened = entry.opened
        assert opened is not None
        data = read_bytes(opened.path)
        if sha256_hex(data) != opened.sha256:
            raise InputError("file changed while it was being ingested")
        return store_document(
            opened, entry.input, data, entry.results,
            store=self.store, index=self.index, settings=self.settings,
            classifier=self.classifier, seconds=entry.seconds,
        )

    def _quarantine(self, path: Path, error: SohoaError) -> Path | None:
        return quarantine_file(self.quarantine_dir, path, error)


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


# --- the stages of one document, as plain functions (local Ingestor and queue workers alike) ----


def open_document(path: Path, settings: PipelineSettings) -> OpenedInput:
    """Read and check one input file; raises an InputError saying why it cannot be digitised."""
    opened = open_input(path, read_bytes(path), max_image_pixels=settings.max_image_pixels)
    log.info("%s: %s", path, opened.reason)
    return opened


def page_tasks(opened: OpenedInput, settings: PipelineSettings) -> list[PageTask]:
    """The pages of a document that need processing: none when its own text layer is read."""
    if opened.has_text_layer:  # born-digital, or signed with text: read, never OCR'd
        return []
    keep_image = opened.kind is not InputKind.SIGNED_PDF
    return [PageTask(opened.path, opened.kind, i, settings, keep_image) for i in range(opened.page_count)]


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
) -> IngestReportLine:
    """Finalise one document whose pages are processed: assemble the searchable PDF/A, classify,
    store the objects, then write the index row last.

    ``data`` are the file's exact bytes (``opened.sha256``); ``results`` its processed pages by
    index (empty when the text layer is read). ``item.path`` names the file as received (source,
    filename), which may differ from ``opened.path`` (a worker's local copy). ``created`` dates
    the PDF; the same pages and date give the same bytes, so a repeated call writes identical
    objects. A document whose row is already in the index is reported as a duplicate, with no
    second row or version. Raises InputError (bad content) or StorageUnavailable (retry later).
    """
    base = {
        "source": str(item.path),
        "dossier_code": item.dossier_code,
        "input_kind": opened.kind.value,
        "pages": opened.page_count,
    }
    seconds = dict(seconds or {})
    for result in results.values():
        for stage, value in result.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + value
    document_id = opened.sha256[:32]

    started = time.perf_counter()
    if opened.has_text_layer:
        text_pages = read_text_pages(data)
        ocr_pages = [_text_page_record(i, page) for i, page in enumerate(text_pages)]
    else:
        ocr_pages = [_ocr_page_record(results[i]) for i in range(opened.page_count)]
    text = "\f".join(page.text for page in ocr_pages)
    title = _title_of(text) or item.path.stem
    if opened.kind in (InputKind.IMAGE, InputKind.SCANNED_PDF):
        pdf = assemble_pdf(
            [
                PdfPage(image=results[i].image, words=results[i].ocr.words,
                        source_dpi=results[i].source_dpi)
                for i in range(opened.page_count)
            ],
            PdfMetadata(
                title=title,
                dossier_code=item.dossier_code,
                producer=f"sohoa {__version__}",
                created=created or datetime.now().astimezone(),
                document_id=document_id,
            ),
            settings.assemble,
        )
    else:
        # Text PDFs are already searchable; signed ones must never be re-saved.
        pdf = data
    seconds["assemble"] = time.perf_counter() - started

    started = time.perf_counter()
    understood = understand(ocr_pages, item, classifier, settings)
    seconds["classify"] = time.perf_counter() - started

    signatures = None
    if opened.kind is InputKind.SIGNED_PDF:
        started = time.perf_counter()
        signatures = validate_signatures(data, settings)
        seconds["validate"] = time.perf_counter() - started

    ocr_json = OcrDocumentRecord(
        document_id=document_id, sha256=opened.sha256, source_kind=opened.kind.value,
        pages=ocr_pages,
    ).model_dump_json().encode()
    confidences = [
        p.diagnostics.ocr_confidence for p in ocr_pages if p.diagnostics.ocr_confidence is not None
    ]
    ocr_confidence = round(sum(confidences) / len(confidences), 2) if confidences else None

    started = time.perf_counter()
    object_metadata = {"document-id": document_id, "sha256": opened.sha256}
    keys = {
        "original": original_key(opened.sha256),
        "searchable": document_key(document_id, 1, "searchable.pdf"),
        "ocr": document_key(document_id, 1, "ocr.json"),
    }
    # The bytes received never change; writing the same original again is a no-op.
    store.put_immutable(keys["original"], data, {**object_metadata, "variant": "original"})
    store.put(keys["searchable"], pdf, {**object_metadata, "variant": "searchable"})
    store.put(keys["ocr"], ocr_json, {**object_metadata, "variant": "ocr"})
    seconds["store"] = time.perf_counter() - started

    started = time.perf_counter()
    row = DocumentRow(
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
        ocr_confidence=ocr_confidence,
        status=understood.status,
        version=1,
        original_key=keys["original"],
        searchable_key=keys["searchable"],
        ocr_key=keys["ocr"],
        searchable_sha256=sha256_hex(pdf),
        ocr_sha256=sha256_hex(ocr_json),
        text=text,
        stage_seconds=_rounded(seconds),
        created_at=utcnow(),
        doc_type=understood.doc_type,
        type_confidence=understood.type_confidence,
        type_reason=understood.type_reason,
        fields=understood.fields,
        valid_until=understood.valid_until,
        issue_date=understood.issue_date,
        review_note=understood.review_note,
    )
    try:
        index.add(row)
    except DuplicateDocument as exc:
        if signatures is not None and exc.existing_id == document_id:
            # a repeated finalise (a worker's retry) completes what a crash may have cut short
            _record_signatures(index, document_id, signatures)
        seconds["index"] = time.perf_counter() - started
        return IngestReportLine(
            **base, document_id=exc.existing_id, status="duplicate",
            error=f"already stored as {exc.existing_id}", seconds=_rounded(seconds),
        )
    if signatures is not None:
        _record_signatures(index, document_id, signatures)
    seconds["index"] = time.perf_counter() - started
    return IngestReportLine(
        **base,
        document_id=document_id,
        status="stored",
        ocr_confidence=ocr_confidence,
        doc_type=understood.doc_type,
        needs_review=understood.status == NEEDS_REVIEW,
        seconds=_rounded(seconds),
    )


def validate_signatures(pdf: bytes, settings: PipelineSettings):
    """The validation report of a PDF that arrived signed; never alters the bytes."""
    from pipeline.stages.sign import ValidationSettings, validate_pdf

    report = validate_pdf(pdf, ValidationSettings.from_file(
        settings.signature_trust_roots, allow_fetching=settings.signature_fetching))
    for signature in report.signatures:
        log.info("arrived signed: %s %s %s", signature.field_name, signature.indication,
                 signature.sub_indication or "")
    return report


def _record_signatures(index: Index, document_id: str, report) -> None:
    from pipeline.core.signed_versions import record_validation  # pyHanko only when a PDF is signed

    record_validation(index, document_id, 1, report)


def understand(
    pages: list[OcrPageRecord],
    item: InputFile,
    classifier: TypeClassifier | None,
    settings: PipelineSettings,
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
        classification.doc_type, pages, settings=settings.extract
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



def quarantine_file(
    quarantine_dir: Path, path: Path, error: SohoaError, *, source: Path | None = None
) -> Path | None:
    """Copy a failed input aside with its reason; the original stays where it was.

    ``path`` is the file to copy; ``source`` the name it was received under, when that differs
    (a worker's local copy of a queued file)."""
    source = source or path
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / source.name
    counter = 1
    while target.exists() or target.with_name(target.name + ".reason.txt").exists():
        target = quarantine_dir / f"{source.stem}.{counter}{source.suffix}"
        counter += 1
    reason = f"{source}\n{error.code}: {error.message}\n{utcnow().isoformat()}\n"
    target.with_name(target.name + ".reason.txt").write_text(reason, encoding="utf-8")
    try:
        shutil.copyfile(path, target)
    except OSError:
        return target.with_name(target.name + ".reason.txt")
    return target


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _guarded_process_page(task: PageTask) -> PageResult | SohoaError:
    try:
        return process_page(task)
    except SohoaError as exc:
        return exc


def _init_worker() -> None:
    # Tesseract's OpenMP threads would fight the pool for the same cores.
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _ocr_page_record(result: PageResult) -> OcrPageRecord:
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


def _text_page_record(index: int, page: TextPage) -> OcrPageRecord:
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


_TITLE_SKIP = re.compile(r"CỘNG HÒA|CỘNG HOÀ|ĐỘC LẬP|ỦY BAN|UỶ BAN|SỐ:", re.IGNORECASE)


def _title_of(text: str) -> str | None:
    """The first line in capitals that is not the national heading or the issuing body."""
    for line in text.splitlines()[:40]:
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.9:
            if not _TITLE_SKIP.search(line):
                return line.strip()
    return None


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in seconds.items()}


def _describe(line: IngestReportLine) -> str:
    if line.status == "failed":
        return f"{line.source}: {line.error}"
    if line.status == "duplicate":
        return f"{line.source}: duplicate, {line.error}"
    review = ", needs review" if line.needs_review else ""
    return f"{line.source}: stored as {line.document_id} ({line.doc_type}, {line.pages} pages{review})"
