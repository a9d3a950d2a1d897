"""The FastAPI app: its description, metrics and access log, problem handlers and routers."""

import logging
import time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram

from pipeline import __version__
from pipeline.core.access import mask_personal_ids
from pipeline.service.api.problems import add_problem_handlers
from pipeline.service.api.routes import ROUTERS
from pipeline.service.api.services import ApiServices, build_services
from schemas.api import Problem

access_log = logging.getLogger("sohoa.access")


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
    app.state.metrics = CollectorRegistry()
    app.add_middleware(_Wrap, handler=_measured(app.state.metrics))
    add_problem_handlers(app)
    for routes in ROUTERS:
        app.include_router(routes)
    return app


def _measured(registry: CollectorRegistry):
    """The middleware that counts requests by route, times them and writes the access log."""
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

    return measured


class _Wrap:
    """An ASGI middleware made of one coroutine ``handler(scope, receive, send, inner)``."""

    def __init__(self, app, handler):
        self.app, self.handler = app, handler

    async def __call__(self, scope, receive, send):
        await self.handler(scope, receive, send, self.app)


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory pipeline.service.api:app_from_environment` (what `sohoa serve` runs)."""
    from pipeline.core.runtime import open_runtime

    return create_app(build_services(open_runtime()))
