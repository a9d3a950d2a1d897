"""The figures offices report, counted by the database (GROUP BY), never by reading every row:
documents and pages per office day (`document_days`, kept by triggers), documents per type, dossiers per office day, procedure and creator with
how many of each were digitised, required and reused papers, signed results, the review backlog."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, case, cast, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import NEEDS_REVIEW, as_date
from pipeline.stores.index.tables import document_days, dossier_components, dossiers, documents, signatures, users

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
    days: list[DayCount]  # documents and pages per office day
    by_type: dict[str | None, int]  # documents per type (None: not classified)
    dossiers: list[DossierCount]
    #: component type -> (required components, of them reused)
    reuse_by_type: dict[str, tuple[int, int]]
    results: int  # documents of a result type
    results_signed: int  # of them, validly signed in their current version
    backlog: int  # documents waiting for a person
    offices: dict[str, str]  # console user name -> office


def _flag(condition: ColumnElement) -> ColumnElement:
    return case((condition, 1), else_=0)


class FiguresIndex(IndexConnection):
    """Counts for the stats of the API and the console's figures."""

    def _office_day(self, column) -> ColumnElement:
        if self.engine.dialect.name == "postgresql":
            return func.date(func.timezone(OFFICE_ZONE, column))
        return func.date(column, f"+{OFFICE_OFFSET_HOURS} hours")

    def figure_counts(self, *, result_types: Collection[str], since: date | None = None) -> FigureCounts:
        """Everything counted from the office day ``since`` (dossiers and documents created on or
        after its midnight in the offices' time)."""
        start = datetime.combine(since, time.min, tzinfo=timezone(timedelta(hours=OFFICE_OFFSET_HOURS))) \
            if since else None
        with self._connect() as conn:
            if self.engine.dialect.name == "postgresql":
                # a plan over a million rows costs enough to be JIT-compiled: ~0.4 s more, for nothing here
                conn.execute(text("SET LOCAL jit = off"))
            return FigureCounts(
                days=self._days(conn, since),
                by_type=self._by_type(conn, start),
                dossiers=self._dossier_counts(conn, start),
                reuse_by_type=self._reuse_by_type(conn, start),
                results=self._results(conn, result_types, start, signed=False),
                results_signed=self._results(conn, result_types, start, signed=True),
                backlog=conn.execute(select(func.count()).select_from(documents)
                                     .where(documents.c.status == NEEDS_REVIEW)).scalar_one(),
                offices=dict(conn.execute(select(users.c.username, users.c.office)).all()),
            )

    def _days(self, conn, since: date | None) -> list[DayCount]:
        query = select(document_days).where(document_days.c.documents > 0).order_by(document_days.c.day)
        if since:
            query = query.where(document_days.c.day >= since)
        return [DayCount(as_date(r.day), r.documents, r.pages) for r in conn.execute(query)]

    def _by_type(self, conn, start: datetime | None) -> dict[str | None, int]:
        query = select(documents.c.doc_type, func.count()).group_by(documents.c.doc_type)  # the doc_type index
        if start:
            query = query.where(documents.c.created_at >= start)
        return dict(conn.execute(query).all())

    def _dossier_counts(self, conn, since) -> list[DossierCount]:
        c = dossier_components.c
        handed = c.source != MISSING
        parts = (select(c.dossier_code,
                        func.sum(_flag(handed)).label("handed"),
                        func.sum(_flag(handed & c.document_id.is_(None))).label("pending"),
                        func.sum(_flag(c.required)).label("required"),
                        func.sum(_flag(c.required & (c.source == REUSED))).label("reused"))
                 .group_by(c.dossier_code).subquery())
        day = self._office_day(dossiers.c.created_at).label("day")
        digitised = _flag((func.coalesce(parts.c.handed, 0) > 0) & (func.coalesce(parts.c.pending, 0) == 0))
        query = (select(day, dossiers.c.procedure_code, dossiers.c.created_by, func.count().label("n"),
                        func.sum(digitised).label("digitised"),
                        func.coalesce(func.sum(parts.c.required), 0).label("required"),
                        func.coalesce(func.sum(parts.c.reused), 0).label("reused"))
                 .outerjoin(parts, parts.c.dossier_code == dossiers.c.code)
                 .group_by(day, dossiers.c.procedure_code, dossiers.c.created_by))
        if since:
            query = query.where(dossiers.c.created_at >= since)
        return [DossierCount(as_date(r.day), r.procedure_code, r.created_by, int(r.n), int(r.digitised or 0),
                             int(r.required), int(r.reused)) for r in conn.execute(query)]

    def _reuse_by_type(self, conn, since) -> dict[str, tuple[int, int]]:
        c = dossier_components.c
        query = (select(c.doc_type, func.count().label("n"), func.sum(_flag(c.source == REUSED)).label("reused"))
                 .where(c.required.is_(True)).group_by(c.doc_type))
        if since:
            query = query.join(dossiers, dossiers.c.code == c.dossier_code).where(dossiers.c.created_at >= since)
        return {r.doc_type: (int(r.n), int(r.reused or 0)) for r in conn.execute(query)}

    def _results(self, conn, result_types: Collection[str], since, *, signed: bool) -> int:
        """Documents of a result type; ``signed``: only those whose current version's signatures
        all passed (`signature_status_of` == "signed")."""
        if not result_types:
            return 0
        if not signed:
            query = select(func.count()).select_from(documents).where(documents.c.doc_type.in_(sorted(result_types)))
            if since:
                query = query.where(documents.c.created_at >= since)
            return conn.execute(query).scalar_one()
        inner = (select(signatures.c.document_id)
                 .join(documents, (documents.c.id == signatures.c.document_id)
                       & (documents.c.version == signatures.c.version))
                 .where(documents.c.doc_type.in_(sorted(result_types)))
                 .group_by(signatures.c.document_id)
                 .having(func.sum(cast(_flag(signatures.c.indication != "TOTAL_PASSED"), Integer)) == 0))
        if since:
            inner = inner.where(documents.c.created_at >= since)
        return conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one()
