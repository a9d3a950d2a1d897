"""The figures offices report, read from counts the database keeps as rows change (migration
0009: `document_days`, `dossier_days`), never by reading every document: documents and
pages per office day and type, dossiers per office day, procedure and creator with
how many of each were digitised, required and reused papers, signed results, the review backlog."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, case, cast, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import NEEDS_REVIEW, as_date
from pipeline.stores.index.tables import (
    document_days,
    dossier_components,
    dossier_days,
    dossiers,
    documents,
    signatures,
    users,
)

#: The offices' clock (Vietnam keeps UTC+7 all year, no summer time): a stored moment's day.
OFFICE_ZONE, OFFICE_OFFSET_HOURS = "Asia/Ho_Chi_Minh", 7
MISSING, REUSED = "missing", "reused"


@dataclass(frozen=True)
class DayCount:
    day: date
    documents: int
    pages: int


@dataclass(frozen=True)
class DossierCount:
    day: date
    procedure_code: str
    created_by: str
    dossiers: int
    digitised: int  # every paper handed in is a stored document
    required: int  # required components
    reused: int  # required components taken from file


@dataclass(frozen=True)
class FigureCounts:
    days: list[DayCount]  # documents and pages per office day, oldest first
    by_type: dict[str | None, int]  # documents per type (None: no type)
    dossiers: list[DossierCount]
    #: component type -> (required components, of them reused); only when asked for
    reuse_by_type: dict[str, tuple[int, int]] | None
    results_signed: int  # of them, validly signed in their current version
    backlog: int  # documents waiting for a person
    offices: dict[str, str]  # console user name -> office


def _flag(condition: ColumnElement) -> ColumnElement:
    return case((condition, 1), else_=0)


class FiguresIndex(IndexConnection):
    """Counts for the stats of the API and the console's figures."""

    def figure_counts(self, *, result_types: Collection[str], since: date | None = None,
                      by_component_type: bool = False) -> FigureCounts:
        """Everything counted from the office day ``since`` (dossiers and documents created on or
        after its midnight in the offices' time); ``by_component_type`` adds required and reused
        components per type (a pass over every component: for the API's stats)."""
        start = datetime.combine(since, time.min, tzinfo=timezone(timedelta(hours=OFFICE_OFFSET_HOURS))) \
            if since else None
        with self._connect() as conn:
            if self.engine.dialect.name == "postgresql":
                # a plan over many rows costs enough to be JIT-compiled: ~0.4 s more, for nothing here
                conn.execute(text("SET LOCAL jit = off"))
            return FigureCounts(
                days=self._days(conn, since),
                by_type=self._by_type(conn, since),
                dossiers=self._dossier_counts(conn, start),
                reuse_by_type=self._reuse_by_type(conn, start) if by_component_type else None,
                results_signed=self._results_signed(conn, result_types, start),
                backlog=conn.execute(select(func.count()).select_from(documents)
                                     .where(documents.c.status == NEEDS_REVIEW)).scalar_one(),
                offices=dict(conn.execute(select(users.c.username, users.c.office)).all()),
            )

    def _days(self, conn, since: date | None) -> list[DayCount]:
        t = document_days.c
        query = select(t.day, func.sum(t.documents).label("n"), func.sum(t.pages).label("pages")).group_by(t.day)
        if since:
            query = query.where(t.day >= since)
        return [DayCount(as_date(r.day), int(r.n), int(r.pages)) for r in conn.execute(query.order_by(t.day)) if r.n]

    def _by_type(self, conn, since: date | None) -> dict[str | None, int]:
        t = document_days.c
        query = select(t.doc_type, func.sum(t.documents).label("n")).group_by(t.doc_type)
        if since:
            query = query.where(t.day >= since)
        return {r.doc_type or None: int(r.n) for r in conn.execute(query) if r.n}

    def _dossier_counts(self, conn, start: datetime | None) -> list[DossierCount]:
        query = select(dossier_days).where(dossier_days.c.dossiers > 0)
        if start:
            query = query.where(dossier_days.c.day >= start.date())
        return [DossierCount(as_date(r.day), r.procedure_code, r.created_by, r.dossiers, r.digitised, r.required,
                             r.reused) for r in conn.execute(query)]

    def _reuse_by_type(self, conn, start: datetime | None) -> dict[str, tuple[int, int]]:
        c = dossier_components.c
        query = (select(c.doc_type, func.count().label("n"), func.sum(_flag(c.source == REUSED)).label("reused"))
                 .where(c.required.is_(True)).group_by(c.doc_type))
        if start:
            query = query.join(dossiers, dossiers.c.code == c.dossier_code).where(dossiers.c.created_at >= start)
        return {r.doc_type: (int(r.n), int(r.reused or 0)) for r in conn.execute(query)}

    def _results_signed(self, conn, result_types: Collection[str], start: datetime | None) -> int:
        """Documents of a result type whose current version's signatures all passed
        (`signature_status_of` == "signed"): from the signatures, which are few."""
        if not result_types:
            return 0
        inner = (select(signatures.c.document_id)
                 .join(documents, (documents.c.id == signatures.c.document_id)
                       & (documents.c.version == signatures.c.version))
                 .where(documents.c.doc_type.in_(sorted(result_types)))
                 .group_by(signatures.c.document_id)
                 .having(func.sum(cast(_flag(signatures.c.indication != "TOTAL_PASSED"), Integer)) == 0))
        if start:
            inner = inner.where(documents.c.created_at >= start)
        return conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one()
