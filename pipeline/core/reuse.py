"""Reuse: which of a procedure's papers a citizen already has on file, dossiers built from them,
and the figures offices report (digitisation, reuse and signing rates).

A stored document satisfies a dossier component when it belongs to the owner, is of the
component's type, that type is reusable (a form filled for one procedure is not), it is valid on
the day asked, no person still has to check it (status ``needs_review``) and none rejected it. Among several, a
validly signed one wins, then the most recently issued.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.core.access import mask_owner_id
from pipeline.clock import OFFICE_TZ, aware, office_day, office_today, utcnow
from pipeline.errors import DocumentNotFound, SohoaError
from pipeline.stores.index import REJECTED, AuditRecord, Index, signature_status_of
from pipeline.stores.index.figures import FigureCounts
from pipeline.stores.index.tables import dossier_components, dossiers, documents
from schemas.catalog import Catalog, Procedure

log = logging.getLogger(__name__)

REUSED, UPLOADED, MISSING = "reused", "uploaded", "missing"


class UnknownProcedure(DocumentNotFound):
    code = "unknown_procedure"


class DossierNotFound(DocumentNotFound):
    code = "dossier_not_found"


class DossierConflict(SohoaError):
    code = "dossier_conflict"
    exit_code = 2


@dataclass(frozen=True)
class OnFile:
    """A stored document that can stand in for a paper."""

    id: str
    doc_type: str
    signed: bool
    signature_status: str  # signed | indeterminate | unsigned (invalid ones are never on file)
    valid_until: date | None
    issue_date: date | None


@dataclass(frozen=True)
class ComponentCheck:
    doc_type: str
    required: bool
    document: OnFile | None  # None: the citizen must bring it

    @property
    def satisfied(self) -> bool:
        return self.document is not None


@dataclass(frozen=True)
class ProcedureCheck:
    procedure: Procedure
    owner_id: str
    valid_on: date
    components: tuple[ComponentCheck, ...]

    @property
    def missing(self) -> list[str]:
        """Required papers the citizen must still bring."""
        return [c.doc_type for c in self.components if c.required and not c.satisfied]


def procedure_or_error(catalog: Catalog, code: str) -> Procedure:
    try:
        return catalog.procedures[code]
    except KeyError:
        raise UnknownProcedure(f"no procedure {code} in the catalog") from None


def on_file(
    index: Index, catalog: Catalog, owner_id: str, doc_types: Iterable[str], *, valid_on: date,
    audit: AuditRecord | None = None,
) -> dict[str, list[OnFile]]:
    """An owner's reusable documents of these types valid on a day, best first, by type.
    ``audit``: the audit row of this read, written with it (in the same transaction)."""
    wanted = [t for t in dict.fromkeys(doc_types)
              if t in catalog.document_types and catalog.type(t).reusable]
    rows = index.owner_papers(owner_id, wanted, valid_on=valid_on, audit=audit)
    indications: dict[str, set[str]] = defaultdict(set)
    papers = {}
    for r in rows:
        papers[r.id] = r
        if r.indication:
            indications[r.id].add(r.indication)
    found: dict[str, list[OnFile]] = defaultdict(list)
    for r in papers.values():
        state = signature_status_of(indications[r.id]) if indications[r.id] else "unsigned"
        if state == "invalid":
            continue  # a paper whose signature fails validation cannot stand in for the original
        found[r.doc_type].append(OnFile(r.id, r.doc_type, state == "signed", state,
                                        r.valid_until, r.issue_date))
    for items in found.values():
        items.sort(key=lambda d: (d.signed, d.issue_date or date.min), reverse=True)
    return dict(found)


def check_procedure(
    index: Index, catalog: Catalog, procedure_code: str, owner_id: str,
    *, valid_on: date | None = None, audit: AuditRecord | None = None,
) -> ProcedureCheck:
    """For every component of the procedure: the document on file that satisfies it, or none.
    ``audit``: the audit row of this read, written with it (an unknown procedure reads nothing
    and writes no row)."""
    procedure = procedure_or_error(catalog, procedure_code)
    day = valid_on or office_today()
    found = on_file(index, catalog, owner_id, (c.doc_type for c in procedure.components),
                    valid_on=day, audit=audit)
    components = tuple(
        ComponentCheck(c.doc_type, c.required, (found.get(c.doc_type) or [None])[0])
        for c in procedure.components
    )
    check = ProcedureCheck(procedure, owner_id, day, components)
    if log.isEnabledFor(logging.INFO):
        log.info("procedure %s for owner %s: %d of %d required papers on file", procedure.code,
                 mask_owner_id(owner_id), sum(c.satisfied for c in components if c.required),
                 sum(c.required for c in components))
    return check


# --- dossiers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DossierComponent:
    doc_type: str
    required: bool
    source: str  # reused | uploaded | missing
    document_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class DossierRecord:
    code: str
    procedure_code: str
    owner_id: str
    status: str  # complete | incomplete
    created_by: str
    created_at: datetime
    components: tuple[DossierComponent, ...] = field(default=())

    @property
    def missing(self) -> list[str]:
        return [c.doc_type for c in self.components if c.required and c.source == MISSING]


def open_dossier(
    index: Index,
    catalog: Catalog,
    *,
    procedure_code: str,
    owner_id: str,
    created_by: str,
    agency_code: str,
    code: str | None = None,
    attach: Mapping[str, str] | None = None,
    uploads: Mapping[str, str] | None = None,
    reuse: bool = True,
    now: datetime | None = None,
) -> DossierRecord:
    """Open a dossier: each component is an attached document (``attach``: type -> document id,
    by reference, no re-upload), a new upload (``uploads``: type -> upload job id), a document on
    file found by the reuse check (``reuse``), or missing.

    An attached document must exist, belong to the owner and be of the component's type.
    """
    procedure = procedure_or_error(catalog, procedure_code)
    attach = dict(attach or {})
    uploads = dict(uploads or {})
    known = {c.doc_type for c in procedure.components}
    for doc_type in [*attach, *uploads]:
        if doc_type not in known:
            raise DossierConflict(f"procedure {procedure.code} has no component {doc_type!r}")
    for doc_type, document_id in attach.items():
        row = index.get(document_id)
        if row.owner_id != owner_id or row.doc_type != doc_type:
            raise DossierConflict(
                f"document {document_id} is not a {doc_type} of this owner and cannot be attached")
    found = (on_file(index, catalog, owner_id, known,
                     valid_on=office_day(now or utcnow())) if reuse else {})
    components = []
    for c in procedure.components:
        if c.doc_type in attach:
            components.append(DossierComponent(c.doc_type, c.required, REUSED, attach[c.doc_type]))
        elif c.doc_type in uploads:
            components.append(DossierComponent(c.doc_type, c.required, UPLOADED,
                                               job_id=uploads[c.doc_type]))
        elif found.get(c.doc_type):
            components.append(DossierComponent(c.doc_type, c.required, REUSED,
                                               found[c.doc_type][0].id))
        else:
            components.append(DossierComponent(c.doc_type, c.required, MISSING))
    created_at = now or utcnow()
    status = "incomplete" if any(c.required and c.source == MISSING for c in components) else "complete"
    with index.engine.begin() as conn:
        dossier_code = code or _next_dossier_code(conn, agency_code, created_at)
        try:
            conn.execute(insert(dossiers).values(
                code=dossier_code, procedure_code=procedure.code, owner_id=owner_id,
                status=status, created_by=created_by, created_at=created_at))
        except IntegrityError as exc:
            raise DossierConflict(f"dossier {dossier_code} exists already") from exc
        conn.execute(insert(dossier_components), [
            {"dossier_code": dossier_code, "doc_type": c.doc_type, "position": position,
             "required": c.required, "source": c.source, "document_id": c.document_id,
             "job_id": c.job_id}
            for position, c in enumerate(components)
        ])
    log.info("dossier %s opened for procedure %s, owner %s: %s", dossier_code, procedure.code,
             mask_owner_id(owner_id), status)
    return DossierRecord(dossier_code, procedure.code, owner_id, status, created_by, created_at,
                         tuple(components))


def get_dossier(index: Index, code: str) -> DossierRecord:
    with index.engine.connect() as conn:
        head = conn.execute(select(dossiers).where(dossiers.c.code == code)).mappings().first()
        if head is None:
            raise DossierNotFound(f"no dossier {code}")
        parts = conn.execute(
            select(dossier_components).where(dossier_components.c.dossier_code == code)
            .order_by(dossier_components.c.position)
        ).mappings().all()
    components = tuple(
        DossierComponent(p["doc_type"], p["required"], p["source"], p["document_id"], p["job_id"])
        for p in parts
    )
    return DossierRecord(head["code"], head["procedure_code"], head["owner_id"], head["status"],
                         head["created_by"], aware(head["created_at"]), components)


#: The status of a dossier code that only its documents know (ingested with ``--dossier``; nobody
#: opened it at the counter).
UNOPENED = "unopened"


def dossier_of_documents(index: Index, catalog: Catalog, code: str) -> tuple[DossierRecord, list]:
    """A dossier that has no row, as its documents tell it: their procedure (the first that
    names one), owner and first arrival; each component of the procedure uploaded when a paper
    of its type is there. Also the documents. DossierNotFound when no document names the code."""
    papers = index.list(dossier_code=code)
    if not papers:
        raise DossierNotFound(f"no dossier {code}")
    procedure_code = next((p.procedure_code for p in papers if p.procedure_code), None) or ""
    owner_id = next((p.owner_id for p in papers if p.owner_id), None) or ""
    procedure = catalog.procedures.get(procedure_code)
    usable = [p for p in papers if p.status != REJECTED]
    components = []
    for c in procedure.components if procedure else ():
        found = next((p.id for p in usable if p.doc_type == c.doc_type), None)
        components.append(DossierComponent(c.doc_type, c.required, UPLOADED if found else MISSING, found))
    return DossierRecord(code, procedure_code, owner_id, UNOPENED, "",
                         min(p.created_at for p in papers), tuple(components)), papers


def receive_papers(index: Index, code: str) -> DossierRecord:
    """Papers taken in at the counter after the dossier was opened: each stored document of the
    dossier whose type is a component still missing fills it (source ``uploaded``), and the
    dossier is complete once no required component is missing. Idempotent. Called where a paper
    of a dossier is stored or its type confirmed (`paper_of_dossier_changed`), so reading a
    dossier never writes."""
    dossier = get_dossier(index, code)
    missing = {c.doc_type for c in dossier.components if c.source == MISSING}
    if not missing:
        return dossier
    with index.engine.connect() as conn:
        received = conn.execute(
            select(documents.c.id, documents.c.doc_type)
            .where(documents.c.dossier_code == code, documents.c.doc_type.in_(sorted(missing)),
                   documents.c.status != REJECTED)
            .order_by(documents.c.created_at)).all()
    filled = {}
    for r in received:
        filled.setdefault(r.doc_type, r.id)
    if not filled:
        return dossier
    with index.engine.begin() as conn:
        for doc_type, document_id in filled.items():
            conn.execute(update(dossier_components)
                         .where(dossier_components.c.dossier_code == code, dossier_components.c.doc_type == doc_type,
                                dossier_components.c.source == MISSING)
                         .values(source=UPLOADED, document_id=document_id))
        still = {c.doc_type for c in dossier.components if c.required and c.source == MISSING} - set(filled)
        conn.execute(update(dossiers).where(dossiers.c.code == code)
                     .values(status="incomplete" if still else "complete"))
    log.info("dossier %s: %d paper(s) received at the counter", code, len(filled))
    return get_dossier(index, code)

def paper_of_dossier_changed(index: Index, code: str | None) -> None:
    """A document of dossier ``code`` was stored, or its type set by a reviewer: fill the
    component it answers. A code no dossier was opened for (ingested with ``--dossier`` only)
    has nothing to fill."""
    if not code:
        return
    try:
        receive_papers(index, code)
    except DossierNotFound:
        pass


def _next_dossier_code(conn, agency_code: str, moment: datetime) -> str:
    """``<agency code>-<yymmdd>-<sequence>``, e.g. 000.00.24.H29-240515-0001 (DOMAIN.md)."""
    stem = f"{agency_code}-{moment.astimezone(OFFICE_TZ).strftime('%y%m%d')}-"
    count = conn.execute(
        select(func.count()).select_from(dossiers).where(dossiers.c.code.startswith(stem, autoescape=True))
    ).scalar_one()
    return f"{stem}{count + 1:04d}"




# --- figures offices report --------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Stats:
    #: dossiers whose every component handed in is a stored document / dossiers received
    digitisation: Rate
    #: required components satisfied by reuse / all required components of all dossiers
    reuse: Rate
    #: issued results (documents of a procedure's result type) validly signed / all results
    results_signed: Rate
    documents_by_type: dict[str, int]
    documents_by_day: dict[str, int]
    dossiers_by_day: dict[str, int]
    reuse_by_type: dict[str, Rate]


def compute_stats(index: Index, catalog: Catalog, *, since: date | None = None) -> Stats:
    """The office's figures, over dossiers and documents created on or after ``since``, from the
    counts the database keeps (`Index.figure_counts`)."""
    return stats_of(figure_counts(index, catalog, since=since, by_component_type=True), result_types(catalog))


def result_types(catalog: Catalog) -> set[str]:
    return {t for proc in catalog.procedures.values() for t in (proc.result, *proc.also_results)}


def figure_counts(index: Index, catalog: Catalog, *, since: date | None = None,
                  by_component_type: bool = False) -> FigureCounts:
    return index.figure_counts(result_types=result_types(catalog), since=since, by_component_type=by_component_type)


def stats_of(counts: FigureCounts, results: set[str]) -> Stats:
    """The seed KPIs from the database's counts (``results``: the catalog's result types)."""
    by_type: dict[str, int] = defaultdict(int)
    by_day: dict[str, int] = defaultdict(int)
    for doc_type, n in counts.by_type.items():
        by_type[doc_type or "unclassified"] += n
    for d in counts.days:
        by_day[d.day.isoformat()] += d.documents
    dossiers_by_day: dict[str, int] = defaultdict(int)
    for h in counts.dossiers:
        dossiers_by_day[h.day.isoformat()] += h.dossiers
    return Stats(
        digitisation=Rate(sum(h.digitised for h in counts.dossiers), sum(h.dossiers for h in counts.dossiers)),
        reuse=Rate(sum(h.reused for h in counts.dossiers), sum(h.required for h in counts.dossiers)),
        results_signed=Rate(counts.results_signed, sum(n for t, n in by_type.items() if t in results)),
        documents_by_type=dict(sorted(by_type.items())),
        documents_by_day=dict(sorted(by_day.items())),
        dossiers_by_day=dict(sorted(dossiers_by_day.items())),
        reuse_by_type={t: Rate(reused, n) for t, (n, reused) in sorted((counts.reuse_by_type or {}).items())},
    )


