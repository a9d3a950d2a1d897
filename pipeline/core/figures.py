"""The figures of the console's stats page: the seed KPIs (`reuse.stats_of`), the review
backlog, and pages, documents and dossiers per day, week or month, per procedure and per office,
from the database's counts per day (`Index.figure_counts`: GROUP BY, not every row)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.core.reuse import Stats, figure_counts, result_types, stats_of
from pipeline.stores.index import Index
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
    counts = figure_counts(index, catalog, since=since)
    periods: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in counts.days:
        label = period_of(d.day, period)
        periods[label][0] += d.pages
        periods[label][1] += d.documents
    procedures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_office: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for h in counts.dossiers:
        periods[period_of(h.day, period)][2] += h.dossiers
        row = procedures[h.procedure_code]
        row[0] += h.dossiers
        row[1] += h.digitised
        row[2] += h.required
        row[3] += h.reused
        office = counts.offices.get(h.created_by.removeprefix("console:")) or h.created_by
        by_office[office][0] += h.dossiers
        by_office[office][1] += h.digitised
    return Figures(
        stats_of(counts, result_types(catalog)), counts.backlog, period,
        [(label, *values) for label, values in sorted(periods.items())],
        [(code, *values) for code, values in sorted(procedures.items())],
        [(office, *values) for office, values in sorted(by_office.items())],
    )
