"""The FastAPI app: its description, middleware (request id, metrics, access log, the guard),
problem handlers, routers and the docs page served from the package (no CDN)."""

from pathlib import Path

import swagger_ui_bundle
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from pipeline import __version__
from pipeline.service.api.dependencies import single_valued_query
from pipeline.service.api.middleware import Wrap, guarded, measured
from pipeline.service.api.problems import add_problem_handlers
from pipeline.service.api.routes import ROUTERS
from pipeline.service.api.services import ApiServices, build_services
from pipeline.service.console import build_console_services, mount_console
from schemas.api import Problem

DOCS_ASSETS = "/docs/assets"


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
        dependencies=[Depends(single_valued_query)],
        docs_url=None, redoc_url=None,  # the docs page below loads nothing from outside
    )
    app.state.services = services
    app.state.metrics = CollectorRegistry()
    # the last added runs first: measured (request id, metrics, access log) wraps guarded
    app.add_middleware(Wrap, handler=guarded)
    app.add_middleware(Wrap, handler=measured(app.state.metrics))
    add_problem_handlers(app)
    for routes in ROUTERS:
        app.include_router(routes)
    add_docs(app)
    # the web console for people, under /console/, over the same runtime and upload runner
    mount_console(app, build_console_services(services.runtime, services.uploads, services.access))
    return app


def add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs with its script and stylesheet from the swagger-ui-bundle package: on
    a closed government network a CDN cannot be reached and the page would stay blank."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} — docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory pipeline.service.api:app_from_environment` (what `sohoa serve` runs)."""
    from pipeline.core.runtime import open_runtime
    from pipeline.core.trust import start_trust_revalidation

    runtime = open_runtime()
    app = create_app(build_services(runtime))
    # stored signature statuses follow SOHOA_TRUST_ROOTS; in the background, one server of many
    app.state.trust_revalidation = start_trust_revalidation(runtime)
    return app
