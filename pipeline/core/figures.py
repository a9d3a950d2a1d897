"""The figures of the console's stats page: the seed KPIs (`reuse.compute_stats`), the review
backlog, and pages, documents and dossiers per day, week or month, per procedure and per office."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from pipeline.clock import office_day
from pipeline.core.reuse import MISSING, REUSED, Stats, compute_stats
from pipeline.stores.index import NEEDS_REVIEW, Index
from pipeline.stores.index.tables import dossier_components, dossiers, documents, users
from schemas.catalog import Catalog

PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class Figures:
    stats: Stats
    backlog: int
    period: str
    #: period label -> (pages, documents, dossiers), oldest first
    by_period: list[tuple[str, int, int, int]]
    #: procedure code -> (dossiers, digitised, required papers, reused)
    by_procedure: list[tuple[str, int, int, int, int]]
    #: office -> (dossiers, digitised)
    by_office: list[tuple[str, int, int]]


def period_of(day: date, period: str) -> str:
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
    return day.isoformat()


def compute_figures(index: Index, catalog: Catalog, *, period: str = "day", since: date | None = None) -> Figures:
    stats = compute_stats(index, catalog, since=since)
    with index.engine.connect() as conn:
        backlog = conn.execute(select(func.count()).select_from(documents)
                               .where(documents.c.status == NEEDS_REVIEW)).scalar_one()
        docs = conn.execute(select(documents.c.created_at, documents.c.pages)).all()
        heads = conn.execute(select(dossiers.c.code, dossiers.c.procedure_code, dossiers.c.created_at,
                                    dossiers.c.created_by)).all()
        parts = conn.execute(select(dossier_components.c.dossier_code, dossier_components.c.required,
                                    dossier_components.c.source, dossier_components.c.document_id)).all()
        offices = dict(conn.execute(select(users.c.username, users.c.office)).all())
    periods: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in docs:
        label = period_of(office_day(d.created_at), period)
        periods[label][0] += d.pages
        periods[label][1] += 1
    for h in heads:
        periods[period_of(office_day(h.created_at), period)][2] += 1
    parts_of = defaultdict(list)
    for p in parts:
        parts_of[p.dossier_code].append(p)
    procedures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_office: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for h in heads:
        handed = [p for p in parts_of[h.code] if p.source != MISSING]
        digitised = bool(handed) and all(p.document_id for p in handed)
        row = procedures[h.procedure_code]
        row[0] += 1
        row[1] += digitised
        row[2] += sum(p.required for p in parts_of[h.code])
        row[3] += sum(p.required and p.source == REUSED for p in parts_of[h.code])
        creator = h.created_by.removeprefix("console:")
        office = offices.get(creator) or h.created_by
        by_office[office][0] += 1
        by_office[office][1] += digitised
    return Figures(
        stats, backlog, period,
        [(label, *values) for label, values in sorted(periods.items())],
        [(code, *values) for code, values in sorted(procedures.items())],
        [(office, *values) for office, values in sorted(by_office.items())],
    )
