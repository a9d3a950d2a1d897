"""Where things live in the object store: the key layout and the metadata written with each object.

Originals are content-addressed and written once (immutable); a document's derived objects live
under its id and version; queued batches keep the bytes they received and their page results under
a scratch prefix until the item settles. No other module spells a key."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.stores.objects import ObjectStore, document_key, original_key


@dataclass(frozen=True)
class DocumentObjects:
    """The keys of a document's first version."""

    original: str
    searchable: str
    ocr: str


def write_document(
    store: ObjectStore, *, sha256: str, document_id: str, original: bytes, searchable: bytes, ocr: bytes
) -> DocumentObjects:
    """Write a new document's objects: the bytes received (a no-op when already there, they never
    change), its searchable PDF and its OCR record."""
    keys = DocumentObjects(
        original=original_key(sha256),
        searchable=document_key(document_id, 1, "searchable.pdf"),
        ocr=document_key(document_id, 1, "ocr.json"),
    )
    metadata = {"document-id": document_id, "sha256": sha256}
    store.put_immutable(keys.original, original, {**metadata, "variant": "original"})
    store.put(keys.searchable, searchable, {**metadata, "variant": "searchable"})
    store.put(keys.ocr, ocr, {**metadata, "variant": "ocr"})
    return keys


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
