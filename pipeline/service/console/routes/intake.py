"""Counter intake: the checklist of a procedure for a citizen (on file, received, missing), the
dossier page, uploads of new papers with live progress (server-sent events)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from pipeline.core.people import Person
from pipeline.core.reuse import (
    MISSING,
    REUSED,
    UNOPENED,
    DossierNotFound,
    UnknownProcedure,
    check_procedure,
    dossier_of_documents,
    get_dossier,
    open_dossier,
)
from pipeline.service.console.web import Rendered, Services, audit_view, require
from pipeline.stores.index.uploads import FINISHED

intake_routes = APIRouter()
clerk = require("intake")
dossier_reader = require("dossiers")

MAX_FILES = 200
MAX_FILE_BYTES = 200 * 1024 * 1024
EVENTS_SECONDS = 600


@dataclass(frozen=True)
class ChecklistLine:
    doc_type: str
    title: str
    required: bool
    state: str  # on_file | received | missing
    document_id: str | None = None
    valid_until: object = None


def _title(s, doc_type: str) -> str:
    spec = s.catalog.document_types.get(doc_type)
    return spec.title if spec else doc_type


@intake_routes.get("/intake")
def intake(request: Request, p: Rendered, s: Services, person: Annotated[Person, Depends(clerk)],
           code: Annotated[str, Query(max_length=128)] = "", owner: Annotated[str, Query(max_length=32)] = "",
           procedure: Annotated[str, Query(max_length=16)] = ""):
    if code.strip():
        try:
            get_dossier(s.index, code.strip())
        except DossierNotFound:
            return p.render("intake.html", status=404, catalog=s.catalog, error=("intake.no_dossier", {"code": code}),
                            chosen={"owner": owner, "procedure": procedure, "code": code}, lines=None)
        return RedirectResponse(str(request.url_for("dossier_page", code=code.strip())), status_code=303)
    lines, error = None, None
    if owner or procedure:
        if not re.fullmatch(r"\d{12}", owner):
            error = ("intake.bad_owner", {})
        else:
            try:
                check = check_procedure(s.index, s.catalog, procedure, owner)
            except UnknownProcedure:
                error = ("intake.unknown_procedure", {})
            else:
                audit_view(s, person, "console_checklist", procedure, owner, "tiếp nhận hồ sơ")
                lines = [ChecklistLine(c.doc_type, _title(s, c.doc_type), c.required,
                                       "on_file" if c.document else "missing",
                                       c.document.id if c.document else None,
                                       c.document.valid_until if c.document else None) for c in check.components]
    return p.render("intake.html", status=422 if error else 200, catalog=s.catalog, error=error, lines=lines,
                    chosen={"owner": owner, "procedure": procedure, "code": ""})


@intake_routes.post("/intake")
async def intake_open(request: Request, s: Services, p: Rendered, person: Annotated[Person, Depends(clerk)]):
    form = await request.form()
    owner, procedure = str(form.get("owner") or ""), str(form.get("procedure") or "")
    if not re.fullmatch(r"\d{12}", owner) or procedure not in s.catalog.procedures:
        return p.render("intake.html", status=422, catalog=s.catalog, lines=None,
                        error=("intake.bad_owner" if procedure in s.catalog.procedures else "intake.unknown_procedure", {}),
                        chosen={"owner": owner, "procedure": procedure, "code": ""})
    dossier = await run_in_threadpool(
        lambda: open_dossier(s.index, s.catalog, procedure_code=procedure, owner_id=owner,
                             created_by=f"console:{person.username}", agency_code=s.settings.agency_code))
    return RedirectResponse(str(request.url_for("dossier_page", code=dossier.code)), status_code=303)


def dossier_lines(s, code: str):
    """The dossier, its checklist and its papers; a code only documents name (ingested with
    ``--dossier``) is shown from them."""
    try:
        dossier = get_dossier(s.index, code)
        papers = s.index.list(dossier_code=code)
    except DossierNotFound:
        dossier, papers = dossier_of_documents(s.index, s.catalog, code)
    rows = {r.id: r for r in papers}
    lines = []
    for c in dossier.components:
        state = "missing" if c.source == MISSING else "on_file" if c.source == REUSED else "received"
        if c.source != MISSING and not c.document_id:
            state = "missing"  # an upload still being read
        valid = rows[c.document_id].valid_until if c.document_id in rows else None
        lines.append(ChecklistLine(c.doc_type, _title(s, c.doc_type), c.required, state, c.document_id, valid))
    return dossier, lines, list(rows.values())


@intake_routes.get("/dossiers/{code}")
def dossier_page(code: str, p: Rendered, s: Services, person: Annotated[Person, Depends(dossier_reader)]):
    dossier, lines, papers = dossier_lines(s, code)
    audit_view(s, person, "console_dossier", code, dossier.owner_id, "xem hồ sơ")
    return p.render("dossier.html", dossier=dossier, lines=lines, papers=papers, catalog=s.catalog,
                    procedure=s.catalog.procedures.get(dossier.procedure_code), opened=dossier.status != UNOPENED)


@intake_routes.get("/dossiers/{code}/checklist")
def dossier_checklist(code: str, p: Rendered, s: Services, person: Annotated[Person, Depends(dossier_reader)]):
    dossier, lines, papers = dossier_lines(s, code)
    return p.render("dossier_checklist.html", dossier=dossier, lines=lines, papers=papers, catalog=s.catalog)


@intake_routes.post("/dossiers/{code}/files")
async def dossier_files(code: str, request: Request, s: Services, person: Annotated[Person, Depends(clerk)]):
    dossier = await run_in_threadpool(get_dossier, s.index, code)
    form = await request.form(max_files=MAX_FILES)
    uploads = [f for name, f in form.multi_items() if name == "files" and not isinstance(f, str)]
    jobs = []
    for upload in uploads:
        data = await upload.read(MAX_FILE_BYTES + 1)
        if not data or len(data) > MAX_FILE_BYTES:
            continue
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
        job = await run_in_threadpool(s.uploads.accept, f"console:{person.username}", name, data)
        await run_in_threadpool(lambda j=job: s.uploads.start(j, dossier_code=dossier.code, owner_id=dossier.owner_id,
                                                              procedure_code=dossier.procedure_code))
        jobs.append({"id": job.id, "filename": job.filename, "status": job.status})
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"jobs": jobs})
    return RedirectResponse(str(request.url_for("dossier_page", code=dossier.code)), status_code=303)


@intake_routes.get("/dossiers/{code}/events")
async def dossier_events(code: str, request: Request, s: Services, p: Rendered,
                         person: Annotated[Person, Depends(clerk)],
                         jobs: Annotated[str, Query(max_length=40 * MAX_FILES)] = ""):
    """Server-sent events: one ``job`` event each time an upload's state changes (its text in
    the console's language), ``checklist`` when a paper was stored, ``done`` at the end."""
    ids = [j for j in jobs.split(",") if re.fullmatch(r"[0-9a-f]{32}", j)][:MAX_FILES]

    async def stream():
        seen: dict[str, str] = {}
        deadline = time.monotonic() + EVENTS_SECONDS
        while time.monotonic() < deadline and not await request.is_disconnected():
            states = await run_in_threadpool(lambda: [s.uploads.job(j) for j in ids])
            stored = False
            for job in states:
                if seen.get(job.id) != job.status:
                    seen[job.id] = job.status
                    stored |= job.status in ("stored", "duplicate")
                    text = p.t(f"job.{job.status}", error=job.error or job.error_code or "") \
                        if job.status == "failed" else p.t(f"job.{job.status}")
                    yield _event("job", {"id": job.id, "filename": job.filename, "status": job.status, "text": text})
            if stored:
                yield _event("checklist", {})
            if all(job.status in FINISHED for job in states):
                yield _event("done", {})
                return
            await asyncio.sleep(0.4)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
