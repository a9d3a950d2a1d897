"""Metadata index: one row per stored document. SQLite by default (SQLAlchemy Core)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pipeline.errors import DocumentNotFound, StorageUnavailable

metadata = MetaData()

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
    Column("owner_id", String(32), index=True),
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
)


class DuplicateDocument(Exception):
    def __init__(self, existing_id: str):
        super().__init__(existing_id)
        self.existing_id = existing_id


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

    def public(self) -> dict[str, Any]:
        """The record as shown to users (`sohoa show --json`), without the full text."""
        record = {k: v for k, v in self.__dict__.items() if k != "text"}
        record["created_at"] = self.created_at.isoformat()
        return record


class Index:
    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            metadata.create_all(self.engine)
        except OperationalError as exc:
            raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def find_by_sha256(self, sha256: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(documents.c.id).where(documents.c.sha256 == sha256)
            ).scalar_one_or_none()

    def add(self, row: DocumentRow) -> None:
        """Insert one document in one transaction; a row with the same content is a duplicate."""
        values = dict(row.__dict__)
        values["stage_seconds"] = json.dumps(row.stage_seconds)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(documents).values(**values))
        except IntegrityError as exc:
            existing = self.find_by_sha256(row.sha256)
            if existing:
                raise DuplicateDocument(existing) from exc
            raise
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc

    def get(self, document_id: str) -> DocumentRow:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(documents).where(documents.c.id == document_id)
            ).mappings().first()
            if found is None and len(document_id) >= 6:
                # Like git, an unambiguous prefix names a document.
                matches = conn.execute(
                    select(documents).where(documents.c.id.startswith(document_id)).limit(2)
                ).mappings().all()
                found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise DocumentNotFound(f"no document {document_id}")
        return _row(found)

    def list(self, *, dossier_code: str | None = None) -> list[DocumentRow]:
        query = select(documents).order_by(documents.c.dossier_code, documents.c.created_at)
        if dossier_code:
            query = query.where(documents.c.dossier_code == dossier_code)
        with self.engine.connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]


def _row(mapping) -> DocumentRow:
    values = dict(mapping)
    values["stage_seconds"] = json.loads(values["stage_seconds"] or "{}")
    created = values["created_at"]
    if created.tzinfo is None:  # SQLite drops the offset; we always write UTC
        values["created_at"] = created.replace(tzinfo=UTC)
    return DocumentRow(**values)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def utcnow() -> datetime:
    return datetime.now(UTC)
