"""The index database's tables as they are at head, for queries (the migrations create them)."""

from __future__ import annotations

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
)

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

# SQLite's FTS5 table over search_title/search_text (made by the migrations, never by create_all).
_documents_fts = Table("documents_fts", MetaData(), Column("document_id", String(32)))
