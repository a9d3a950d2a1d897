"""A document's page, its page images and downloads, and search."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from pipeline.core.people import Person
from pipeline.core.review import ReviewError, parse_review_date
from pipeline.core.views import page_layouts, page_view, view_etag
from pipeline.errors import DocumentNotFound
from pipeline.service.console.web import ConsoleRefusal, Rendered, Services, audit_view, person_of, require

document_routes = APIRouter()
reader = require("documents")
searcher = require("search")
SEARCH_HITS = 20  # as the API answers; each more hit is a row read and a snippet cut

#: Who may download which variant: the searchable PDF for everyone who sees documents, the
#: exact original for the counter and the admins.
DOWNLOADS = {"searchable": frozenset({"clerk", "reviewer", "official", "admin"}),
             "original": frozenset({"clerk", "admin"})}


def _viewer(request: Request) -> Person:
    """Page images are seen from the review page and the document page: either right will do."""
    person = person_of(request)
    if person is None:
        raise ConsoleRefusal(303, "login.required", login=True)
    if not (person.may("documents") or person.may("review")):
        raise ConsoleRefusal(403, "error.forbidden")
    return person


@document_routes.get("/documents/{document_id}")
def document_page(document_id: str, p: Rendered, s: Services, person: Annotated[Person, Depends(reader)]):
    row = s.index.get(document_id)
    audit_view(s, person, "console_document", row.id, row.owner_id, "xem tài liệu")
    return p.render(
        "document.html", row=row, catalog=s.catalog, layouts=page_layouts(s.runtime, row),
        versions=s.index.versions(row.id), signatures=s.index.signatures(row.id),
        corrections=s.index.corrections(row.id), trail=s.access.audit_entries(target=row.id, limit=50),
        downloads=[v for v, roles in DOWNLOADS.items() if person.role in roles])


@document_routes.get("/documents/{document_id}/pages/{page}")
async def page_image(document_id: str, page: int, request: Request, s: Services,
                     person: Annotated[Person, Depends(_viewer)],
                     size: Annotated[str, Query(pattern="^(page|thumb)$")] = "page") -> Response:
    row = await run_in_threadpool(s.index.get, document_id)
    etag = view_etag(row, size, page)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    view = await run_in_threadpool(page_view, s.runtime, row, page, size)
    if size == "page":
        await run_in_threadpool(audit_view, s, person, "console_page_image", f"{row.id}/p{page}", row.owner_id,
                                "xem trang tài liệu")
    return Response(view.jpeg, media_type="image/jpeg", headers=headers)


@document_routes.get("/documents/{document_id}/download/{variant}")
def download(document_id: str, variant: str, s: Services, person: Annotated[Person, Depends(reader)]) -> Response:
    if variant not in DOWNLOADS:
        raise DocumentNotFound(f"no variant {variant}")
    if person.role not in DOWNLOADS[variant]:
        raise ConsoleRefusal(403, "error.forbidden")
    row = s.index.get(document_id)
    found = s.index.latest_object(row.id, variant)
    key = found.key if found else (row.searchable_key if variant == "searchable" else row.original_key)
    audit_view(s, person, f"console_download:{variant}", f"{row.id}/v{found.version if found else row.version}",
               row.owner_id, "tải tài liệu")
    media = "application/pdf" if variant == "searchable" else row.media_type
    suffix = ".pdf" if variant == "searchable" else ""
    return Response(s.store.get(key), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{row.id[:12]}-{variant}{suffix}"', "Cache-Control": "no-store"})


_MARKED = re.compile(r"\[([^\[\]]{1,200})\]")


def highlighted(snippet: str) -> Markup:
    """The index's snippet (matches in [brackets]) as HTML with <mark>, everything else escaped."""
    return Markup(_MARKED.sub(lambda m: f"<mark>{m.group(1)}</mark>", str(escape(snippet))))


@document_routes.get("/search")
def search_page(p: Rendered, s: Services, person: Annotated[Person, Depends(searcher)],
           q: Annotated[str, Query(max_length=500)] = "",
           doc_type: Annotated[str, Query(alias="type", max_length=64)] = "",
           owner: Annotated[str, Query(max_length=32)] = "",
           dossier: Annotated[str, Query(max_length=128)] = "",
           date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
           date_to: Annotated[str, Query(alias="to", max_length=20)] = ""):
    chosen = {"q": q, "type": doc_type, "owner": owner, "dossier": dossier, "from": date_from, "to": date_to}
    error, hits = None, None
    if owner and not re.fullmatch(r"\d{12}", owner):
        error = "search.bad_owner"
    bounds: list[date | None] = []
    for value in (date_from, date_to):
        try:
            bounds.append(date.fromisoformat(parse_review_date("date", value)) if value.strip() else None)
        except ReviewError:
            error, bounds = "search.bad_date", [None, None]
            break
    if q.strip() and error is None:
        hits = s.index.search(q, doc_type=doc_type or None, owner_id=owner or None, dossier_code=dossier or None,
                              date_from=bounds[0], date_to=bounds[1], limit=SEARCH_HITS)
        audit_view(s, person, "console_search", f"q={q[:100]}", owner or None, "tìm kiếm tài liệu")
    return p.render("search.html", hits=hits, chosen=chosen, error=error, catalog=s.catalog, mark=highlighted)
