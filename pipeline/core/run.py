"""Runs a batch of input files on this machine; the CLI and the API's uploads come through here.

Per page (in a process pool when jobs > 1): `pipeline.core.pages` (separation's image signals,
then OCR). Per input (in this process): `pipeline.core.document.store_input`, which separates it
into its documents and stores each with `store_document`. Queued batches run the same functions in the
workers (`pipeline.core.queued`, `workers.tasks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.config import PipelineSettings
from pipeline.core.document import (
    input_bytes,
    open_item,
    report_base,
    rounded_seconds,
    store_input,
    store_page_files,
)
from pipeline.core.pages import PageResult, PageTask, page_tasks, process_page
from pipeline.core.planning import PlannedInput, plan_inputs
from pipeline.core.quarantine import quarantine_file
from pipeline.errors import InputError, SohoaError, StorageUnavailable
from pipeline.lifetime import die_with_parent
from pipeline.stages.classify import TypeClassifier
from pipeline.stages.extract.learned import FieldTagger
from pipeline.stages.ingest import InputFile, OpenedInput
from pipeline.stores.index import Index
from pipeline.stores.objects import ObjectStore
from schemas.models import IngestReportLine

log = logging.getLogger(__name__)


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
class _Entry:
    plan: PlannedInput[OpenedInput]
    error: SohoaError | None = None
    duplicates: tuple[str, ...] = ()  # the documents already stored from these bytes
    results: dict[int, PageResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def input(self) -> InputFile:
        return self.plan.input

    @property
    def opened(self) -> OpenedInput | None:
        return self.plan.read


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
        field_tagger: FieldTagger | None = None,
    ):
        self.store = store
        self.index = index
        self.settings = settings
        self.quarantine_dir = quarantine_dir
        # Without a classifier documents are stored untyped (status needs_review).
        self.classifier = classifier
        self.field_tagger = field_tagger  # the learned field reader, once `sohoa model retrain` made one

    def ingest(
        self,
        inputs: Iterable[InputFile],
        *,
        jobs: int = 1,
        progress: ProgressCallback | None = None,
    ) -> Iterator[IngestReportLine]:
        """Ingest files; yields report lines as each input completes: one per document it made
        (a scanner's stream separated into several), or one saying why it failed."""
        notify = progress or (lambda _event: None)
        planned = self._plan(list(inputs))
        tasks = [(pos, task) for pos, entry in enumerate(planned) for task in self._page_tasks(entry)]
        pending_pages = {pos: 0 for pos in range(len(planned))}
        for pos, _task in tasks:
            pending_pages[pos] += 1
        notify(BatchPlanned(documents=len(planned), pages=sum(pending_pages.values())))

        finished: dict[int, list[IngestReportLine]] = {}

        def finish(pos: int) -> Iterator[IngestReportLine]:
            lines = self._finish(planned[pos], finished)
            finished[pos] = lines
            for line in lines:
                notify(DocumentDone(line=line, message=_describe(line)))
                yield line

        # Documents that need no page processing finish first (failed, duplicate, text PDFs).
        for pos, entry in enumerate(planned):
            if pending_pages[pos] == 0 and entry.plan.same_as_position is None:
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
            if entry.plan.same_as_position is not None:
                yield from finish(pos)

    # -- planning and pages -----------------------------------------------------------------------

    def _plan(self, inputs: list[InputFile]) -> list[_Entry]:
        plans = plan_inputs(inputs, self.index, lambda item: open_item(item, self.settings),
                            lambda opened: opened.sha256)
        return [
            _Entry(plan=plan, error=plan.error, duplicates=plan.duplicates, seconds={"open": plan.read_seconds})
            for plan in plans
        ]

    def _page_tasks(self, entry: _Entry) -> list[PageTask]:
        return page_tasks(entry.opened, self.settings) if entry.plan.is_new else []

    def _run_pages(
        self, tasks: list[tuple[int, PageTask]], jobs: int
    ) -> Iterator[tuple[int, PageResult | SohoaError]]:
        if jobs <= 1 or len(tasks) <= 1:
            for pos, task in tasks:
                yield pos, _guarded_process_page(task)
            return
        window = jobs * 2  # bounded in-flight pages: memory stays flat on big batches
        with ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent) as pool:
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

    def _finish(self, entry: _Entry, finished: dict[int, list[IngestReportLine]]) -> list[IngestReportLine]:
        same_as = entry.plan.same_as_position
        if same_as is not None:
            first = [line for line in finished.get(same_as, []) if line.status in ("stored", "duplicate")]
            if first:
                entry.duplicates = tuple(line.document_id for line in first if line.document_id)
            else:
                entry.error = entry.error or InputError(
                    "same content as another file of this batch, which failed"
                )
        if entry.error is not None:
            return [self._fail(entry)]
        if entry.duplicates:
            return [
                IngestReportLine(
                    **report_base(entry.input, entry.opened), document_id=document_id,
                    status="duplicate", error=f"already stored as {document_id}",
                    seconds=rounded_seconds(entry.seconds),
                )
                for document_id in entry.duplicates
            ]
        try:
            return self._store(entry)
        except InputError as exc:
            entry.error = exc
            return [self._fail(entry)]
        except StorageUnavailable as exc:
            entry.error = exc
            return [self._fail(entry, quarantine=False)]

    def _fail(self, entry: _Entry, *, quarantine: bool = True) -> IngestReportLine:
        error = entry.error
        assert error is not None
        quarantined = quarantine_file(self.quarantine_dir, entry.input.path, error) if quarantine else None
        return IngestReportLine(
            **report_base(entry.input, entry.opened),
            status="failed",
            error_code=error.code,
            error=error.message,
            quarantined_as=str(quarantined) if quarantined else None,
            seconds=rounded_seconds(entry.seconds),
        )

    def _store(self, entry: _Entry) -> list[IngestReportLine]:
        opened = entry.opened
        assert opened is not None
        data = input_bytes(opened, self.settings)
        source_files = store_page_files(self.store, opened, self.settings)
        return store_input(
            opened, entry.input, data, entry.results,
            store=self.store, index=self.index, settings=self.settings,
            classifier=self.classifier, seconds=entry.seconds, source_files=source_files,
            field_tagger=self.field_tagger,
        )


def _guarded_process_page(task: PageTask) -> PageResult | SohoaError:
    try:
        return process_page(task)
    except SohoaError as exc:
        return exc


def _describe(line: IngestReportLine) -> str:
    if line.status == "failed":
        return f"{line.source}: {line.error}"
    if line.status == "duplicate":
        return f"{line.source}: duplicate, {line.error}"
    review = ", needs review" if line.needs_review else ""
    pages = f", pages {line.source_pages} of the file" if line.source_range and line.separation else ""
    return f"{line.source}: stored as {line.document_id} ({line.doc_type}, {line.pages} pages{pages}{review})"
