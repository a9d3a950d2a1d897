"""Where things live in the object store: the key layout and the metadata written with each object.

Originals are content-addressed and written once (immutable). A new document's derived objects
live under its id, version 1 and the attempt that made them: two ingests of the same file at once
(two commands, or a command racing a worker) each write their own keys, the index row that wins
names the objects it describes, and no committed object is ever written over. Queued batches keep
the bytes they received and their page results under a scratch prefix until the item settles.
No other module spells a key."""

from __future__ import annotations

import secrets
import re
from dataclasses import dataclass

from pipeline.stores.objects import ObjectStore, document_key, original_key


@dataclass(frozen=True)
class DocumentObjects:
    """The keys of a document's first version."""

    original: str
    searchable: str
    ocr: str


def new_attempt() -> str:
    """An attempt id for one local ingest of one document."""
    return secrets.token_hex(8)


def item_attempt(item_id: str) -> str:
    """An attempt id for one delivery of a queued item: the item's id (so the stored row shows
    which item wrote it) and a part of its own, because two deliveries can run at once (a broker
    restarted, `batch resume`) and need not make the same bytes (OCR is not bit-for-bit
    repeatable across machines and loads): each writes its own keys, and only the row's are kept."""
    return f"{item_id}-{secrets.token_hex(4)}"


def written_by_item(key: str, item_id: str) -> bool:
    """Whether a derived object's key was written by a delivery of this queued item (keys of
    sessions before `item_attempt` used the bare item id)."""
    return f"/{item_id}-" in key or f"/{item_id}/" in key


def other_item_attempts(store: ObjectStore, document_id: str, item_id: str, kept: DocumentObjects) -> list[str]:
    """The derived objects an earlier delivery of this item left for this document that the
    stored row does not name (a delivery that wrote its objects and then died)."""
    named = {kept.searchable, kept.ocr}
    prefix = document_key(document_id, 1, "")
    return [key for key in store.keys(prefix)
            if key not in named and key.startswith(prefix + item_id + "-")]


def document_objects(sha256: str, document_id: str, attempt: str) -> DocumentObjects:
    return DocumentObjects(
        original=original_key(sha256),
        searchable=document_key(document_id, 1, f"{attempt}/searchable.pdf"),
        ocr=document_key(document_id, 1, f"{attempt}/ocr.json"),
    )


def write_document(
    store: ObjectStore, *, sha256: str, document_id: str, attempt: str, original: bytes,
    searchable: bytes, ocr: bytes,
) -> DocumentObjects:
    """Write a new document's objects: the bytes received (a no-op when already there, they never
    change), its searchable PDF and its OCR record under this attempt's keys."""
    keys = document_objects(sha256, document_id, attempt)
    metadata = {"document-id": document_id, "sha256": sha256}
    store.put_immutable(keys.original, original, {**metadata, "variant": "original"})
    store.put(keys.searchable, searchable, {**metadata, "variant": "searchable"})
    store.put(keys.ocr, ocr, {**metadata, "variant": "ocr"})
    return keys


def write_derived(store: ObjectStore, *, document_id: str, original_key: str, original_sha256: str, attempt: str,
                  searchable: bytes, ocr: bytes) -> DocumentObjects:
    """The objects of a document made from stored pages (a split or merge): its searchable PDF
    and OCR record under its own keys; its original is the one already stored."""
    keys = document_objects(original_sha256, document_id, attempt)
    metadata = {"document-id": document_id, "sha256": original_sha256}
    store.put(keys.searchable, searchable, {**metadata, "variant": "searchable"})
    store.put(keys.ocr, ocr, {**metadata, "variant": "ocr"})
    return DocumentObjects(original_key, keys.searchable, keys.ocr)


def write_original(store: ObjectStore, sha256: str, data: bytes, metadata: dict[str, str]) -> str:
    """Bytes received, under their content address (a no-op when already there); returns the key."""
    key = original_key(sha256)
    store.put_immutable(key, data, {**metadata, "variant": "original"})
    return key


def drop_attempt(store: ObjectStore, keys: DocumentObjects) -> None:
    """Remove the derived objects of an attempt that lost to another (never the original, which
    the winner shares)."""
    for key in (keys.searchable, keys.ocr):
        store.delete(key)


# --- queued batches -----------------------------------------------------------------------------


def scratch_prefix(batch_id: str, item_id: str) -> str:
    return f"scratch/batches/{batch_id}/{item_id}/"


def staged_key(batch_id: str, item_id: str) -> str:
    """Where `sohoa ingest --queue` puts the bytes of an input for workers on other machines."""
    return scratch_prefix(batch_id, item_id) + "original"


def staged_metadata(batch_id: str, item_id: str, sha256: str) -> dict[str, str]:
    return {"batch-id": batch_id, "item-id": item_id, "sha256": sha256}


def page_result_key(batch_id: str, item_id: str, page: int) -> str:
    """A fanned-out page's result, for the worker that finalises the item (page from 0)."""
    return scratch_prefix(batch_id, item_id) + f"page-{page + 1:04d}.json"


# --- page views for people (the console) ---------------------------------------------------------


def page_view_key(document_id: str, pdf_sha256: str, kind: str, page: int) -> str:
    """A page image or thumbnail made once from one searchable PDF (named by its hash, so a new
    version never shows an old page); kind is ``page`` or ``thumb``, page from 1."""
    return f"documents/{document_id}/views/{pdf_sha256[:16]}/{kind}-{page:04d}.jpg"


_PAGE_VIEW = re.compile(r"documents/([0-9a-f]{1,64})/views/([0-9a-f]{16})/(?:page|thumb)-\d{4}\.jpg")


def page_view_source(key: str) -> tuple[str, str] | None:
    """For a page view's key, the document id and the 16-hex prefix of the PDF's hash it was
    made from (`page_view_key`); None for any other key."""
    found = _PAGE_VIEW.fullmatch(key)
    return (found.group(1), found.group(2)) if found else None
