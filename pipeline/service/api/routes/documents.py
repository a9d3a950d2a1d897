"""Uploading documents, following their jobs, reading their records and downloading their content."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from pipeline.errors import DocumentNotFound
from pipeline.core.access import ApiClient
from pipeline.service.api.dependencies import (
    MAX_UPLOAD_BYTES,
    Purpose,
    Services,
    audit,
    check_type,
    read,
    stated_purpose,
    write,
)
from pipeline.service.api.problems import ApiProblem
from pipeline.service.api.shapes import document_out, job_out
from schemas.api import OWNER_ID_PATTERN, DocumentOut, JobOut, Problem

VARIANT_MEDIA_TYPES = {"searchable": "application/pdf", "signed": "application/pdf"}

document_routes = APIRouter()


@document_routes.post("/v1/documents", status_code=202, response_model=JobOut, tags=["documents"],
                      responses={413: {"model": Problem}, 422: {"model": Problem}})
async def upload_document(
    file: Annotated[UploadFile, File(description="A scan (PNG, JPEG, TIFF) or a PDF")],
    client: Annotated[ApiClient, Depends(write)],
    s: Services,
    dossier_code: Annotated[str | None, Form(max_length=128)] = None,
    owner_id: Annotated[str | None, Form(pattern=OWNER_ID_PATTERN)] = None,
    procedure_code: Annotated[str | None, Form(max_length=64)] = None,
) -> JSONResponse:
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiProblem(413, "too_large", "Upload too large", f"at most {MAX_UPLOAD_BYTES} bytes")
    if not data:
        raise ApiProblem(422, "empty_file", "Empty upload", "the file has no bytes")
    job, _ = s.uploads.submit(client.name, file.filename or "upload", data, dossier_code=dossier_code,
                              owner_id=owner_id, procedure_code=procedure_code)
    return JSONResponse(job_out(job).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/v1/jobs/{job.id}"})


@document_routes.get("/v1/jobs/{job_id}", response_model=JobOut, tags=["documents"],
                     responses={404: {"model": Problem}})
def get_job(job_id: str, client: Annotated[ApiClient, Depends(write)], s: Services) -> JobOut:
    job = s.uploads.job(job_id)
    if job.client != client.name and "admin" not in client.scopes:
        raise DocumentNotFound(f"no job {job_id}")  # another client's job is not shown
    return job_out(job)


@document_routes.get("/v1/documents/{document_id}", response_model=DocumentOut, tags=["documents"],
                     responses={404: {"model": Problem}})
def get_document(document_id: str, client: Annotated[ApiClient, Depends(read)], s: Services,
                 purpose: Purpose = None) -> DocumentOut:
    why = stated_purpose(purpose)
    row = s.index.get(document_id)
    check_type(client, row.doc_type)
    audit(s, client, "read_document", row.id, why, row.owner_id)
    return document_out(s, row)


@document_routes.get("/v1/documents/{document_id}/content", tags=["documents"],
                     responses={200: {"content": {"application/pdf": {}}},
                                307: {"description": "Presigned URL"}, 404: {"model": Problem}})
def get_content(
    document_id: str,
    client: Annotated[ApiClient, Depends(read)],
    s: Services,
    variant: Annotated[str, Query(pattern="^(original|searchable|signed)$")] = "searchable",
    version: Annotated[int | None, Query(ge=1)] = None,
    purpose: Purpose = None,
) -> Response:
    why = stated_purpose(purpose)
    row = s.index.get(document_id)
    check_type(client, row.doc_type)
    found = s.index.latest_object(row.id, variant, version)
    if found is None:
        raise ApiProblem(404, "no_such_variant", "Not found",
                         f"document {row.id} has no {variant} object" + (f" in version {version}" if version else ""))
    key, sha256, number = found.key, found.sha256, found.version
    audit(s, client, f"read_content:{variant}", f"{row.id}/v{number}", why, row.owner_id)
    filename = download_name(row.filename, variant)
    url = s.store.presigned_get_url(key, s.settings.presign_seconds, filename=filename)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    media_type = VARIANT_MEDIA_TYPES.get(variant, row.media_type)
    return Response(s.store.get(key), media_type=media_type, headers={
        "ETag": f'"{sha256}"', "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Document-Version": str(number), "Cache-Control": "no-store",
    })


def download_name(filename: str, variant: str) -> str:
    stem = Path(filename).stem.encode("ascii", "ignore").decode() or "document"
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
    return f"{stem}.{variant}.pdf" if variant != "original" else f"{stem}{Path(filename).suffix}"
