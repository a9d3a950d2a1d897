"""The reuse service: an HTTP API over the index and the object store (`sohoa serve`).

Other services find an owner's papers on file, download them (signed where signed), learn what a
procedure still needs, open dossiers that reuse documents by reference, and upload new papers.
Every response error is RFC 9457 problem+json with a stable ``code``; every read of personal data
is audited with the purpose the client gave in ``X-Purpose``.
"""


import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline import __version__
from pipeline.service.access import AccessStore, ApiClient, RateLimiter, mask_owner_id, mask_personal_ids
from pipeline.clock import office_today
from pipeline.errors import DocumentNotFound, SohoaError, StorageUnavailable
from pipeline.stores.index import Index, signature_status_of
from pipeline.core.reuse import (
    DossierConflict,
    check_procedure,
    compute_stats,
    get_dossier,
    on_file,
    open_dossier,
    procedure_or_error,
)
from pipeline.settings import Settings
from pipeline.stages.sign import KeyUnavailable, SigningFailed
from pipeline.stores.objects import ObjectStore
from pipeline.service.uploads import UploadJob, UploadRunner
from schemas.api import (
    OWNER_ID_PATTERN,
    CheckOut,
    CheckRequest,
    ComponentOut,
    DocumentOut,
    DossierOut,
    DossierRequest,
    JobOut,
    OnFileOut,
    OwnerDocumentsOut,
    Problem,
    ProcedureOut,
    RateOut,
    SearchHitOut,
    SignatureOut,
    SignRequest,
    StatsOut,
)
from schemas.catalog import Catalog, default_catalog

log = logging.getLogger(__name__)
access_log = logging.getLogger("sohoa.access")

PROBLEM_TYPE = "https://sohoa.gov.vn/problems/"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
VARIANT_MEDIA_TYPES = {"searchable": "application/pdf", "signed": "application/pdf"}


class ApiProblem(Exception):
    """An error answered as problem+json."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}


def _problem_response(request: Request, problem: ApiProblem) -> JSONResponse:
    body = Problem(type=PROBLEM_TYPE + problem.code, title=problem.title, status=problem.status,
                   detail=problem.detail, code=problem.code, instance=request.url.path)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=problem.status,
                        media_type="application/problem+json", headers=problem.headers)


def _sohoa_problem(exc: SohoaError) -> ApiProblem:
    if isinstance(exc, DocumentNotFound):
        return ApiProblem(404, exc.code, "Not found", exc.message)
    if isinstance(exc, StorageUnavailable):
        return ApiProblem(503, exc.code, "Storage unavailable", "the index or object store cannot be reached",
                          {"Retry-After": "5"})
    if isinstance(exc, DossierConflict | SigningFailed):
        return ApiProblem(409, exc.code, "Conflict", exc.message)
    if isinstance(exc, KeyUnavailable):
        return ApiProblem(503, exc.code, "Signing key unavailable", "the server's signing key cannot be opened")
    return ApiProblem(422, exc.code, "Unprocessable request", exc.message)


@dataclass
class ApiServices:
    """What the handlers use; built once per app from settings (or given by tests)."""

    settings: Settings
    index: Index
    store: ObjectStore
    access: AccessStore
    catalog: Catalog
    limiter: RateLimiter
    uploads: UploadRunner
    signer: Callable[..., Any] | None = None


def build_services(settings: Settings, *, index: Index | None = None, store: ObjectStore | None = None,
                   classifier_loader: Callable[[], Any] | None = None) -> ApiServices:
    from pipeline.core.run import Ingestor, PipelineSettings
    from pipeline.stores.objects import open_store_from_settings

    index = index or Index(settings.index_url)
    store = store or open_store_from_settings(settings)
    ingestor_cache: dict[str, Ingestor] = {}

    def ingestor() -> Ingestor:
        if "it" not in ingestor_cache:
            classifier = classifier_loader() if classifier_loader else _load_classifier(settings, index)
            ingestor_cache["it"] = Ingestor(store, index, PipelineSettings.from_settings(settings),
                                            quarantine_dir=settings.quarantine_dir, classifier=classifier)
        return ingestor_cache["it"]

    return ApiServices(
        settings=settings, index=index, store=store, access=AccessStore(index),
        catalog=default_catalog(), limiter=RateLimiter(settings.rate_limit_per_minute),
        uploads=UploadRunner(index, settings.resolved_home / "uploads", ingestor,
                             queue=_queue_for_workers(settings, index, store) if settings.broker_url else None),
        signer=ServerSigner(settings) if settings.sign_key else None,
    )


class ServerSigner:
    """Signs stored documents with the key the server is configured with (SOHOA_SIGN_KEY).

    The key is opened — a token logged in to — on first use and kept for the life of the
    process; one signature at a time, as PKCS#11 sessions are not shared between threads.
    """

    def __init__(self, settings: Settings):
        import contextlib
        import threading

        self.settings = settings
        self._lock = threading.Lock()
        self._exit = contextlib.ExitStack()
        self._signer = None

    def __call__(self, services: "ApiServices", row, request: SignRequest, client: ApiClient):
        from datetime import UTC, datetime

        from pipeline.stages.sign import SignSpec, ValidationSettings, open_signer
        from pipeline.core.signed_versions import sign_stored_document
        from pipeline.stages.stamp import QrPayload

        settings = self.settings
        qr = None
        if request.kind == "official":  # an issued result carries its QR code
            qr = QrPayload(dossier_code=row.dossier_code or "", procedure_code=row.procedure_code or "",
                           document_name=row.title or "", issuing_system="sohoa",
                           issued_at=datetime.now(UTC))
        spec = SignSpec(kind=request.kind, level=request.level or settings.sign_level,
                        tsa_url=settings.tsa_url, signer_name=request.signer_name,
                        position=request.position, agency=request.agency, qr=qr)
        validation = ValidationSettings.from_file(settings.trust_roots,
                                                  allow_fetching=settings.signature_fetching)
        with self._lock:
            if self._signer is None:
                passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
                self._signer = self._exit.enter_context(open_signer(settings.sign_key, passphrase))
            done = sign_stored_document(services.index, services.store, row.id, spec, self._signer,
                                        validation=validation)
        log.info("%s signed document %s as %s: version %d, %s", client.name, row.id, request.kind,
                 done.version, done.status)
        return done

    def close(self) -> None:
        self._exit.close()


def _queue_for_workers(settings: Settings, index: Index, store: ObjectStore):
    """Uploads go to the workers' queue as one-item batches (`sohoa ingest --queue`)."""
    from pipeline.core.batches import Batches
    from workers.submit import submit

    def queue(item) -> str:
        batch_id = submit([item], settings, store=store, index=index, description="API upload")
        [queued] = Batches(index).items(batch_id)
        return queued.id

    return queue


def _load_classifier(settings: Settings, index: Index):
    from pipeline.stages.classify import load_or_train

    return load_or_train(settings.classifier_model_path, corrections=index.correction_labels())


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(
        title="sohoa reuse API",
        version=__version__,
        description=(
            "Find a citizen's papers already on file, download them, learn what a procedure still "
            "needs, open dossiers that reuse documents by reference. Authenticate with "
            "`Authorization: Bearer <key>` (or `X-API-Key`); give the purpose of every read of "
            "personal data in `X-Purpose`. Errors are RFC 9457 problem+json."
        ),
        responses={401: {"model": Problem}, 403: {"model": Problem}, 429: {"model": Problem}},
    )
    app.state.services = services
    app.state.metrics = registry = CollectorRegistry()
    requests_total = Counter("sohoa_http_requests_total", "HTTP requests", ["route", "method", "status"],
                             registry=registry)
    latency = Histogram("sohoa_http_request_seconds", "HTTP request latency", ["route", "method"],
                        registry=registry, buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))

    async def measured(scope, receive, send, inner):
        """Counts, latency and the access log, as plain ASGI: Starlette's BaseHTTPMiddleware
        costs a task and a stream copy per request."""
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        started = time.perf_counter()
        status = [500]

        async def send_with_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await inner(scope, receive, send_with_status)
        finally:
            seconds = time.perf_counter() - started
            path = getattr(scope.get("route"), "path", "unmatched")
            requests_total.labels(path, scope["method"], str(status[0])).inc()
            latency.labels(path, scope["method"]).observe(seconds)
            if access_log.isEnabledFor(logging.INFO):
                query = scope.get("query_string", b"").decode("latin-1")
                target = scope["path"] + (f"?{query}" if query else "")
                # the access log, personal IDs in paths and queries masked (uvicorn's is off)
                access_log.info("%s %s %d %.1fms", scope["method"], mask_personal_ids(target),
                                status[0], seconds * 1000)

    app.add_middleware(_Wrap, handler=measured)

    @app.exception_handler(ApiProblem)
    async def on_problem(request: Request, exc: ApiProblem):
        return _problem_response(request, exc)

    @app.exception_handler(SohoaError)
    async def on_sohoa_error(request: Request, exc: SohoaError):
        return _problem_response(request, _sohoa_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        errors = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
        return _problem_response(request, ApiProblem(422, "invalid_request", "Invalid request", errors))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        code = {404: "no_such_endpoint", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _problem_response(request, ApiProblem(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _problem_response(request, ApiProblem(500, "internal_error", "Internal error"))

    for routes in ROUTERS:
        app.include_router(routes)
    return app


class _Wrap:
    """An ASGI middleware made of one coroutine ``handler(scope, receive, send, inner)``."""

    def __init__(self, app, handler):
        self.app, self.handler = app, handler

    async def __call__(self, scope, receive, send):
        await self.handler(scope, receive, send, self.app)


# --- access ------------------------------------------------------------------------------------

def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require(scope: str | None):
    """A dependency: the authenticated client, which must hold ``scope`` (None: any key)."""

    def dependency(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> ApiClient:
        services: ApiServices = request.app.state.services
        key = _presented_key(authorization, x_api_key)
        client = services.access.authenticate(key) if key else None
        if client is None:
            raise ApiProblem(401, "unauthorized", "Unauthorized", "a valid API key is required",
                             {"WWW-Authenticate": 'Bearer realm="sohoa"'})
        allowed, wait = services.limiter.allow(client.name)
        if not allowed:
            raise ApiProblem(429, "rate_limited", "Too many requests",
                             f"more than {services.limiter.per_minute} requests a minute",
                             {"Retry-After": str(max(1, round(wait)))})
        if scope and not client.has_scope(scope):
            raise ApiProblem(403, "forbidden", "Forbidden", f"this key lacks the scope {scope}")
        return client

    return dependency


Purpose = Annotated[str | None, Header(
    alias="X-Purpose", description="Why personal data is read (audited); UTF-8, percent-encoded")]


def stated_purpose(purpose: str | None) -> str:
    """The purpose a client gave. HTTP header values are ASCII, so Vietnamese text arrives
    percent-encoded (`giải quyết` -> `gi%E1%BA%A3i%20quy%E1%BA%BFt`)."""
    import unicodedata
    from urllib.parse import unquote

    text = unicodedata.normalize("NFC", unquote(purpose or "", errors="replace")).strip()
    if not text:
        raise ApiProblem(400, "purpose_required", "Purpose required",
                         "reads of personal data need an X-Purpose header saying why")
    return text


def check_type(client: ApiClient, doc_type: str | None) -> None:
    if not client.may_read_type(doc_type):
        raise ApiProblem(403, "forbidden_type", "Forbidden", "this key may not read documents of this type")


def valid_owner(owner_id: str) -> str:
    import re

    if not re.fullmatch(OWNER_ID_PATTERN, owner_id):
        raise ApiProblem(422, "invalid_owner_id", "Invalid owner ID",
                         "an owner ID is a 12-digit personal identification number")
    return owner_id


# --- routes ------------------------------------------------------------------------------------

read = require("documents:read")
write = require("documents:write")
sign_scope = require("documents:sign")
admin = require("admin")
any_key = require(None)


def services(request: Request) -> ApiServices:
    """A dependency: the services of the app serving the request."""
    return request.app.state.services


Services = Annotated[ApiServices, Depends(services)]


def audit(s: ApiServices, client: ApiClient, action: str, target: str, purpose: str,
          owner_id: str | None = None, outcome: int = 200) -> None:
    s.access.audit(client.name, action, target, owner_id=owner_id, purpose=purpose, outcome=outcome)
    log.info("%s %s %s owner=%s", client.name, action, target if not owner_id else "-",
             mask_owner_id(owner_id))


service_routes = APIRouter()


@service_routes.get("/healthz", tags=["service"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@service_routes.get("/readyz", tags=["service"], responses={503: {"model": Problem}})
def readyz(s: Services) -> dict[str, str]:
    try:
        s.index.ping()
    except Exception as exc:
        raise ApiProblem(503, "index_unavailable", "Not ready", "the index cannot be reached") from exc
    try:
        s.store.exists("readyz-probe")
    except Exception as exc:
        raise ApiProblem(503, "store_unavailable", "Not ready", "the object store cannot be reached") from exc
    return {"status": "ready"}


@service_routes.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


# -- documents --

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


# -- signatures --

signature_routes = APIRouter()


@signature_routes.get("/v1/documents/{document_id}/signatures", tags=["signatures"],
                      responses={404: {"model": Problem}})
def get_signatures(document_id: str, client: Annotated[ApiClient, Depends(read)], s: Services,
                   purpose: Purpose = None) -> list[SignatureOut]:
    why = stated_purpose(purpose)
    row = s.index.get(document_id)
    check_type(client, row.doc_type)
    audit(s, client, "read_signatures", row.id, why, row.owner_id)
    return [signature_out(r) for r in s.index.signatures(row.id)]


@signature_routes.post("/v1/documents/{document_id}/sign", tags=["signatures"],
                       responses={404: {"model": Problem}, 409: {"model": Problem}, 503: {"model": Problem}})
def sign_document(document_id: str, request_body: SignRequest,
                  client: Annotated[ApiClient, Depends(sign_scope)], s: Services) -> DocumentOut:
    row = s.index.get(document_id)
    if s.signer is None:
        raise ApiProblem(503, "signing_not_configured", "Signing not configured",
                         "set SOHOA_SIGN_KEY (and SOHOA_KEY_PASSPHRASE) on the server")
    s.signer(s, row, request_body, client)
    return document_out(s, s.index.get(row.id))


# -- owners and procedures --

reuse_routes = APIRouter()


@reuse_routes.get("/v1/owners/{owner_id}/documents", response_model=OwnerDocumentsOut, tags=["reuse"],
                  responses={422: {"model": Problem}})
def owner_documents(
    owner_id: str,
    client: Annotated[ApiClient, Depends(read)],
    s: Services,
    doc_type: Annotated[list[str] | None, Query(alias="type")] = None,
    valid_on: date | None = None,
    purpose: Purpose = None,
) -> OwnerDocumentsOut:
    valid_owner(owner_id)
    why = stated_purpose(purpose)
    day = valid_on or office_today()
    types = [t for t in (doc_type or s.catalog.document_types) if client.may_read_type(t)]
    found = on_file(s.index, s.catalog, owner_id, types, valid_on=day)
    docs = [on_file_out(d) for items in found.values() for d in items]
    audit(s, client, "list_owner_documents", "owner", why, owner_id)
    return OwnerDocumentsOut(owner_id=owner_id, valid_on=day, documents=docs)


@reuse_routes.get("/v1/procedures", response_model=list[ProcedureOut], tags=["procedures"])
def list_procedures(client: Annotated[ApiClient, Depends(any_key)], s: Services) -> list[ProcedureOut]:
    return [procedure_out(p) for p in s.catalog.procedures.values()]


@reuse_routes.get("/v1/procedures/{code}", response_model=ProcedureOut, tags=["procedures"],
                  responses={404: {"model": Problem}})
def get_procedure(code: str, client: Annotated[ApiClient, Depends(any_key)], s: Services) -> ProcedureOut:
    return procedure_out(procedure_or_error(s.catalog, code))


@reuse_routes.post("/v1/procedures/{code}/check", response_model=CheckOut, tags=["reuse"],
                   responses={404: {"model": Problem}})
def check(code: str, body: CheckRequest, client: Annotated[ApiClient, Depends(read)], s: Services,
          purpose: Purpose = None) -> CheckOut:
    why = stated_purpose(purpose)
    result = check_procedure(s.index, s.catalog, code, body.owner_id, valid_on=body.valid_on)
    audit(s, client, "check_procedure", code, why, body.owner_id)
    return CheckOut(
        procedure_code=result.procedure.code, owner_id=body.owner_id, valid_on=result.valid_on,
        components=[
            ComponentOut(doc_type=c.doc_type, required=c.required,
                         status="on_file" if c.satisfied else "missing",
                         document=on_file_out(c.document)
                         if c.document and client.may_read_type(c.doc_type) else None)
            for c in result.components
        ],
        missing=result.missing,
    )


# -- dossiers --

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


# -- search and figures --

search_routes = APIRouter()


@search_routes.get("/v1/search", response_model=list[SearchHitOut], tags=["search"])
def search(
    client: Annotated[ApiClient, Depends(read)],
    s: Services,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    doc_type: Annotated[str | None, Query(alias="type")] = None,
    owner_id: Annotated[str | None, Query(alias="owner", pattern=OWNER_ID_PATTERN)] = None,
    dossier_code: Annotated[str | None, Query(alias="dossier")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    purpose: Purpose = None,
) -> list[SearchHitOut]:
    why = stated_purpose(purpose)
    if doc_type is not None:
        check_type(client, doc_type)
    hits = s.index.search(q, doc_type=doc_type, owner_id=owner_id, dossier_code=dossier_code,
                          date_from=date_from, date_to=date_to, limit=limit)
    visible = [h for h in hits if client.may_read_type(h.doc_type)]
    audit(s, client, "search", f"q={q[:100]}", why, owner_id)
    return [SearchHitOut(**h.__dict__) for h in visible]


@search_routes.get("/v1/stats", response_model=StatsOut, tags=["figures"])
def stats(client: Annotated[ApiClient, Depends(admin)], s: Services, since: date | None = None) -> StatsOut:
    figures = compute_stats(s.index, s.catalog, since=since)
    return StatsOut(
        since=since, digitisation=rate_out(figures.digitisation), reuse=rate_out(figures.reuse),
        results_signed=rate_out(figures.results_signed),
        reuse_by_type={t: rate_out(r) for t, r in figures.reuse_by_type.items()},
        documents_by_type=figures.documents_by_type, documents_by_day=figures.documents_by_day,
        dossiers_by_day=figures.dossiers_by_day,
    )


ROUTERS = (service_routes, document_routes, signature_routes, reuse_routes, dossier_routes, search_routes)


# --- shaping responses -------------------------------------------------------------------------

async def _dossier_request(request: Request) -> tuple[DossierRequest, dict[str, UploadFile]]:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            raw = form.get("metadata")
            if not isinstance(raw, str):
                raise ApiProblem(422, "invalid_request", "Invalid request", "a `metadata` part with JSON is required")
            body = DossierRequest.model_validate_json(raw)
            files = {name: value for name, value in form.multi_items()
                     if name != "metadata" and not isinstance(value, str)}
            return body, files
        return DossierRequest.model_validate(await request.json()), {}
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ApiProblem(422, "invalid_request", "Invalid request", detail) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiProblem(422, "invalid_request", "Invalid request", "the body is not JSON") from exc


def download_name(filename: str, variant: str) -> str:
    stem = Path(filename).stem.encode("ascii", "ignore").decode() or "document"
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
    return f"{stem}.{variant}.pdf" if variant != "original" else f"{stem}{Path(filename).suffix}"


def document_out(s: ApiServices, row) -> DocumentOut:
    records = s.index.signatures(row.id)
    # the status is that of the current version's signatures (Index.signature_status), derived
    # from the records already read rather than asked for again
    current = {r.indication for r in records if r.version == row.version}
    state = signature_status_of(current) if current else "unsigned"
    return DocumentOut(
        id=row.id, doc_type=row.doc_type, type_confidence=row.type_confidence, status=row.status,
        owner_id=row.owner_id, dossier_code=row.dossier_code, procedure_code=row.procedure_code,
        title=row.title, filename=row.filename, media_type=row.media_type, pages=row.pages,
        issue_date=row.issue_date, valid_until=row.valid_until, fields=row.fields, version=row.version,
        versions=[{"version": v.version, "variant": variant, "sha256": ref.sha256,
                   "created_at": v.created_at}
                  for v in s.index.versions(row.id) for variant, ref in v.objects.items()],
        signature_status=state, signatures=[signature_out(r) for r in records],
        created_at=row.created_at,
    )


def signature_out(record) -> SignatureOut:
    return SignatureOut(**{k: getattr(record, k) for k in SignatureOut.model_fields})


def on_file_out(document) -> OnFileOut:
    return OnFileOut(id=document.id, doc_type=document.doc_type, signed=document.signed,
                     signature_status=document.signature_status, valid_until=document.valid_until,
                     issue_date=document.issue_date)


def procedure_out(p) -> ProcedureOut:
    return ProcedureOut(code=p.code, name=p.name, gloss=p.gloss, level=p.level,
                        required=list(p.required), optional=list(p.optional), result=p.result)


def dossier_out(d) -> DossierOut:
    return DossierOut(code=d.code, procedure_code=d.procedure_code, owner_id=d.owner_id, status=d.status,
                      created_by=d.created_by, created_at=d.created_at,
                      components=[c.__dict__ for c in d.components], missing=d.missing)


def job_out(job: UploadJob) -> JobOut:
    return JobOut(**{k: getattr(job, k) for k in JobOut.model_fields})


def rate_out(rate) -> RateOut:
    return RateOut(numerator=rate.numerator, denominator=rate.denominator, value=rate.value)


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory pipeline.service.api:app_from_environment` (what `sohoa serve` runs)."""
    from pipeline.settings import load_settings

    return create_app(build_services(load_settings()))
