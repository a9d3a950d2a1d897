"""Metadata index: one row per stored document, its classification, corrections and versions.

SQLite is the embedded default; PostgreSQL is the production index (``postgresql+psycopg://…``).
The schema is owned by the Alembic migrations in ``pipeline/stores/migrations``: the embedded SQLite is
upgraded when it is opened; a PostgreSQL index must already be at head (``sohoa db upgrade``), so
that many workers never race to change a shared schema.

Full-text search is accent-insensitive the way a Vietnamese user expects ("quyet dinh xay dung"
finds "Quyết định … xây dựng"): Python folds title and text (NFC, lower case, tone and vowel marks
dropped, đ→d) into the ``search_title``/``search_text`` columns at write time, the same on both
backends. SQLite indexes them with an FTS5 table kept in sync by triggers; PostgreSQL with a
generated ``tsvector`` column under a GIN index, ranked by ``ts_rank_cd``. The snippet is cut by
Python from the original (accented) text at the place the folded query matched.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index as SqlIndex,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    or_,
    text as sql_text,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from pipeline.clock import aware as _aware
from pipeline.clock import utcnow
from pipeline.errors import DocumentNotFound, StorageUnavailable
from pipeline.textnorm import fold_aligned

#: The status a classifier gives a document a person must look at.
NEEDS_REVIEW = "needs_review"
REJECTED = "rejected"  # a reviewer found it is not a usable paper: never on file

metadata = MetaData()

# The table definitions below describe the schema at head for queries; the migrations create it.
documents = Table(
    "documents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("input_kind", String(32), nullable=False),
    Column("dossier_code", String(128), index=True),
    Column("owner_id", String(32)),  # first column of ix_documents_owner_type_valid
    Column("procedure_code", String(64)),
    Column("title", Text),
    Column("pages", Integer, nullable=False),
    Column("ocr_confidence", Float),
    Column("status", String(32), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("original_key", Text, nullable=False),
    Column("searchable_key", Text, nullable=False),
    Column("ocr_key", Text, nullable=False),
    Column("searchable_sha256", String(64), nullable=False),
    Column("ocr_sha256", String(64), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("stage_seconds", Text, nullable=False, default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # classification (0002)
    Column("doc_type", String(64)),
    Column("type_confidence", Float),
    Column("type_reason", Text),
    Column("fields", Text, nullable=False, default="{}"),
    Column("valid_until", Date),
    Column("issue_date", Date),
    Column("review_note", Text),
    # search (0002): folded words written by Python; see search_words()
    Column("search_title", Text, nullable=False, default=""),
    Column("search_text", Text, nullable=False, default=""),
    SqlIndex("ix_documents_owner_type_valid", "owner_id", "doc_type", "valid_until"),
    SqlIndex("ix_documents_status", "status"),
    SqlIndex("ix_documents_doc_type", "doc_type"),
    SqlIndex("ix_documents_issue_date", "issue_date"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", String(32), ForeignKey("documents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # 'type' | 'field'
    Column("name", String(64), nullable=False),  # 'doc_type' or the field's name
    Column("old_value", Text),
    Column("new_value", Text),
    Column("corrected_by", String(128), nullable=False),
    Column("corrected_at", DateTime(timezone=True), nullable=False),
)

document_versions = Table(
    "document_versions",
    metadata,
    Column("document_id", String(32), ForeignKey("documents.id", ondelete="CASCADE"),
           nullable=False),
    Column("version", Integer, nullable=False),
    Column("variant", String(32), nullable=False),  # original | searchable | ocr | signed…
    Column("key", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("document_id", "version", "variant"),
)

# Signature validation results per document version (0004): one row per signature or document
# timestamp found in that version's PDF; `report` is the SignatureResult as JSON.
signatures = Table(
    "signatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # No foreign key: rows are written only for indexed documents (record_signature checks), and
    # a key would stop `TRUNCATE documents, …` lists that do not name this table.
    Column("document_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("field_name", Text, nullable=False),
    Column("indication", String(16), nullable=False),  # TOTAL_PASSED | INDETERMINATE | TOTAL_FAILED
    Column("sub_indication", String(64)),
    Column("signer", Text),  # subject DN of the signing certificate
    Column("signed_at", DateTime(timezone=True)),  # timestamp time, else the claimed time
    Column("level", String(8)),  # PAdES level reached: B-B | B-T | B-LT | B-LTA
    Column("report", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    SqlIndex("ix_signatures_document_version", "document_id", "version"),
)

#: What `Index.signature_status` answers for a document.
SIGNATURE_STATUSES = ("unsigned", "signed", "indeterminate", "invalid")

# SQLite's FTS5 table over search_title/search_text (made by the migrations, never by create_all).
_documents_fts = Table("documents_fts", MetaData(), Column("document_id", String(32)))

#: Columns of `documents` that are not DocumentRow fields.
_INTERNAL_COLUMNS = ("search_title", "search_text")


SEARCH_RANK_CANDIDATES = 1000
SEARCH_FUZZY_LIMIT = 20000


class DuplicateDocument(Exception):
    def __init__(self, existing_id: str):
        super().__init__(existing_id)
        self.existing_id = existing_id


class SchemaNotCurrent(StorageUnavailable):
    """The PostgreSQL index is older (or newer) than this version of sohoa expects."""

    code = "schema_not_current"


@dataclass(frozen=True)
class DocumentRow:
    id: str
    sha256: str
    source: str
    filename: str
    media_type: str
    input_kind: str
    dossier_code: str | None
    owner_id: str | None
    procedure_code: str | None
    title: str | None
    pages: int
    ocr_confidence: float | None
    status: str
    version: int
    original_key: str
    searchable_key: str
    ocr_key: str
    searchable_sha256: str
    ocr_sha256: str
    text: str
    stage_seconds: dict[str, float]
    created_at: datetime
    doc_type: str | None = None
    type_confidence: float | None = None
    type_reason: str | None = None
    #: name -> {"value": …, "confidence": float, "page": int, "bbox": [x0, y0, x1, y1]}
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    valid_until: date | None = None
    issue_date: date | None = None
    review_note: str | None = None

    def public(self) -> dict[str, Any]:
        """The record as shown to users (`sohoa show --json`), without the full text."""
        record = {k: v for k, v in self.__dict__.items() if k != "text"}
        for name, value in record.items():
            if isinstance(value, date | datetime):
                record[name] = value.isoformat()
        return record


@dataclass(frozen=True)
class SearchHit:
    document_id: str
    title: str | None
    snippet: str  # original text around the first match, matched words in [brackets]
    rank: float  # higher is better; comparable within one result list only
    doc_type: str | None
    owner_id: str | None
    dossier_code: str | None
    issue_date: date | None


@dataclass(frozen=True)
class Correction:
    id: int
    document_id: str
    kind: str
    name: str
    old_value: str | None
    new_value: str | None
    corrected_by: str
    corrected_at: datetime


@dataclass(frozen=True)
class SignatureRecord:
    """One validated signature of one stored version."""

    document_id: str
    version: int
    field_name: str
    indication: str
    sub_indication: str | None
    signer: str | None
    signed_at: datetime | None
    level: str | None
    report: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ObjectRef:
    """One stored object an index row points at, with the sha256 recorded for it."""

    document_id: str
    version: int
    variant: str
    key: str
    sha256: str


class Index:
    """The metadata index.

    ``upgrade``: apply pending migrations when opening. Always done for SQLite (embedded, one
    owner); for PostgreSQL it defaults to False and an outdated schema raises SchemaNotCurrent.
    """

    def __init__(self, url: str, *, upgrade: bool | None = None):
        self.url = url
        self.engine: Engine = _engine(url)
        is_sqlite = self.engine.dialect.name == "sqlite"
        try:
            if upgrade or (upgrade is None and is_sqlite):
                _upgrade_engine(self.engine)
            else:
                _check_at_head(self.engine, self.safe_url)
        except OperationalError as exc:
            self.engine.dispose()
            raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # --- documents -------------------------------------------------------------------------

    def find_by_sha256(self, sha256: str) -> str | None:
        with self._connect() as conn:
            return conn.execute(
                select(documents.c.id).where(documents.c.sha256 == sha256)
            ).scalar_one_or_none()

    def add(self, row: DocumentRow) -> None:
        """Insert one document in one transaction; a row with the same content is a duplicate."""
        values = _values(row)
        objects = [
            ("original", row.original_key, row.sha256),
            ("searchable", row.searchable_key, row.searchable_sha256),
            ("ocr", row.ocr_key, row.ocr_sha256),
        ]
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(documents).values(**values))
                conn.execute(insert(document_versions), [
                    {"document_id": row.id, "version": row.version, "variant": variant,
                     "key": key, "sha256": sha, "created_at": row.created_at}
                    for variant, key, sha in objects
                ])
        except IntegrityError as exc:
            existing = self.find_by_sha256(row.sha256)
            if existing:
                raise DuplicateDocument(existing) from exc
            raise
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc

    def get(self, document_id: str) -> DocumentRow:
        with self._connect() as conn:
            found = conn.execute(
                _select_rows().where(documents.c.id == document_id)
            ).mappings().first()
            if found is None and len(document_id) >= 6:
                # Like git, an unambiguous prefix names a document.
                matches = conn.execute(
                    _select_rows().where(documents.c.id.startswith(document_id)).limit(2)
                ).mappings().all()
                found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise DocumentNotFound(f"no document {document_id}")
        return _row(found)

    def list(self, *, dossier_code: str | None = None) -> list[DocumentRow]:
        query = _select_rows().order_by(documents.c.dossier_code, documents.c.created_at)
        if dossier_code:
            query = query.where(documents.c.dossier_code == dossier_code)
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    def find_for_owner(
        self,
        owner_id: str,
        doc_types: Sequence[str] | None = None,
        *,
        valid_on: date | None = None,
    ) -> list[DocumentRow]:
        """Documents of one owner, optionally of these types, valid on a day (default: today).

        A document without ``valid_until`` does not expire. Served by the
        (owner_id, doc_type, valid_until) index.
        """
        day = valid_on or date.today()
        query = (
            _select_rows()
            .where(documents.c.owner_id == owner_id)
            .where(or_(documents.c.valid_until.is_(None), documents.c.valid_until >= day))
            .order_by(documents.c.doc_type, documents.c.issue_date.desc(), documents.c.id)
        )
        if doc_types is not None:
            query = query.where(documents.c.doc_type.in_(list(doc_types)))
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    # --- classification and review -----------------------------------------------------------

    def set_classification(
        self,
        document_id: str,
        doc_type: str | None,
        confidence: float | None,
        reason: str | None,
        fields: Mapping[str, Mapping[str, Any]] | None = None,
        status: str | None = None,
        owner_id: str | None = None,
        valid_until: date | None = None,
        issue_date: date | None = None,
        review_note: str | None = None,
    ) -> None:
        """Record what the classifier and extractor found.

        ``status`` and ``owner_id`` are kept as they were when given as None (the owner may come
        from the dossier's manifest); the other values are replaced.
        """
        values: dict[str, Any] = {
            "doc_type": doc_type,
            "type_confidence": confidence,
            "type_reason": reason,
            "fields": _dump_fields(fields or {}),
            "valid_until": valid_until,
            "issue_date": issue_date,
            "review_note": review_note,
        }
        if status is not None:
            values["status"] = status
        if owner_id is not None:
            values["owner_id"] = owner_id
        self._update(document_id, values)

    def set_status(self, document_id: str, status: str, review_note: str | None = None) -> None:
        """E.g. a reviewer accepts a document: ``set_status(id, "stored", "checked by …")``."""
        self._update(document_id, {"status": status, "review_note": review_note})

    def list_needing_review(self, *, limit: int | None = None) -> list[DocumentRow]:
        query = (
            _select_rows()
            .where(documents.c.status == NEEDS_REVIEW)
            .order_by(documents.c.created_at, documents.c.id)
        )
        if limit:
            query = query.limit(limit)
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    def record_correction(
        self,
        document_id: str,
        kind: str,
        name: str,
        new_value: str | None,
        corrected_by: str,
        *,
        old_value: str | None = None,
        corrected_at: datetime | None = None,
    ) -> Correction:
        """Record a person's correction and apply it to the document, in one transaction.

        ``kind`` is ``"type"`` (``name`` is ``"doc_type"``) or ``"field"`` (``name`` is the field).
        ``old_value`` defaults to the value the index held. A corrected value gets confidence 1.0;
        a corrected field keeps the page and box where it was read. Applying the same correction
        twice leaves the same document.
        """
        if kind not in ("type", "field"):
            raise ValueError(f"correction kind must be 'type' or 'field', not {kind!r}")
        when = corrected_at or utcnow()
        try:
            with self.engine.begin() as conn:
                current = conn.execute(
                    select(documents.c.doc_type, documents.c.fields)
                    .where(documents.c.id == document_id)
                ).first()
                if current is None:
                    raise DocumentNotFound(f"no document {document_id}")
                if kind == "type":
                    previous = current.doc_type
                    changes = {"doc_type": new_value, "type_confidence": 1.0,
                               "type_reason": f"corrected by {corrected_by}"}
                else:
                    fields = json.loads(current.fields or "{}")
                    entry = dict(fields.get(name) or {})
                    previous = entry.get("value")
                    entry.update(value=new_value, confidence=1.0)
                    fields[name] = entry
                    changes = {"fields": _dump_fields(fields)}
                    # Fields the index also keeps as columns (owner lookups, validity) follow.
                    if name == "owner_id":
                        changes["owner_id"] = new_value
                    elif name in ("valid_until", "issue_date"):
                        changes[name] = date.fromisoformat(new_value) if new_value else None
                if old_value is None and previous is not None:
                    old_value = str(previous)
                conn.execute(update(documents).where(documents.c.id == document_id)
                             .values(**changes))
                new_id = conn.execute(insert(corrections).values(
                    document_id=document_id, kind=kind, name=name, old_value=old_value,
                    new_value=new_value, corrected_by=corrected_by, corrected_at=when,
                )).inserted_primary_key[0]
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        return Correction(new_id, document_id, kind, name, old_value, new_value, corrected_by,
                          when)

    def correction_labels(self) -> list[tuple[str, str]]:
        """(document text, corrected type) for every document a person re-typed: training labels."""
        latest: dict[str, str] = {}
        with self._connect() as conn:
            for document_id, value in conn.execute(
                select(corrections.c.document_id, corrections.c.new_value)
                .where(corrections.c.kind == "type")
                .order_by(corrections.c.corrected_at, corrections.c.id)
            ):
                latest[document_id] = value
            if not latest:
                return []
            texts = dict(conn.execute(
                select(documents.c.id, documents.c.text).where(documents.c.id.in_(list(latest)))
            ).all())
        return [(texts[i], label) for i, label in latest.items() if texts.get(i) and label]

    def corrections(self, document_id: str) -> list[Correction]:
        with self._connect() as conn:
            rows = conn.execute(
                select(corrections).where(corrections.c.document_id == document_id)
                .order_by(corrections.c.corrected_at, corrections.c.id)
            ).mappings().all()
        return [Correction(**{**r, "corrected_at": _aware(r["corrected_at"])}) for r in rows]

    # --- versions ------------------------------------------------------------------------------

    def add_version(self, document_id: str, objects: Mapping[str, tuple[str, str]]) -> int:
        """Record a new version (e.g. a signed PDF) made of ``variant -> (key, sha256)``.

        Returns the new version number; the document's current searchable/ocr keys follow the
        variants given under those names. Earlier versions stay listed in `document_versions`.
        """
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                current = conn.execute(
                    select(documents.c.version).where(documents.c.id == document_id)
                    .with_for_update()
                ).scalar_one_or_none()
                if current is None:
                    raise DocumentNotFound(f"no document {document_id}")
                version = current + 1
                conn.execute(insert(document_versions), [
                    {"document_id": document_id, "version": version, "variant": variant,
                     "key": key, "sha256": sha, "created_at": now}
                    for variant, (key, sha) in objects.items()
                ])
                changes: dict[str, Any] = {"version": version}
                for variant in ("searchable", "ocr"):
                    if variant in objects:
                        changes[f"{variant}_key"], changes[f"{variant}_sha256"] = objects[variant]
                conn.execute(update(documents).where(documents.c.id == document_id)
                             .values(**changes))
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        return version

    # --- signatures ----------------------------------------------------------------------------

    def record_signature(
        self, document_id: str, version: int, results: Sequence[Mapping[str, Any]]
    ) -> None:
        """Record the validation of `version`'s signatures (each a `SignatureResult` as a dict,
        as `model_dump(mode="json")` gives it), replacing an earlier validation of that version.
        An empty `results` records nothing: the version is unsigned."""
        now = utcnow()
        rows = [
            {
                "document_id": document_id, "version": version,
                "field_name": r["field_name"], "indication": r["indication"],
                "sub_indication": r.get("sub_indication"), "signer": r.get("signer"),
                "signed_at": _parse_time(r.get("timestamp_time") or r.get("claimed_signing_time")),
                "level": r.get("pades_level"),
                "report": json.dumps(r, ensure_ascii=False, default=str, sort_keys=True),
                "created_at": now,
            }
            for r in results
        ]
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(
                    select(documents.c.id).where(documents.c.id == document_id)
                ).scalar_one_or_none()
                if exists is None:
                    raise DocumentNotFound(f"no document {document_id}")
                conn.execute(signatures.delete().where(
                    (signatures.c.document_id == document_id) & (signatures.c.version == version)))
                if rows:
                    conn.execute(insert(signatures), rows)
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc

    def signatures(self, document_id: str, version: int | None = None) -> list[SignatureRecord]:
        """Recorded signatures of a document, oldest version first (or of one version)."""
        query = select(signatures).where(signatures.c.document_id == document_id)
        if version is not None:
            query = query.where(signatures.c.version == version)
        with self._connect() as conn:
            rows = conn.execute(
                query.order_by(signatures.c.version, signatures.c.id)).mappings().all()
        return [
            SignatureRecord(
                document_id=r["document_id"], version=r["version"], field_name=r["field_name"],
                indication=r["indication"], sub_indication=r["sub_indication"],
                signer=r["signer"],
                signed_at=_aware(r["signed_at"]) if r["signed_at"] else None,
                level=r["level"], report=json.loads(r["report"]),
                created_at=_aware(r["created_at"]),
            )
            for r in rows
        ]

    def signature_status(self, document_id: str) -> str:
        """`unsigned` (no signature recorded for the current version), `signed` (all
        TOTAL_PASSED), `invalid` (any TOTAL_FAILED) or `indeterminate`."""
        current = self.get(document_id)
        return self.signature_statuses([current.id]).get(current.id, "unsigned")

    def signature_statuses(self, document_ids: Sequence[str]) -> dict[str, str]:
        """`signature_status` of many documents in one query; unsigned ones are left out."""
        if not document_ids:
            return {}
        query = (
            select(signatures.c.document_id, signatures.c.indication)
            .join(documents, (documents.c.id == signatures.c.document_id)
                  & (documents.c.version == signatures.c.version))
            .where(signatures.c.document_id.in_(list(document_ids)))
        )
        found: dict[str, set[str]] = {}
        with self._connect() as conn:
            for document_id, indication in conn.execute(query):
                found.setdefault(document_id, set()).add(indication)
        return {document_id: signature_status_of(indications)
                for document_id, indications in found.items()}

    def object_refs(self, ids: Sequence[str] | None = None) -> Iterator[ObjectRef]:
        """Every object the index points at (current keys and all recorded versions), once each."""
        current = select(documents.c.id, documents.c.version, documents.c.sha256,
                         documents.c.original_key, documents.c.searchable_key,
                         documents.c.searchable_sha256, documents.c.ocr_key,
                         documents.c.ocr_sha256).order_by(documents.c.id)
        versions = select(document_versions).order_by(
            document_versions.c.document_id, document_versions.c.version)
        if ids is not None:
            current = current.where(documents.c.id.in_(list(ids)))
            versions = versions.where(document_versions.c.document_id.in_(list(ids)))
        seen: set[tuple[str, str]] = set()
        with self._connect() as conn:
            for r in conn.execution_options(yield_per=1000).execute(current):
                for variant, key, sha in (("original", r.original_key, r.sha256),
                                          ("searchable", r.searchable_key, r.searchable_sha256),
                                          ("ocr", r.ocr_key, r.ocr_sha256)):
                    if (key, sha) not in seen:
                        seen.add((key, sha))
                        yield ObjectRef(r.id, r.version, variant, key, sha)
            for r in conn.execution_options(yield_per=1000).execute(versions):
                if (r.key, r.sha256) not in seen:
                    seen.add((r.key, r.sha256))
                    yield ObjectRef(r.document_id, r.version, r.variant, r.key, r.sha256)

    # --- search --------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        doc_type: str | None = None,
        owner_id: str | None = None,
        dossier_code: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Documents containing every word of ``query``, accents and case ignored, best first.

        ``date_from``/``date_to`` bound the document's issue date (inclusive).
        """
        terms = search_terms(query)
        if not terms:
            return []
        filters = []
        if doc_type:
            filters.append(documents.c.doc_type == doc_type)
        if owner_id:
            filters.append(documents.c.owner_id == owner_id)
        if dossier_code:
            filters.append(documents.c.dossier_code == dossier_code)
        if date_from:
            filters.append(documents.c.issue_date >= date_from)
        if date_to:
            filters.append(documents.c.issue_date <= date_to)
        columns = [documents.c.id, documents.c.title, documents.c.text, documents.c.doc_type,
                   documents.c.owner_id, documents.c.dossier_code, documents.c.issue_date]
        if self.dialect == "postgresql":
            tsquery = func.to_tsquery(literal_column("'simple'::regconfig"),
                                      bindparam("tsq", " & ".join(terms)))
            vector = literal_column("documents.search_vector")
            # Ranking every match of a very common word ("quyen su dung dat" matches a third of
            # a million-row table) takes seconds; rank at most SEARCH_RANK_CANDIDATES matches,
            # which the GIN index yields without reading the rest.
            candidates = (
                select(documents.c.id, vector.label("search_vector"))
                .where(vector.op("@@")(tsquery), *filters)
                .limit(SEARCH_RANK_CANDIDATES)
                .subquery("candidates")
            )
            rank = func.ts_rank_cd(candidates.c.search_vector, tsquery).label("rank")
            stmt = (
                select(*columns, rank)
                .select_from(candidates.join(documents, documents.c.id == candidates.c.id))
                .order_by(rank.desc(), documents.c.id)
                .limit(limit)
            )
        else:
            match = " ".join(f'"{t}"' for t in terms)
            # bm25() is lower-is-better; the title weighs ten times the text.
            rank = (-literal_column("bm25(documents_fts, 0.0, 10.0, 1.0)")).label("rank")
            stmt = (
                select(*columns, rank)
                .select_from(_documents_fts.join(
                    documents, documents.c.id == _documents_fts.c.document_id))
                .where(literal_column("documents_fts").op("MATCH")(bindparam("m", match)),
                       *filters)
                .order_by(literal_column("rank").desc(), documents.c.id).limit(limit)
            )
        try:
            with self._connect() as conn:
                if self.dialect == "postgresql":
                    # A search for very common words would build a bitmap of a third of the table
                    # before ranking; GIN may instead return a sample of that many matches
                    # (PostgreSQL's documented remedy). A sample can miss the few matches a filter
                    # keeps, so a short answer is asked again without it.
                    conn.execute(sql_text(f"SET LOCAL gin_fuzzy_search_limit = {SEARCH_FUZZY_LIMIT}"))
                    rows = conn.execute(stmt).all()
                    if len(rows) < limit:
                        conn.execute(sql_text("SET LOCAL gin_fuzzy_search_limit = 0"))
                        rows = conn.execute(stmt).all()
                else:
                    rows = conn.execute(stmt).all()
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        return [
            SearchHit(
                document_id=r.id, title=r.title,
                snippet=make_snippet(r.text or r.title or "", terms),
                rank=float(r.rank), doc_type=r.doc_type, owner_id=r.owner_id,
                dossier_code=r.dossier_code, issue_date=_as_date(r.issue_date),
            )
            for r in rows
        ]

    # --- helpers -------------------------------------------------------------------------------

    def _connect(self) -> Connection:
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc

    def _update(self, document_id: str, values: dict[str, Any]) -> None:
        try:
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(documents).where(documents.c.id == document_id).values(**values)
                ).rowcount
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        if not done:
            raise DocumentNotFound(f"no document {document_id}")


# --- accent folding and snippets ----------------------------------------------------------------

# Letters and digits; "_" and punctuation separate words, as in PostgreSQL's and FTS5's parsers.
_WORD = re.compile(r"[^\W_]+")


def fold_text(value: str) -> str:
    """NFC text to its search form: lower case, no tone or vowel marks, đ→d.

    Each character of the NFC text folds to exactly one character, so a position in the folded
    text is the same position in ``unicodedata.normalize("NFC", value)``.
    """
    folded = fold_aligned(unicodedata.normalize("NFC", value))
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


def search_words(value: str) -> str:
    """What the full-text index stores for a text: its folded words separated by spaces."""
    return " ".join(_WORD.findall(fold_text(value)))


def search_terms(query: str) -> list[str]:
    """The folded words of a query, in order, without repeats."""
    return list(dict.fromkeys(_WORD.findall(fold_text(query))))


def make_snippet(value: str, terms: Sequence[str], *, width: int = 160) -> str:
    """About ``width`` characters of ``value`` around the first query word, words in [brackets].

    Prefers the place where the query's words stand closest together.
    """
    original = unicodedata.normalize("NFC", value)
    folded = fold_text(original)
    spans = [
        (m.start(), m.end())
        for m in _WORD.finditer(folded)
        if m.group() in terms
    ]
    if not spans:
        head = " ".join(original[:width].split())
        return head + ("…" if len(original) > width else "")
    # the window of `width` characters holding the most different query words wins
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        words = {folded[s:e] for s, e in spans[i:] if e <= start + width}
        if len(words) > best_count:
            best_start, best_count = start, len(words)
    start = max(0, best_start - width // 4)
    while start > 0 and not original[start - 1].isspace():
        start -= 1
    end = min(len(original), start + width)
    while end < len(original) and not original[end].isspace():
        end += 1
    pieces, cursor = [], start
    for s, e in spans:
        if s >= start and e <= end:
            pieces += [original[cursor:s], "[", original[s:e], "]"]
            cursor = e
    pieces.append(original[cursor:end])
    snippet = " ".join("".join(pieces).split())
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(original) else "")


# --- rows ------------------------------------------------------------------------------------

def _select_rows():
    return select(*(c for c in documents.c if c.name not in _INTERNAL_COLUMNS))


def _values(row: DocumentRow) -> dict[str, Any]:
    values = dict(row.__dict__)
    values["stage_seconds"] = json.dumps(row.stage_seconds)
    values["fields"] = _dump_fields(row.fields)
    values["search_title"] = search_words(row.title or "")
    values["search_text"] = search_words(row.text or "")
    return values


def _dump_fields(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, default=str, sort_keys=True)


def _row(mapping) -> DocumentRow:
    values = dict(mapping)
    values["stage_seconds"] = json.loads(values["stage_seconds"] or "{}")
    values["fields"] = json.loads(values.get("fields") or "{}")
    values["created_at"] = _aware(values["created_at"])
    for name in ("valid_until", "issue_date"):
        values[name] = _as_date(values.get(name))
    return DocumentRow(**values)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def signature_status_of(indications: set[str]) -> str:
    """The status of a version from the indications of its signatures (at least one)."""
    if "TOTAL_FAILED" in indications:
        return "invalid"
    if indications == {"TOTAL_PASSED"}:
        return "signed"
    return "indeterminate"


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


# --- engine and migrations -------------------------------------------------------------------

def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine(url, poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def upgrade(url: str) -> str:
    """Bring the index at ``url`` to the newest schema (``sohoa db upgrade``); returns the head."""
    engine = _engine(url)
    try:
        return _upgrade_engine(engine)
    except OperationalError as exc:
        safe = engine.url.render_as_string(hide_password=True)
        raise StorageUnavailable(f"index {safe} unavailable: {exc.orig}") from exc
    finally:
        engine.dispose()


def schema_revision(url: str) -> tuple[str | None, str]:
    """(revision the database is at, revision this code expects)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return _current_revision(conn), _head_revision()
    finally:
        engine.dispose()


def _alembic_config(connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _upgrade_engine(engine: Engine) -> str:
    from alembic import command

    head = _head_revision()
    with engine.connect() as conn:
        if _current_revision(conn) == head:
            return head
    try:
        with engine.begin() as conn:
            from sqlalchemy import inspect

            if _current_revision(conn) is None and inspect(conn).has_table("documents"):
                # An index made before migrations existed holds the 0001 schema.
                command.stamp(_alembic_config(conn), "0001")
            command.upgrade(_alembic_config(conn), "head")
    except (OperationalError, IntegrityError, ProgrammingError):
        # Another process may have upgraded at the same moment; fine if it got there.
        with engine.connect() as conn:
            if _current_revision(conn) == head:
                return head
        raise
    return head


def _check_at_head(engine: Engine, safe_url: str) -> None:
    head = _head_revision()
    with engine.connect() as conn:
        current = _current_revision(conn)
    if current != head:
        raise SchemaNotCurrent(
            f"index {safe_url} has schema {current or 'none'}, this sohoa needs {head}: "
            "run `sohoa db upgrade`"
        )
