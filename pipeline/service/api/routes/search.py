"""Full-text search and the office's figures."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pipeline.core.reuse import compute_stats
from pipeline.core.access import ApiClient
from pipeline.service.api.dependencies import Purpose, Services, admin, audit, check_type, read, stated_purpose
from pipeline.service.api.shapes import rate_out
from schemas.api import OWNER_ID_PATTERN, SearchHitOut, StatsOut

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
