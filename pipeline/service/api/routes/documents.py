"""Uploading documents, following their jobs, reading their records and downloading their content."""

import unicodedata
from pathlib import PurePosixPath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from pipeline.errors import DocumentNotFound, SohoaError
from pipeline.core.access import ApiClient
from pipeline.service.api.dependencies import (
    MAX_UPLOAD_BYTES,
    AuditedWhenSent,
    Purpose,
    Services,
    audit,
    check_type,
    read,
    single_parts,
    stated_purpose,
    write,
)
from pipeline.service.api.problems import ApiProblem, sohoa_problem
from pipeline.service.api.shapes import document_out, job_out
from pipeline.textnorm import fold
from schemas.api import (
    CODE_PATTERN,
    MAX_VERSION,
    OWNER_ID_PATTERN,
    DocumentOut,
    JobOut,
    MergeRequest,
    Problem,
    RegroupOut,
    SplitRequest,
)

VARIANT_MEDIA_TYPES = {"searchable": "application/pdf", "signed": "application/pdf"}

document_routes = APIRouter()


@document_routes.post("/v1/documents", status_code=202, response_model=JobOut, tags=["documents"],
                      responses={413: {"model": Problem}, 422: {"model": Problem}},
                      dependencies=[Depends(single_parts)])
async def upload_document(
    file: Annotated[UploadFile, File(description="A scan (PNG, JPEG, TIFF) or a PDF")],
    client: Annotated[ApiClient, Depends(write)],
    s: Services,
    dossier_code: Annotated[str | None, Form(pattern=CODE_PATTERN)] = None,
    owner_id: Annotated[str | None, Form(pattern=OWNER_ID_PATTERN)] = None,
    procedure_code: Annotated[str | None, Form(pattern=CODE_PATTERN)] = None,
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
        raise DocumentNotFound(f"no job {job.id}")  # another client's job is not shown
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
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
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

    def record(outcome: int) -> None:  # the status that went out (AuditedWhenSent), or the error answered
        audit(s, client, f"read_content:{variant}", f"{row.id}/v{number}", why, row.owner_id, outcome=outcome)

    name = download_name(row.filename, variant)
    try:
        url = s.store.presigned_get_url(key, s.settings.presign_seconds, content_disposition=content_disposition(name))
        if url is not None:
            response: Response = RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
        else:
            response = Response(s.store.get(key), media_type=VARIANT_MEDIA_TYPES.get(variant, row.media_type),
                                headers={"ETag": f'"{sha256}"', "Content-Disposition": content_disposition(name),
                                         "X-Document-Version": str(number), "Cache-Control": "no-store"})
    except SohoaError as exc:
        record(sohoa_problem(exc).status)
        raise
    return AuditedWhenSent(response, record)


@document_routes.post("/v1/documents/merge", response_model=RegroupOut, status_code=201, tags=["documents"],
                      responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def merge(body: MergeRequest, client: Annotated[ApiClient, Depends(write)], s: Services) -> RegroupOut:
    """One document of several, pages in the order given; the merged ones stay, superseded."""
    for document_id in body.document_ids:
        check_type(client, s.index.get(document_id).doc_type)
    done = s.runtime.merge_documents(body.document_ids, by=f"api:{client.name}")
    return RegroupOut(kind=done.kind, replaced=list(done.replaced), documents=[document_out(s, r) for r in done.documents])


@document_routes.post("/v1/documents/{document_id}/split", response_model=RegroupOut, status_code=201,
                      tags=["documents"],
                      responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def split(document_id: str, body: SplitRequest, client: Annotated[ApiClient, Depends(write)],
          s: Services) -> RegroupOut:
    """Two documents of one (pages 1..after_page and the rest); the split one stays, superseded."""
    check_type(client, s.index.get(document_id).doc_type)
    done = s.runtime.split_document(document_id, body.after_page, by=f"api:{client.name}")
    return RegroupOut(kind=done.kind, replaced=list(done.replaced), documents=[document_out(s, r) for r in done.documents])


def download_name(filename: str, variant: str) -> str:
    """A download's name: the stored file name's last path component (NFC, control characters
    dropped), with the variant's extension."""
    printable = "".join(c for c in unicodedata.normalize("NFC", filename) if c.isprintable())
    path = PurePosixPath(printable.replace("\\", "/").rsplit("/", 1)[-1])
    stem = path.stem.strip() or "document"
    return f"{stem}.{variant}.pdf" if variant != "original" else f"{stem}{path.suffix}"


def ascii_name(name: str) -> str:
    """The fallback for clients that read only ``filename``: accents folded, the rest `_`."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in fold(name))


def content_disposition(name: str) -> str:
    """An attachment named for every client (RFC 6266): an ASCII ``filename`` and the UTF-8
    name percent-encoded in ``filename*`` (RFC 5987), so no name can break the header."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
