"""The web console for counter and archive staff (issue 15): server-rendered pages (Jinja2 and
htmx, served from the package) under /console/ of the same `sohoa serve` app as the API, over the
same runtime. Vietnamese first, English by a switch; every message from `i18n.MESSAGES`."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from pipeline.core.people import session_secret
from pipeline.errors import DocumentNotFound, SohoaError, StorageUnavailable
from pipeline.service.console.routes import ROUTERS
from pipeline.service.console.services import ConsoleServices, build_console_services
from pipeline.service.console.sessions import ConsoleSessions, SessionCodec
from pipeline.service.console.web import ConsoleRefusal, csrf_checked, login_redirect, page

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"


def create_console(services: ConsoleServices) -> FastAPI:
    console = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(csrf_checked)])
    console.state.services = services
    console.mount("/static", CachedStatic(directory=STATIC), name="static")
    for routes in ROUTERS:
        console.include_router(routes)
    add_error_pages(console)
    settings = services.settings
    codec = SessionCodec(session_secret(settings), idle_seconds=settings.console_idle_minutes * 60,
                         secure=settings.console_secure_cookie)
    console.add_middleware(ConsoleSessions, codec=codec)
    console.add_middleware(ServerTiming)
    return console


class ServerTiming:
    """``Server-Timing: app;dur=…``: the milliseconds the console took before its answer's first
    byte (session, handler, template), for the browser's developer tools and bench_console.py."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()

        async def timed(message):
            if message["type"] == "http.response.start":
                spent = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message = {**message, "headers": [*message.get("headers", ()), (b"server-timing", spent)]}
            await send(message)

        await self.app(scope, receive, timed)


def mount_console(app: FastAPI, services: ConsoleServices) -> None:
    console = create_console(services)
    app.mount(PREFIX, console)

    @app.get(PREFIX, include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=307)


class CachedStatic(StaticFiles):
    """htmx, the stylesheet and the script change only with a release: cached for a day, then
    checked again by ETag."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def add_error_pages(console: FastAPI) -> None:
    def error_page(request: Request, status: int, key: str) -> HTMLResponse:
        return page(request).render("error.html", status=status, message_key=key)

    @console.exception_handler(ConsoleRefusal)
    def refused(request: Request, exc: ConsoleRefusal):
        if exc.login:
            return login_redirect(request, exc.message_key)
        return error_page(request, exc.status, exc.message_key)

    @console.exception_handler(DocumentNotFound)
    def not_found(request: Request, exc: DocumentNotFound):
        return error_page(request, 404, "error.not_found")

    @console.exception_handler(StorageUnavailable)
    def storage(request: Request, exc: StorageUnavailable):
        return error_page(request, 503, "error.storage")

    @console.exception_handler(404)
    def no_route(request: Request, exc):
        return error_page(request, 404, "error.not_found")

    @console.exception_handler(SohoaError)
    def other(request: Request, exc: SohoaError):
        return error_page(request, 422, "error.not_found")


__all__ = ["ConsoleServices", "build_console_services", "create_console", "mount_console"]
