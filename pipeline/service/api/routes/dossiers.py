"""Opening dossiers (reused papers by reference, new papers uploaded) and reading them."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from pydantic import ValidationError

from pipeline.core.reuse import get_dossier, open_dossier, procedure_or_error
from pipeline.core.access import ApiClient
from pipeline.service.api.dependencies import (
    MAX_UPLOAD_BYTES,
    Purpose,
    Services,
    audit,
    read,
    refuse_repeated_parts,
    stated_purpose,
    write,
)
from pipeline.service.api.problems import ApiProblem, too_deep
from pipeline.service.api.shapes import dossier_out
from schemas.api import DossierOut, DossierRequest, Problem

dossier_routes = APIRouter()


@dossier_routes.post("/v1/dossiers", status_code=201, response_model=DossierOut, tags=["dossiers"],
                     responses={404: {"model": Problem}, 409: {"model": Problem}},
                     openapi_extra={"requestBody": {"required": True, "content": {
                         "application/json": {"schema": DossierRequest.model_json_schema()},
                         "multipart/form-data": {"schema": {
                             "type": "object", "required": ["metadata"],
                             "properties": {"metadata": {"type": "string", "description": "DossierRequest as JSON"}},
                             "additionalProperties": {"type": "string", "format": "binary",
                                                      "description": "A new paper; the part's name is its component type"},
                         }},
                     }}})
async def create_dossier(request: Request, client: Annotated[ApiClient, Depends(write)], s: Services) -> DossierOut:
    body, files = await _dossier_request(request)
    procedure = procedure_or_error(s.catalog, body.procedure_code)
    unknown = sorted(set(files) - {c.doc_type for c in procedure.components})
    if unknown:
        raise ApiProblem(409, "dossier_conflict", "Conflict",
                         f"procedure {procedure.code} has no component {', '.join(unknown)}")
    contents: dict[str, tuple[str, bytes]] = {}
    for doc_type, upload in files.items():
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if not data or len(data) > MAX_UPLOAD_BYTES:
            raise ApiProblem(422, "bad_upload", "Bad upload", f"the {doc_type} part is empty or too large")
        contents[doc_type] = (upload.filename or doc_type, data)
    # Uploads are accepted first so the dossier can name their jobs, and started only once
    # the dossier exists, so that a finished job always finds its component.
    jobs = {t: s.uploads.accept(client.name, name, data) for t, (name, data) in contents.items()}
    try:
        dossier = open_dossier(
            s.index, s.catalog, procedure_code=procedure.code, owner_id=body.owner_id,
            created_by=client.name, agency_code=s.settings.agency_code, code=body.code,
            attach=body.documents, uploads={t: job.id for t, job in jobs.items()}, reuse=body.reuse,
        )
    except BaseException as exc:
        for job in jobs.values():
            s.uploads.discard(job, f"the dossier was not opened: {exc}")
        raise
    for job in jobs.values():
        s.uploads.start(job, dossier_code=dossier.code, owner_id=dossier.owner_id,
                        procedure_code=dossier.procedure_code)
    return dossier_out(dossier)


@dossier_routes.get("/v1/dossiers/{code}", response_model=DossierOut, tags=["dossiers"],
                    responses={404: {"model": Problem}})
def read_dossier(code: str, client: Annotated[ApiClient, Depends(read)], s: Services,
                 purpose: Purpose = None) -> DossierOut:
    why = stated_purpose(purpose)
    dossier = get_dossier(s.index, code)
    audit(s, client, "read_dossier", code, why, dossier.owner_id)
    return dossier_out(dossier)


async def _dossier_request(request: Request) -> tuple[DossierRequest, dict[str, UploadFile]]:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            raw = form.get("metadata")
            if not isinstance(raw, str):
                raise ApiProblem(422, "invalid_request", "Invalid request", "a `metadata` part with JSON is required")
            refuse_repeated_parts(form)
            body = DossierRequest.model_validate_json(raw)
            files = {name: value for name, value in form.multi_items()
                     if name != "metadata" and not isinstance(value, str)}
            return body, files
        return DossierRequest.model_validate(await request.json()), {}
    except RecursionError as exc:
        raise too_deep() from exc
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ApiProblem(422, "invalid_request", "Invalid request", detail) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiProblem(422, "invalid_request", "Invalid request", "the body is not JSON") from exc
