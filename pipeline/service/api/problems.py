"""Every error the API answers is RFC 9457 problem+json with a stable ``code``."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.core.access import mask_personal_ids
from pipeline.core.reuse import DossierConflict
from pipeline.errors import DocumentNotFound, SohoaError, StorageUnavailable
from pipeline.stages.sign import CertificateNotUsable, KeyUnavailable, SigningFailed
from schemas.api import Problem

PROBLEM_TYPE = "https://sohoa.gov.vn/problems/"


class ApiProblem(Exception):
    """An error answered as problem+json."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}


def problem_response(request: Request, problem: ApiProblem) -> JSONResponse:
    # a detail or a path may repeat what the client sent: personal IDs in them are masked
    body = Problem(type=PROBLEM_TYPE + problem.code, title=problem.title, status=problem.status,
                   detail=mask_personal_ids(problem.detail) if problem.detail else None,
                   code=problem.code, instance=mask_personal_ids(request.url.path))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=problem.status,
                        media_type="application/problem+json", headers=problem.headers)


def sohoa_problem(exc: SohoaError) -> ApiProblem:
    if isinstance(exc, DocumentNotFound):
        return ApiProblem(404, exc.code, "Not found", exc.message)
    if isinstance(exc, StorageUnavailable):
        return ApiProblem(503, exc.code, "Storage unavailable", "the index or object store cannot be reached",
                          {"Retry-After": "5"})
    if isinstance(exc, DossierConflict | SigningFailed) or exc.code in ("document_signed", "document_busy"):
        return ApiProblem(409, exc.code, "Conflict", exc.message)
    if isinstance(exc, CertificateNotUsable):
        # the server's certificate (expired, not yet valid, wrong key usage): what is wrong with
        # it is the answer, under a stable code per case
        return ApiProblem(422, exc.code, "Signing certificate not usable", exc.message)
    if isinstance(exc, KeyUnavailable):
        return ApiProblem(503, exc.code, "Signing key unavailable", "the server's signing key cannot be opened")
    return ApiProblem(422, exc.code, "Unprocessable request", exc.message)


def add_problem_handlers(app: FastAPI) -> None:
    """Answer our errors, invalid requests, unknown endpoints and anything unexpected as problems."""

    @app.exception_handler(ApiProblem)
    async def on_problem(request: Request, exc: ApiProblem):
        return problem_response(request, exc)

    @app.exception_handler(SohoaError)
    async def on_sohoa_error(request: Request, exc: SohoaError):
        return problem_response(request, sohoa_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        errors = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
        return problem_response(request, ApiProblem(422, "invalid_request", "Invalid request", errors))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        if isinstance(exc.__cause__, RecursionError):  # FastAPI's JSON parsing of a body
            return problem_response(request, too_deep())
        code = {400: "bad_request", 404: "no_such_endpoint", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error")
        return problem_response(request, ApiProblem(exc.status_code, code, str(exc.detail)))

    # Anything unexpected is answered by middleware.guarded, which logs its kind, never its text.


def too_deep() -> ApiProblem:
    return ApiProblem(422, "invalid_request", "Invalid request", "the JSON body is nested too deeply")
