"""The review queue and the review page: page images beside the type and every field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

import re

from pipeline.core.people import Person
from pipeline.core.regroup import RegroupRefused, check_editable
from pipeline.core.review import DATE_FIELDS, QUEUE_REASONS, ReviewError, review_document
from pipeline.core.review import review_queue as waiting_documents
from pipeline.core.views import page_layouts
from pipeline.errors import DocumentNotFound
from pipeline.stores.index import NEEDS_REVIEW, DocumentRow
from pipeline.service.console.web import Rendered, Services, audit_view, require, shown_day

review_routes = APIRouter()
reviewer = require("review")

LOW_CONFIDENCE = 0.7
QUEUE_LIMIT = 100  # a page a person works through; the oldest first
_FORM_CONTROLS = {"csrf", "decision", "doc_type", "reason"}


@review_routes.get("/review")
def review_queue(p: Rendered, s: Services, person: Annotated[Person, Depends(reviewer)],
                 dossier: Annotated[str | None, Query(max_length=128)] = None,
                 doc_type: Annotated[str | None, Query(alias="type", max_length=64)] = None,
                 reason: Annotated[str | None, Query(max_length=16)] = None,
                 done: str | None = None, of: str | None = None):
    rows = waiting_documents(s.index, limit=QUEUE_LIMIT, dossier_code=dossier or None, doc_type=doc_type or None,
                        reason=reason if reason in QUEUE_REASONS else None)
    return p.render("review_queue.html", rows=rows, waiting=s.index.waiting_count(), catalog=s.catalog, reasons=tuple(QUEUE_REASONS), flash=_flash(p, s, done, of),
                    chosen={"dossier": dossier or "", "type": doc_type or "", "reason": reason or ""})


@dataclass(frozen=True)
class FieldView:
    name: str
    value: str
    required: bool
    low: bool
    is_date: bool
    page: int | None
    bbox: tuple | None


def field_views(s, row: DocumentRow, doc_type: str | None) -> list[FieldView]:
    """The fields a reviewer may fill for this type (and any the document already has), in the
    catalog's order, dates shown dd/mm/yyyy."""
    spec = s.catalog.document_types.get(doc_type or "")
    names = list(spec.field_names if spec else ()) + [n for n in row.fields if not spec or n not in spec.field_names]
    required = set(spec.required_fields if spec else ())
    views = []
    for name in names:
        entry = row.fields.get(name) or {}
        value = str(entry.get("value") or "")
        views.append(FieldView(
            name, shown_day(value) if name in DATE_FIELDS and value else value, name in required,
            bool(value) and float(entry.get("confidence") or 0) < LOW_CONFIDENCE, name in DATE_FIELDS,
            entry.get("page"), tuple(entry["bbox"]) if entry.get("bbox") else None))
    return views


@review_routes.get("/review/{document_id}")
def review_page(document_id: str, p: Rendered, s: Services, person: Annotated[Person, Depends(reviewer)],
                done: str | None = None, of: str | None = None):
    row = s.index.get(document_id)
    audit_view(s, person, "console_review", row.id, row.owner_id, "kiểm tra tài liệu")
    return _render(p, s, row, done=done, of=of)


def _render(p, s, row: DocumentRow, *, status: int = 200, error: str | None = None, doc_type: str | None = None,
            typed: dict | None = None, done: str | None = None, of: str | None = None):
    previous, following = s.index.review_neighbours(row.id)
    fields = field_views(s, row, doc_type or row.doc_type)
    if typed:
        fields = [FieldView(f.name, typed.get(f.name, f.value), f.required, f.low, f.is_date, f.page, f.bbox)
                  for f in fields]
    return p.render("review.html", status=status, row=row, fields=fields, layouts=page_layouts(s.runtime, row),
                    catalog=s.catalog, chosen_type=doc_type or row.doc_type, error=error, flash=_flash(p, s, done, of),
                    previous=previous, following=following, waiting=row.status == NEEDS_REVIEW,
                    suggested_split=suggested_split(row), **_merge_choices(s, row))


def _merge_choices(s, row: DocumentRow) -> dict:
    """Whether the document may be merged (not signed, not replaced already) and, if so, its
    neighbours in the scanner stream to offer."""
    try:
        check_editable(s.index, row)
    except RegroupRefused:
        return {"mergeable": False, "stream": (None, None)}
    return {"mergeable": True, "stream": s.index.stream_neighbours(row)}


_BOUNDARY = re.compile(r"possible document boundary after page (\d+)")


def suggested_split(row: DocumentRow) -> int | None:
    """The page after which separation doubted a boundary (its review note says so), to preselect
    in the split form; None when it did not."""
    found = _BOUNDARY.search(row.review_note or "")
    return int(found.group(1)) if found and 1 <= int(found.group(1)) < row.pages else None


_DONE = {"accept": "review.accepted", "save": "review.saved", "reject": "review.rejected", "split": "review.split_done",
         "merge": "review.merge_done"}


def _flash(p, s, done: str | None, of: str | None) -> str | None:
    """What the last decision did, on the page the reviewer was sent to next."""
    if done not in _DONE or not of:
        return None
    try:
        return p.t(_DONE[done], file=s.index.get(of).filename)
    except DocumentNotFound:
        return None


@review_routes.get("/review/{document_id}/fields")
def review_fields(document_id: str, p: Rendered, s: Services, person: Annotated[Person, Depends(reviewer)],
                  doc_type: Annotated[str | None, Query(max_length=64)] = None):
    """The field inputs for another type (htmx swaps them in when the type select changes)."""
    row = s.index.get(document_id)
    chosen = doc_type if doc_type in s.catalog.document_types else row.doc_type
    return p.render("review_fields.html", row=row, fields=field_views(s, row, chosen))


@review_routes.post("/review/{document_id}")
async def review_decide(document_id: str, request: Request, p: Rendered, s: Services,
                        person: Annotated[Person, Depends(reviewer)]):
    form = await request.form()
    row = s.index.get(document_id)
    decision = _one(form, "decision")
    doc_type = _one(form, "doc_type") or None
    typed = {k: v for k, v in form.multi_items() if k not in _FORM_CONTROLS and isinstance(v, str)}
    changed_type = doc_type if doc_type and doc_type != row.doc_type else None
    shown = {f.name: f.value for f in field_views(s, row, doc_type or row.doc_type)}
    unknown = sorted(set(typed) - set(shown))
    try:
        if unknown:
            raise ReviewError(f"unknown field(s): {', '.join(name[:40] for name in unknown[:5])}")
        changed = {k: v for k, v in typed.items() if v.strip() != shown.get(k, "")}
        review_document(s.index, row.id, decision=decision, doc_type=changed_type, field_values=changed,
                        corrected_by=person.username, reason=_one(form, "reason"), catalog=s.catalog)
    except ReviewError as exc:
        return _render(p, s, row, status=422, error=str(exc), doc_type=doc_type, typed=typed)
    _, following = s.index.review_neighbours(row.id)
    root = request.scope.get("root_path", "")
    target = f"{root}/review/{following}" if following and following != row.id else f"{root}/review"
    return RedirectResponse(f"{target}?done={decision}&of={row.id}", status_code=303)


def _one(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@review_routes.post("/review/{document_id}/split")
async def review_split(document_id: str, request: Request, p: Rendered, s: Services,
                       person: Annotated[Person, Depends(reviewer)]):
    """Two documents of one, cut after the page the reviewer chose (separation's doubted boundary
    preselected); the first of them opens next. A signed or already replaced document is refused."""
    form = await request.form()
    row = s.index.get(document_id)
    after = _one(form, "after_page")
    try:
        if not after.isdigit():
            raise RegroupRefused("choose the page after which the document is split")
        done = s.runtime.split_document(row.id, int(after), by=f"console:{person.username}")
    except RegroupRefused as exc:
        return _render(p, s, row, status=422, error=str(exc))
    first = done.documents[0].id
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/review/{first}?done=split&of={first}", status_code=303)


@review_routes.post("/review/{document_id}/merge")
async def review_merge(document_id: str, request: Request, p: Rendered, s: Services,
                       person: Annotated[Person, Depends(reviewer)]):
    """One document of this one and another: its neighbour in the scanner stream (placed before
    or after it, as in the stream), or a document named by its id (placed after it). The merged
    document opens next; a signed or already replaced document is refused."""
    form = await request.form()
    row = s.index.get(document_id)
    typed, chosen = _one(form, "other_document").strip(), _one(form, "merge_with")
    try:
        if typed:
            try:
                order = [row.id, s.index.get(typed).id]
            except DocumentNotFound:  # never echoed: a clerk may have typed a citizen's ID number
                raise RegroupRefused(p.t("review.merge_unknown")) from None
        else:
            place, _, other = chosen.partition(":")
            neighbours = {n.id: n for n in s.index.stream_neighbours(row) if n is not None}
            if place not in ("before", "after") or other not in neighbours:
                raise RegroupRefused(p.t("review.merge_choose"))
            order = [other, row.id] if place == "before" else [row.id, other]
        done = s.runtime.merge_documents(order, by=f"console:{person.username}")
    except RegroupRefused as exc:
        return _render(p, s, row, status=422, error=exc.message)
    merged = done.documents[0].id
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/review/{merged}?done=merge&of={merged}", status_code=303)
