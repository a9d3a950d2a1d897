"""What every request passes through before any route, as plain ASGI (Starlette's
BaseHTTPMiddleware costs a task and a stream copy per request):

- ``measured``: a request id, the Prometheus counts and latency, and the access log with personal
  IDs masked (uvicorn's own access log is off);
- ``guarded``: refuses what no route should see — control characters or broken encodings in the
  path, the query or a header, overlong targets — authenticates the key from the headers before
  any body is read (a refused upload is never received), and answers anything unexpected as a
  500 problem whose log line holds the error's kind and the request id, never its text (a
  database error's text can hold the values of a statement).
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pipeline.core.access import mask_personal_ids
from pipeline.errors import SohoaError
from pipeline.service.api.dependencies import presented_key, unauthorized
from pipeline.service.api.problems import ApiProblem, problem_response, sohoa_problem

access_log = logging.getLogger("sohoa.access")
log = logging.getLogger(__name__)

#: Longer paths and query strings are refused (414): no route takes anything near as long.
MAX_PATH_CHARS = 2048
MAX_QUERY_BYTES = 8192

ASGIHandler = Callable[[dict, Callable, Callable, Callable], Awaitable[None]]


class Wrap:
    """An ASGI middleware made of one coroutine ``handler(scope, receive, send, inner)``."""

    def __init__(self, app, handler: ASGIHandler):
        self.app, self.handler = app, handler

    async def __call__(self, scope, receive, send):
        await self.handler(scope, receive, send, self.app)


_REQUEST_ID_LETTERS = "abcdefghijkmnpqrstuvwxyz"


def new_request_id() -> str:
    """Twelve letters (55 bits): hex ids are now and then twelve digits, which read — and are
    masked in logs — as a personal ID."""
    return "".join(secrets.choice(_REQUEST_ID_LETTERS) for _ in range(12))


def request_id_of(scope) -> str:
    return scope.get("state", {}).get("request_id", "-")


def measured(registry: CollectorRegistry) -> ASGIHandler:
    """The middleware that gives each request an id (the X-Request-ID header), counts requests
    by route, times them and writes the access log."""
    requests_total = Counter("sohoa_http_requests_total", "HTTP requests", ["route", "method", "status"],
                             registry=registry)
    latency = Histogram("sohoa_http_request_seconds", "HTTP request latency", ["route", "method"],
                        registry=registry, buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))

    async def measure(scope, receive, send, inner):
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        started = time.perf_counter()
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        status = [500]

        async def send_with_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await inner(scope, receive, send_with_status)
        finally:
            seconds = time.perf_counter() - started
            path = getattr(scope.get("route"), "path", "unmatched")
            requests_total.labels(path, scope["method"], str(status[0])).inc()
            latency.labels(path, scope["method"]).observe(seconds)
            if access_log.isEnabledFor(logging.INFO):
                # the raw target, as sent: mask_personal_ids decodes it before masking
                query = scope.get("query_string", b"").decode("latin-1")
                target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
                target += f"?{query}" if query else ""
                access_log.info("%s %s %d %.1fms request=%s", scope["method"], mask_personal_ids(target),
                                status[0], seconds * 1000, request_id)

    return measure


async def guarded(scope, receive, send, inner) -> None:
    """Checks and early authentication before the app; the catch-all for unexpected errors."""
    if scope["type"] != "http":
        return await inner(scope, receive, send)
    started = [False]

    async def send_noting_start(message):
        if message["type"] == "http.response.start":
            started[0] = True
        await send(message)

    async def answer(problem: ApiProblem) -> None:
        await problem_response(Request(scope), problem)(scope, receive, send_noting_start)

    try:
        refused = refusal(scope)
        if refused is None and scope["path"].startswith("/v1/"):
            refused = await _authenticate(scope)
        if refused is not None:
            return await answer(refused)
        await inner(scope, receive, send_noting_start)
    except Exception as exc:  # noqa: BLE001 - the last place an error can become a problem
        log.error("unexpected %s on %s %s (request %s) at %s", type(exc).__name__, scope["method"],
                  mask_personal_ids(scope.get("raw_path", b"").decode("latin-1")), request_id_of(scope),
                  _where(exc))
        if not started[0]:
            await answer(ApiProblem(500, "internal_error", "Internal error",
                                    f"the server failed on this request; tell its operator: request {request_id_of(scope)}"))


def refusal(scope) -> ApiProblem | None:
    """Why a request's path, query string or headers are refused before routing, or None."""
    path, query = scope["path"], scope.get("query_string", b"")
    if len(path) > MAX_PATH_CHARS or len(query) > MAX_QUERY_BYTES:
        return ApiProblem(414, "uri_too_long", "URI too long",
                          f"paths are at most {MAX_PATH_CHARS} characters and query strings {MAX_QUERY_BYTES} bytes")
    if "\ufffd" in path or _has_control(path):
        return _invalid("the path holds control characters or bytes that are not UTF-8")
    try:
        pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeError:
        return _invalid("the query string is not percent-encoded UTF-8")
    if any(_has_control(name) or _has_control(value) for name, value in pairs):
        return _invalid("the query string holds control characters")
    for name, value in scope.get("headers", ()):
        if any(byte < 0x20 and byte != 0x09 or byte == 0x7F for byte in value):
            return _invalid(f"the header {name.decode('latin-1')} holds control characters")
    return None


def _invalid(detail: str) -> ApiProblem:
    return ApiProblem(422, "invalid_characters", "Invalid characters", detail)


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


async def _authenticate(scope) -> ApiProblem | None:
    """Check the key from the headers, before the route reads a body; the client is kept for the
    route's scope check (`dependencies.require`). A key this process authenticated a moment ago
    is known without leaving the event loop (`AccessStore.cached_client`)."""
    services = scope["app"].state.services
    key = presented_key(Request(scope).headers)
    try:
        client = services.access.cached_client(key) if key else None
        if client is None and key:
            client = await run_in_threadpool(services.access.authenticate, key)
    except SohoaError as exc:
        return sohoa_problem(exc)
    if client is None:
        return unauthorized()
    scope.setdefault("state", {})["client"] = client
    return None


_PACKAGE = Path(__file__).resolve().parents[2]  # pipeline/


def _where(exc: BaseException) -> str:
    """Where an error happened, without its text: the innermost frame of sohoa's own code (and
    the library frame it ended in) as file:line in function."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(_PACKAGE)]

    def shown(frame) -> str:
        return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"

    if not ours or ours[-1] is frames[-1]:
        return shown(frames[-1])
    return f"{shown(ours[-1])} (in {shown(frames[-1])})"
