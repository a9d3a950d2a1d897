"""What every route depends on: the services, the authenticated client and its scope, the purpose
of a read of personal data, single-valued parameters and parts, and the audit row a read writes."""

import logging
import re
import types
import typing
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from pipeline.core.access import ApiClient, mask_owner_id, mask_personal_ids
from pipeline.service.api.problems import ApiProblem
from pipeline.service.api.services import ApiServices
from schemas.api import OWNER_ID_PATTERN

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


# The dependencies below are coroutines although they do not wait for anything: FastAPI runs a
# plain function dependency in its thread pool, and each trip there and back cost a request about
# as much CPU as answering /healthz.

async def services(request: Request) -> ApiServices:
    """A dependency: the services of the app serving the request."""
    return request.app.state.services


Services = Annotated[ApiServices, Depends(services)]


def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key the headers present (`Authorization: Bearer …` or `X-API-Key`), or None."""
    return _presented_key(headers.get("authorization"), headers.get("x-api-key"))


def authenticate_headers(services: ApiServices, headers: Mapping[str, str]) -> ApiClient | None:
    """The client whose key the headers present (`Authorization: Bearer …` or `X-API-Key`), or None."""
    key = presented_key(headers)
    return services.access.authenticate(key) if key else None


def unauthorized() -> ApiProblem:
    return ApiProblem(401, "unauthorized", "Unauthorized", "a valid API key is required",
                      {"WWW-Authenticate": 'Bearer realm="sohoa"'})


def require(scope: str | None):
    """A dependency: the authenticated client, which must hold ``scope`` (None: any key).

    The key was checked from the headers before the body was read (`middleware.guarded`);
    here the client is rate-limited and its scope checked."""

    async def dependency(
        request: Request,
        # declared so that the OpenAPI document names them; read from request.headers
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> ApiClient:
        services: ApiServices = request.app.state.services
        client = getattr(request.state, "client", None)
        if client is None:
            client = await run_in_threadpool(authenticate_headers, services, request.headers)
        if client is None:
            raise unauthorized()
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
    alias="X-Purpose", description="Why personal data is read (audited); UTF-8, raw or percent-encoded")]

MAX_PURPOSE_CHARS = 500


def stated_purpose(purpose: str | None) -> str:
    """The purpose a client gave, as it wrote it. Header values reach us as bytes decoded as
    Latin-1 (ASGI): raw UTF-8 (`giải quyết`) is decoded again as UTF-8, then percent-encoding
    (`gi%E1%BA%A3i%20quy%E1%BA%BFt`) is decoded. The purpose must be printable text."""
    if not (purpose or "").strip():
        raise _purpose_required()
    try:
        text = unquote(purpose.encode("latin-1").decode("utf-8"), errors="strict")
    except UnicodeError as exc:
        raise _invalid_purpose("X-Purpose must be UTF-8 text, raw or percent-encoded") from exc
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise _purpose_required()
    if not all(c.isprintable() for c in text):
        raise _invalid_purpose("X-Purpose must be printable text (no control or formatting characters)")
    if len(text) > MAX_PURPOSE_CHARS:
        raise _invalid_purpose(f"X-Purpose is at most {MAX_PURPOSE_CHARS} characters")
    return text


def _purpose_required() -> ApiProblem:
    return ApiProblem(400, "purpose_required", "Purpose required",
                      "reads of personal data need an X-Purpose header saying why")


def _invalid_purpose(detail: str) -> ApiProblem:
    return ApiProblem(422, "invalid_purpose", "Invalid purpose", detail)


async def single_valued_query(request: Request) -> None:
    """A dependency of every route: a query parameter given twice is refused (which one would
    count?) unless the route takes a list of it (`?type=a&type=b`)."""
    names = Counter(name for name, _ in request.query_params.multi_items())
    repeated = sorted(name for name, count in names.items() if count > 1)
    route = request.scope.get("route")
    lists = _list_parameters(route) if isinstance(route, APIRoute) else frozenset()
    refused = [name for name in repeated if name not in lists]
    if refused:
        raise ApiProblem(422, "repeated_parameter", "Repeated parameter",
                         f"give each of these query parameters once: {', '.join(refused)[:200]}")


def _list_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters of a route (and of its dependencies) that take a list; worked out
    once per route and kept on it."""
    known = getattr(route, "_sohoa_list_parameters", None)
    if known is None:
        names, pending = set(), [route.dependant]
        while pending:
            dependant = pending.pop()
            names |= {p.alias for p in dependant.query_params if _is_list(p.field_info.annotation)}
            pending.extend(dependant.dependencies)
        known = route._sohoa_list_parameters = frozenset(names)
    return known


def _is_list(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return origin in (typing.Union, types.UnionType) and any(_is_list(a) for a in typing.get_args(annotation))


def refuse_repeated_parts(form: FormData) -> None:
    """A multipart body whose parts repeat a name is refused: one of them would be dropped."""
    names = Counter(name for name, _ in form.multi_items())
    repeated = sorted(name for name, count in names.items() if count > 1)
    if repeated:
        shown = ", ".join(f"{name[:64]} ({names[name]} times)" for name in repeated[:5])
        raise ApiProblem(422, "repeated_part", "Repeated part",
                         f"each part of the form must have its own name; repeated: {shown}")


async def single_parts(request: Request) -> None:
    """A dependency of an upload route: its form's parts each have their own name."""
    refuse_repeated_parts(await request.form())


def check_type(client: ApiClient, doc_type: str | None) -> None:
    if not client.may_read_type(doc_type):
        raise ApiProblem(403, "forbidden_type", "Forbidden", "this key may not read documents of this type")


def valid_owner(owner_id: str) -> str:
    if not re.fullmatch(OWNER_ID_PATTERN, owner_id):
        raise ApiProblem(422, "invalid_owner_id", "Invalid owner ID",
                         "an owner ID is a 12-digit personal identification number")
    return owner_id


read = require("documents:read")
write = require("documents:write")
sign_scope = require("documents:sign")
admin = require("admin")
any_key = require(None)


#: Threads per process that the reuse check's database work runs on. Not FastAPI's pool of 40:
#: with 50 clients, 25 threads per process contending for the interpreter lock (and the event
#: loop that answers them) halved the checks answered on 2 cores.
READ_THREADS = 2


async def in_read_threads(s: ApiServices, work: Callable[[], T]) -> T:
    """``work()`` on one of the `READ_THREADS` threads of this process."""
    if s.read_limiter is None:
        s.read_limiter = anyio.CapacityLimiter(READ_THREADS)
    return await anyio.to_thread.run_sync(work, limiter=s.read_limiter)


def audit(s: ApiServices, client: ApiClient, action: str, target: str, purpose: str,
          owner_id: str | None = None, outcome: int = 200) -> None:
    s.access.audit(client.name, action, target, owner_id=owner_id, purpose=purpose, outcome=outcome)
    log_audited(client, action, target, owner_id)


def log_audited(client: ApiClient, action: str, target: str, owner_id: str | None) -> None:
    """The log line of an audited read (personal IDs masked)."""
    if log.isEnabledFor(logging.INFO):
        log.info("%s %s %s owner=%s", client.name, action, mask_personal_ids(target) if not owner_id else "-",
                 mask_owner_id(owner_id))


class AuditedWhenSent(Response):
    """A response whose audit row is written once it has been sent, with the status that went
    out: a response the server could not send (its head refused) is recorded as 500, never as
    the 200 it would have been."""

    def __init__(self, response: Response, record: Callable[[int], None]):
        self.response, self.record = response, record
        self.status_code, self.background = response.status_code, response.background
        self.raw_headers = response.raw_headers  # one list: headers FastAPI adds reach the response

    async def __call__(self, scope, receive, send) -> None:
        sent = 500

        async def sending(message):
            nonlocal sent
            await send(message)
            if message["type"] == "http.response.start":
                sent = message["status"]

        try:
            await self.response(scope, receive, sending)
        finally:
            await run_in_threadpool(self.record, sent)
