"""Page images and word boxes for the console: made once per stored PDF, then read back.

A page's image is the scanned page's own JPEG taken out of the searchable PDF (never re-encoded);
a page without one is rendered once; thumbnails are made once. Both are stored beside the
document (`layout.page_view_key`) and served from there with the PDF's hash as their ETag."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from pipeline.core.runtime import Runtime
from pipeline.errors import DocumentNotFound
from pipeline.stages.views import page_jpeg, thumbnail
from pipeline.stores.index import DocumentRow
from pipeline.stores.layout import page_view_key
from pipeline.stores.objects import ObjectNotFound

log = logging.getLogger(__name__)

KINDS = ("page", "thumb")


@dataclass(frozen=True)
class PageView:
    jpeg: bytes
    etag: str


@dataclass(frozen=True)
class PageLayout:
    """A page's size in points and the words on it (boxes from the top-left, in points)."""

    page: int
    width: float
    height: float
    words: list[dict]


def view_etag(row: DocumentRow, kind: str, page: int) -> str:
    return f'"{row.searchable_sha256[:20]}-{kind}-{page}"'


def page_view(rt: Runtime, row: DocumentRow, page: int, kind: str = "page") -> PageView:
    """The stored image of page ``page`` (from 1), made and stored the first time it is asked for."""
    if kind not in KINDS or not 1 <= page <= row.pages:
        raise DocumentNotFound(f"document {row.id} has no {kind} {page}")
    key = page_view_key(row.id, row.searchable_sha256, kind, page)
    try:
        return PageView(rt.store.get(key), view_etag(row, kind, page))
    except ObjectNotFound:
        pass
    full_key = page_view_key(row.id, row.searchable_sha256, "page", page)
    try:
        full = rt.store.get(full_key)
    except ObjectNotFound:
        made = page_jpeg(rt.store.get(row.searchable_key), page)
        full = made.jpeg
        rt.store.put(full_key, full, {"document-id": row.id, "variant": "page-view"})
        log.info("page view %s p%d made (%s)", row.id[:12], page, "rendered" if made.reencoded else "own image")
    if kind == "page":
        return PageView(full, view_etag(row, kind, page))
    small = thumbnail(full)
    rt.store.put(key, small, {"document-id": row.id, "variant": "page-thumb"})
    return PageView(small, view_etag(row, kind, page))


def page_layouts(rt: Runtime, row: DocumentRow) -> list[PageLayout]:
    """Each page's size and words, from the stored OCR record."""
    try:
        record = json.loads(rt.store.get(row.ocr_key))
    except (ObjectNotFound, ValueError):
        return []
    return [PageLayout(p["page"], p["width"], p["height"], p.get("words", [])) for p in record.get("pages", [])]
