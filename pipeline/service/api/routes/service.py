"""Liveness, readiness and the Prometheus metrics."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.service.api.dependencies import Services
from pipeline.service.api.problems import ApiProblem
from schemas.api import Problem

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
