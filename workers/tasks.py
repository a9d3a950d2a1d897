"""What the queue's messages do, as plain functions of a `Runtime` and an item id.

The steps are the core's: `open_document` and `page_tasks`, `process_page` per page, and
`store_input` to finalise (separation, then `store_document` per document: `pipeline.core.document`,
`pipeline.core.pages`); nothing here digitises or separates anything itself. A one-page document (or a
text PDF) is done in one message. A longer one fans out: one `ocr_page` message per page, each
writing its result under the item's scratch prefix in the object store, and the page that finds
all results present sends one `finalise_item` message.

Every function is idempotent, so a message delivered twice (a worker killed before it
acknowledged, a broker restarted, `sohoa batch resume`) has no second effect: a settled item is
skipped, a page already in scratch is not recomputed, the one item that claimed a document id is
the only one that stores it, and a repeated finalise writes no second index row. Two deliveries
running at once each write their own keys (`item_attempt`): the row that wins names one set, the
other is removed, and no object a row names is ever written over.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.batches import DUPLICATE, FAILED, STORED, BatchItem
from pipeline.core.document import open_document, store_input
from pipeline.core.pages import (
    PageResult,
    decode_page_result,
    encode_page_result,
    page_task,
    page_tasks,
    process_page,
    separable,
)
from pipeline.core.planning import stored_documents
from pipeline.core.quarantine import quarantine_file
from pipeline.core.runtime import Runtime
from pipeline.errors import InputError, SohoaError, StorageUnavailable
from pipeline.stages.ingest import InputFile, InputKind, OpenedInput
from pipeline.stores.index import DocumentRow
from pipeline.stores.layout import (
    DocumentObjects,
    item_attempt,
    other_item_attempts,
    page_result_key,
    scratch_prefix,
    written_by_item,
)
from pipeline.stores.objects import ObjectNotFound

log = logging.getLogger(__name__)

#: Documents with at least this many pages to OCR are fanned out, one message per page.
FAN_OUT_MIN_PAGES = 2


class DocumentBusy(StorageUnavailable):
    """Another item of the queue is storing the same document: try again later."""

    code = "document_busy"


def page_key(item: BatchItem, page: int) -> str:
    return page_result_key(item.batch_id, item.id, page)


# --- the three messages -------------------------------------------------------------------------


def ingest_item(rt: Runtime, item_id: str) -> None:
    """Open an item's file; store it at once, or fan its pages out."""
    item = rt.batches.begin_attempt(item_id)
    if item is None:
        log.info("item %s: unknown or settled, nothing to do", item_id)
        return
    if _settled_as_existing(rt, item):
        return
    with _local_copy(rt, item) as (path, data):
        opened = _open_or_fail(rt, item, path, data)
        if opened is None:
            return
        rt.batches.set_shape(item.id, input_kind=opened.kind.value, pages=opened.page_count)
        tasks = page_tasks(opened, rt.pipeline)
        if len(tasks) >= FAN_OUT_MIN_PAGES:
            for task in tasks:
                rt.send("ocr_page", item.id, task.index)
            return
        try:
            results = {task.index: process_page(task) for task in tasks}
        except InputError as exc:
            _fail(rt, item, exc, path)
            return
        _finalise(rt, item, opened, data, results, path)


def _open_or_fail(rt: Runtime, item, path, data: bytes) -> OpenedInput | None:
    """The opened input, or None once the item is failed (bad input is never retried)."""
    try:
        return open_document(path, rt.pipeline, data)
    except InputError as exc:
        _fail(rt, item, exc, path)
        return None


def ocr_page(rt: Runtime, item_id: str, page: int) -> None:
    """One page of a fanned-out document; the last page to finish sends the finalise message."""
    item = rt.batches.item(item_id)
    if item is None or item.settled:
        return
    key = page_key(item, page)
    if not rt.store.exists(key):
        with _local_copy(rt, item) as (path, _data):
            kind = InputKind(item.input_kind)
            task = page_task(path, kind, page, rt.pipeline, inspect=separable(kind, item.pages or 0, rt.pipeline))
            try:
                result = process_page(task)
            except InputError as exc:
                _fail(rt, item, exc, path)
                return
        rt.store.put(key, encode_page_result(result))
    if all(rt.store.exists(page_key(item, i)) for i in range(item.pages or 0)):
        rt.send("finalise_item", item.id)


def finalise_item(rt: Runtime, item_id: str) -> None:
    """Assemble, store and index a fanned-out document from its pages in scratch."""
    item = rt.batches.begin_attempt(item_id)
    if item is None or _settled_as_existing(rt, item):
        return
    with _local_copy(rt, item) as (path, data):
        opened = _open_or_fail(rt, item, path, data)
        if opened is None:
            return
        results = {
            task.index: decode_page_result(rt.store.get(page_key(item, task.index)))
            for task in page_tasks(opened, rt.pipeline)
        }
        _finalise(rt, item, opened, data, results, path)


# --- settling an item ---------------------------------------------------------------------------


def _finalise(rt: Runtime, item: BatchItem, opened: OpenedInput, data: bytes,
              results: dict[int, PageResult], path: Path) -> None:
    document_id = opened.sha256[:32]
    holder = rt.batches.claim(document_id, item.id)
    if holder != item.id:
        if not _settled_as_existing(rt, item):
            raise DocumentBusy(f"item {holder} is storing the same document {document_id}")
        return
    source = InputFile(Path(item.source), item.dossier_code, item.owner_id, item.procedure_code)
    try:
        lines = store_input(
            opened, source, data, results, store=rt.store, index=rt.index, settings=rt.pipeline,
            classifier=rt.classifier, created=item.created_at, attempt=item_attempt(item.id),
            field_tagger=rt.field_tagger,
        )
    except InputError as exc:
        _fail(rt, item, exc, path)
        return
    # A duplicate of a document this item's claim covers is this item's own earlier delivery
    # (its objects are under the item's id); one stored outside the claim is a duplicate.
    rows = [rt.index.get(line.document_id) for line in lines if line.document_id]
    ours = [row for row in rows if written_by_item(row.searchable_key, item.id)]
    for row in ours:
        _drop_other_deliveries(rt, row, item)
    mine = bool(ours) or any(line.status == "stored" for line in lines)
    _settle(rt, item, STORED if mine else DUPLICATE, document_id=lines[0].document_id)


def _drop_other_deliveries(rt: Runtime, row: DocumentRow, item: BatchItem) -> None:
    """Objects of an earlier delivery of this item that died before its row was written (best
    effort: they are unreferenced, never damage)."""
    kept = DocumentObjects(row.original_key, row.searchable_key, row.ocr_key)
    try:
        for key in other_item_attempts(rt.store, row.id, item.id, kept):
            rt.store.delete(key)
    except SohoaError as exc:
        log.info("item %s: an earlier delivery's objects left behind: %s", item.id, exc.message)


def _settled_as_existing(rt: Runtime, item: BatchItem) -> bool:
    """Settle an item whose bytes are already a document: stored if this item stored it (an
    earlier delivery of the same message), duplicate otherwise."""
    existing = stored_documents(rt.index, item.sha256) if item.sha256 else []
    if not existing:
        return False
    status = STORED if rt.batches.claim_holder(item.sha256[:32]) == item.id else DUPLICATE
    _settle(rt, item, status, document_id=existing[0])
    return True


def _settle(rt: Runtime, item: BatchItem, status: str, *, document_id: str) -> None:
    if rt.batches.settle(item.id, status, document_id=document_id):
        log.info("item %s: %s as %s", item.id, status, document_id)
    _drop_scratch(rt, item)


def _fail(rt: Runtime, item: BatchItem, error: SohoaError, path: Path) -> None:
    """Bad input: no retry; the file goes to quarantine with its reason, as in a local ingest."""
    quarantined = quarantine_file(rt.quarantine_dir, path, error, source=Path(item.source))
    rt.batches.settle(item.id, FAILED, error_code=error.code, error=error.message,
                      quarantined_as=str(quarantined) if quarantined else None)
    log.warning("item %s (%s): %s", item.id, Path(item.source).name, error.message)


def record_gave_up(rt: Runtime, item_id: str, error: BaseException) -> None:
    """After the last retry: the item fails with its error code; its scratch stays for `jobs retry`."""
    code = error.code if isinstance(error, SohoaError) else "internal_error"
    message = error.message if isinstance(error, SohoaError) else f"{type(error).__name__}: {error}"
    rt.batches.settle(item_id, FAILED, error_code=code, error=message)


def _drop_scratch(rt: Runtime, item: BatchItem) -> None:
    """A settled item's staged bytes and page results are no longer needed (best effort)."""
    try:
        for key in list(rt.store.keys(scratch_prefix(item.batch_id, item.id))):
            rt.store.delete(key)
    except SohoaError as exc:
        log.info("item %s: scratch left behind: %s", item.id, exc.message)


@contextmanager
def _local_copy(rt: Runtime, item: BatchItem) -> Iterator[tuple[Path, bytes]]:
    """The item's bytes from the object store, as a file named like the original."""
    try:
        data = rt.store.get(item.staged_key)
    except ObjectNotFound as exc:
        raise StorageUnavailable(f"staged input {item.staged_key} is missing") from exc
    with tempfile.TemporaryDirectory(prefix="sohoa-item-") as tmp:
        path = Path(tmp) / (Path(item.source).name or "input")
        path.write_bytes(data)
        yield path, data
