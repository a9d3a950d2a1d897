"""`verify`: the object store re-hashed against the sha256s the index recorded."""

from __future__ import annotations

import pytest

from index_rows import make_row
from pipeline.errors import DocumentNotFound
from pipeline.clock import utcnow
from pipeline.stores.index import Index
from pipeline.stores.layout import page_view_key
from pipeline.stores.objects import LocalObjectStore, document_key, original_key, sha256_hex
from pipeline.core.verify import verify


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


def store_document(index: Index, store: LocalObjectStore, n: int):
    """Write a document's three objects and its row, as ingest does."""
    original = f"%PDF-1.7 scan {n}".encode()
    searchable = f"%PDF-1.7 searchable {n}".encode()
    ocr = f'{{"document": {n}}}'.encode()
    sha = sha256_hex(original)
    row = make_row(
        n, id=sha[:32], sha256=sha, original_key=original_key(sha),
        searchable_key=document_key(sha[:32], 1, "searchable.pdf"),
        ocr_key=document_key(sha[:32], 1, "ocr.json"),
        searchable_sha256=sha256_hex(searchable), ocr_sha256=sha256_hex(ocr), created_at=utcnow(),
    )
    store.put(row.original_key, original)
    store.put(row.searchable_key, searchable)
    store.put(row.ocr_key, ocr)
    index.add(row)
    return row


def test_a_clean_store_verifies_clean(index, store):
    """GIVEN three documents stored as ingest stores them
    WHEN everything is verified
    THEN there is no finding and every object was checked"""
    rows = [store_document(index, store, n) for n in range(3)]
    report = verify(index, store, None)
    assert report.findings == [] and report.ok
    assert (report.checked, report.objects_checked) == (3, 9)
    assert verify(index, store, [rows[0].id[:8]]).checked == 1


def test_a_flipped_byte_is_reported_as_altered(index, store):
    """GIVEN a stored searchable PDF in which one byte has changed on disk
    WHEN its document is verified
    THEN the finding names the document, the key and 'altered'"""
    row = store_document(index, store, 1)
    store_document(index, store, 2)
    path = store.root / row.searchable_key
    data = bytearray(path.read_bytes())
    data[5] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify(index, store, [row.id])
    assert [(f.document_id, f.key, f.problem) for f in report.findings] == [
        (row.id, row.searchable_key, "altered")]
    assert not report.ok


def test_a_deleted_object_is_reported_missing(index, store):
    """GIVEN a document whose OCR words file was deleted from the store
    WHEN the whole store is verified
    THEN the object is reported missing, and the other document is fine"""
    row = store_document(index, store, 1)
    store_document(index, store, 2)
    (store.root / row.ocr_key).unlink()
    report = verify(index, store, None)
    assert [(f.document_id, f.key, f.problem) for f in report.findings] == [
        (row.id, row.ocr_key, "missing")]
    assert report.checked == 2


def test_objects_without_a_row_are_information(index, store):
    """GIVEN an object left under documents/ by an interrupted ingest
    WHEN the whole store is verified
    THEN it is reported as unreferenced, which is not damage"""
    store_document(index, store, 1)
    store.put(document_key("f" * 32, 1, "searchable.pdf"), b"%PDF-1.7 half done")
    report = verify(index, store, None)
    assert [(f.document_id, f.problem, f.severity) for f in report.findings] == [
        (None, "unreferenced", "info")]
    assert report.ok


def test_page_views_of_a_stored_pdf_are_not_unreferenced(index, store):
    """GIVEN a document whose page image and thumbnail the console stored beside it, and a view
    left by a PDF that no row names any more
    WHEN the whole store is verified
    THEN the document's views are no finding; the stray one is reported unreferenced"""
    row = store_document(index, store, 1)
    mine = [page_view_key(row.id, row.searchable_sha256, kind, 1) for kind in ("page", "thumb")]
    stray = page_view_key(row.id, "c" * 64, "page", 1)
    for key in (*mine, stray):
        store.put(key, b"\xff\xd8 jpeg")
    report = verify(index, store, None)
    assert [(f.key, f.problem) for f in report.findings] == [(stray, "unreferenced")]


def test_an_unknown_id_is_not_found(index, store):
    with pytest.raises(DocumentNotFound):
        verify(index, store, ["0" * 32])
