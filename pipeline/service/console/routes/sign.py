"""The officials' sign queue (issue 16): results waiting for a signature with a preview of where
the stamp goes, batches signed with one PIN entry and followed live, a dossier's scanned papers
certified as e-copies by the digitiser, and signing with one's own USB token through the signing
bridge on the official's PC (the page's script calls the bridge and the two JSON routes here,
which are the external-signature API of the same core)."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from pipeline.core.access import mask_personal_ids
from pipeline.core.external_signing import complete_signature, prepare_signature
from pipeline.core.people import Person
from pipeline.core.results import dossier_papers_to_certify, mark_result, waiting_results
from pipeline.core.sign_queue import ProfileError, options_for, profile_of, save_profile
from pipeline.core.views import page_layouts
from pipeline.errors import SohoaError
from pipeline.stages import stamp
from pipeline.stages.sign import KINDS
from pipeline.service.console.i18n import translate, why_text
from pipeline.service.console.web import ConsoleRefusal, Rendered, Services, audit_view, language_of, require

log = logging.getLogger(__name__)

sign_routes = APIRouter()
official = require("sign")
marker = require("documents")

MAX_BATCH = 200
MAX_IMAGE_BYTES = 1_000_000
A4 = (595.0, 842.0)


@dataclass(frozen=True)
class Preview:
    """Where the stamp goes on the previewed page, in the page's own units (origin top left)."""

    document_id: str
    page: int
    width: float
    height: float
    box: tuple[float, float, float, float]  # x, y, width, height


def stamp_preview(s, row, kind: str, *, pictured: bool) -> Preview:
    page = row.pages if kind == "official" else 1
    layouts = {layout.page: layout for layout in page_layouts(s.runtime, row)}
    width, height = (layouts[page].width, layouts[page].height) if page in layouts else A4
    scale = width / A4[0]  # the boxes are laid out in PDF points of an A4 page
    points = (A4[0], height / scale)
    box_of = {"official": stamp.official_image_box if pictured else stamp.official_box,
              "digitiser": stamp.digitiser_box, "agency": stamp.agency_box}[kind]
    x1, y1, x2, y2 = box_of(*points)
    return Preview(row.id, page, width, height,
                   (x1 * scale, (points[1] - y2) * scale, (x2 - x1) * scale, (y2 - y1) * scale))


def _profile(s, person: Person):
    return profile_of(s.index, person.username, full_name=person.full_name, office=person.office)


@sign_routes.get("/sign")
def sign_queue(p: Rendered, s: Services, person: Annotated[Person, Depends(official)],
               dossier: Annotated[str, Query(max_length=128)] = "", error: str = "",
               kind: Annotated[str, Query(pattern="^(official|agency)$")] = "official"):
    profile = _profile(s, person)
    pictured = bool(profile.signature_image)
    waiting = [w for w in waiting_results(s.index, office=person.office or None) if w.kind == kind]
    papers = dossier_papers_to_certify(s.index, dossier.strip()) if dossier.strip() else []
    audit_view(s, person, "console_sign_queue", f"results={len(waiting)}", None, "ký số kết quả")
    return p.render(
        "sign.html", waiting=[(w, stamp_preview(s, w.document, w.kind, pictured=pictured)) for w in waiting],
        papers=[(row, stamp_preview(s, row, "digitiser", pictured=False)) for row in papers], dossier=dossier,
        profile=profile, bridge=s.settings.token_bridge_url, catalog=s.catalog, kind=kind,
        error=error if error in ("nothing", "kind") else "")


@sign_routes.post("/sign/batch")
async def sign_batch(request: Request, s: Services, person: Annotated[Person, Depends(official)]):
    form = await request.form()
    root = request.scope.get("root_path", "")
    ids = list(dict.fromkeys(v for v in form.getlist("document") if isinstance(v, str)))[:MAX_BATCH]
    kind = form.get("kind")
    if kind not in KINDS:
        return RedirectResponse(f"{root}/sign?error=kind", status_code=303)
    if not ids:
        return RedirectResponse(f"{root}/sign?error=nothing", status_code=303)
    pin = form.get("pin")
    profile = await run_in_threadpool(_profile, s, person)
    try:
        batch_id = s.sign_batches.start(s.runtime, person.username, profile, kind, ids,
                                        pin if isinstance(pin, str) else "")
    except SohoaError as exc:
        log.info("%s: sign batch refused: %s", person.username, exc.code)
        raise ConsoleRefusal(422, "sign.no_key") from exc
    return RedirectResponse(f"{root}/sign/batches/{batch_id}", status_code=303)


def _batch(s, person: Person, batch_id: str):
    batch = s.sign_batches.progress(batch_id, person.username)
    if batch is None:
        raise ConsoleRefusal(404, "error.not_found")
    return batch


@sign_routes.get("/sign/batches/{batch_id}")
def sign_batch_page(batch_id: str, p: Rendered, s: Services, person: Annotated[Person, Depends(official)]):
    return p.render("sign_batch.html", batch=_batch(s, person, batch_id))


@sign_routes.get("/sign/batches/{batch_id}/progress")
def sign_batch_progress(batch_id: str, p: Rendered, s: Services, person: Annotated[Person, Depends(official)]):
    return p.render("sign_progress.html", batch=_batch(s, person, batch_id))


@sign_routes.post("/sign/results")
async def mark_as_result(request: Request, s: Services, person: Annotated[Person, Depends(marker)]):
    form = await request.form()
    document_id = form.get("document_id")
    if not isinstance(document_id, str) or not document_id:
        raise ConsoleRefusal(422, "error.not_found")
    marked = await run_in_threadpool(mark_result, s.index, s.catalog, document_id,
                                     by=f"console:{person.username}", office=person.office)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/documents/{marked.document_id}?marked=1", status_code=303)


# --- the token: the page's script calls the bridge, then these -------------------------------------


async def _json(request: Request) -> dict:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ConsoleRefusal(422, "error.not_found")
    return body


def _refused(request: Request, exc: SohoaError) -> JSONResponse:
    """A refusal for the page's script: the stable code and why, and the reason in the page's
    language (the script shows `message`; the English one stays in the log)."""
    log.info("token signature refused: %s: %s", exc.why, mask_personal_ids(exc.message))
    return JSONResponse({"code": exc.code, "why": exc.why, "message": why_text(language_of(request), exc.why)},
                        status_code=404 if exc.code.endswith("not_found") else 422)


@sign_routes.post("/sign/external/prepare")
async def token_prepare(request: Request, s: Services, person: Annotated[Person, Depends(official)]):
    body = await _json(request)
    kind, chain = body.get("kind"), body.get("certificate_chain")
    if kind not in KINDS or not isinstance(chain, list) or not all(isinstance(c, str) for c in chain):
        return JSONResponse({"code": "invalid_request", "why": "invalid_request",
                             "message": why_text(language_of(request), "invalid_request")}, 422)
    profile = await run_in_threadpool(_profile, s, person)
    try:
        prepared = await run_in_threadpool(
            prepare_signature, s.index, s.store, s.settings, str(body.get("document_id", "")),
            options_for(profile, kind, qr=True), chain[:10], by=f"console:{person.username}")
    except SohoaError as exc:
        return _refused(request, exc)
    return JSONResponse(prepared.as_json(), status_code=201)


@sign_routes.post("/sign/external/complete")
async def token_complete(request: Request, s: Services, person: Annotated[Person, Depends(official)]):
    body = await _json(request)
    try:
        done = await run_in_threadpool(complete_signature, s.index, s.store, s.settings,
                                       str(body.get("signing_id", "")), str(body.get("signature", "")),
                                       by=f"console:{person.username}")
    except SohoaError as exc:
        return _refused(request, exc)
    language = language_of(request)
    message = translate(language, "sign.batch.signed", version=done.version)
    if done.status in ("indeterminate", "invalid"):
        message += " — " + translate(language, f"sign.token.status.{done.status}")
    return JSONResponse({"document_id": done.document_id, "version": done.version, "status": done.status,
                         "message": message}, status_code=201)


# --- the official's own profile -----------------------------------------------------------------


@sign_routes.get("/sign/profile")
def profile_page(p: Rendered, s: Services, person: Annotated[Person, Depends(official)], error: str = ""):
    return p.render("sign_profile.html", profile=_profile(s, person), error=error[:300])


@sign_routes.get("/sign/profile/stamp.png")
def profile_stamp(s: Services, person: Annotated[Person, Depends(official)]):
    """The signature image with the seal over its left third, as the stamp will show it."""
    profile = _profile(s, person)
    if not profile.signature_image:
        raise ConsoleRefusal(404, "error.not_found")
    out = io.BytesIO()
    stamp.signature_with_seal(profile.signature_image, profile.seal_image).save(out, "PNG")
    return Response(out.getvalue(), media_type="image/png", headers={"Cache-Control": "private, no-cache"})


@sign_routes.post("/sign/profile")
async def profile_save(request: Request, s: Services, person: Annotated[Person, Depends(official)]):
    form = await request.form()
    root = request.scope.get("root_path", "")

    async def upload(name: str) -> bytes | None:
        value = form.get(name)
        if isinstance(value, StarletteUpload):
            data = await value.read(MAX_IMAGE_BYTES + 1)
            return data or None
        return None

    texts = {name: (form.get(name) if isinstance(form.get(name), str) else "").strip()[:300]
             for name in ("full_name", "position", "office")}
    signature, seal = await upload("signature_image"), await upload("seal_image")
    if any(len(image or b"") > MAX_IMAGE_BYTES for image in (signature, seal)):
        return RedirectResponse(f"{root}/sign/profile?error=too_large", status_code=303)
    try:
        await run_in_threadpool(lambda: save_profile(s.index, person.username, signature_image=signature,
                                                     seal_image=seal, **texts))
    except ProfileError as exc:
        log.info("%s: profile refused: %s", person.username, exc.code)
        return RedirectResponse(f"{root}/sign/profile?error=image", status_code=303)
    return RedirectResponse(f"{root}/sign/profile?saved=1", status_code=303)
