"""Every table of the index database, as it is at head, in one MetaData.

The migrations in pipeline/stores/migrations create the schema; these definitions are for
queries (nothing calls ``create_all``). The index's own tables come first, then those of the
concerns that share its database: the reuse service and queued batches."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index as SqlIndex,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    column,
    table,
)

metadata = MetaData()

# --- documents and their history (0001, 0002, 0004) ------------------------------------------

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
    # where the document came from (0007): the input file and its pages
    Column("source_sha256", String(64), index=True),
    Column("source_first_page", Integer),
    Column("source_last_page", Integer),
    Column("source_pages", Text),
    Column("source_documents", Integer),
    Column("source_files", Text),
    Column("superseded_by", Text),
    SqlIndex("ix_documents_owner_type_valid", "owner_id", "doc_type", "valid_until"),
    SqlIndex("ix_documents_status", "status"),
    SqlIndex("ix_documents_doc_type", "doc_type"),
    SqlIndex("ix_documents_issue_date", "issue_date"),
    # 0009, the review queue: on PostgreSQL (created_at, id) of the waiting documents only, with
    # what a queue line shows; on SQLite (status, created_at). Made by the migration.
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

# Splits and merges (0007): who replaced which documents with which, and when.
document_regroupings = Table(
    "document_regroupings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # split | merge
    Column("replaced", Text, nullable=False),
    Column("made", Text, nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("done_by", String(128), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=False),
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

# --- the reuse service (0005): API keys, the audit log, dossiers and upload jobs ----------------

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list
    Column("doc_types", Text),  # JSON list; None = every type
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("client", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("owner_id", String(32)),
    Column("purpose", Text),
    Column("outcome", Integer, nullable=False),  # the HTTP status answered
    # 0009: a document's trail; text_pattern_ops on PostgreSQL (equality and LIKE prefixes)
    SqlIndex("ix_audit_log_target", "target", postgresql_ops={"target": "text_pattern_ops"}),
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("code", String(128), primary_key=True),
    Column("procedure_code", String(64), nullable=False),
    Column("owner_id", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # 0009, kept by triggers on dossier_components: components handed in, handed in but not yet a
    # stored document, required, required and taken from file
    Column("handed", Integer, nullable=False, server_default="0"),
    Column("pending", Integer, nullable=False, server_default="0"),
    Column("required_parts", Integer, nullable=False, server_default="0"),
    Column("reused_parts", Integer, nullable=False, server_default="0"),
)

dossier_components = Table(
    "dossier_components",
    metadata,
    Column("dossier_code", String(128), ForeignKey("dossiers.code", ondelete="CASCADE"),
           nullable=False),
    Column("doc_type", String(64), nullable=False),
    Column("position", Integer, nullable=False),  # the component's place in the procedure
    Column("required", Boolean, nullable=False),
    Column("source", String(16), nullable=False),  # reused | uploaded | missing
    Column("document_id", String(32)),
    Column("job_id", String(32)),
    PrimaryKeyConstraint("dossier_code", "doc_type"),
)

upload_jobs = Table(
    "upload_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("client", String(128), nullable=False),
    Column("filename", Text, nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | stored | duplicate | failed
    Column("document_id", String(32)),
    Column("batch_item_id", String(32)),  # queued for workers: the item that carries the upload
    Column("error_code", String(64)),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

# documents and pages per office day, kept by triggers on documents (0009; the figures read it)
document_days = Table(
    "document_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("doc_type", String(64), primary_key=True),  # '' for a document of no type
    Column("documents", Integer, nullable=False),
    Column("pages", Integer, nullable=False),
)

# dossiers per office day, procedure and creator, kept by triggers on dossiers (0009)
dossier_days = Table(
    "dossier_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("procedure_code", String(64), primary_key=True),
    Column("created_by", String(128), primary_key=True),
    Column("dossiers", Integer, nullable=False),
    Column("digitised", Integer, nullable=False),  # every paper handed in is a stored document
    Column("required", Integer, nullable=False),
    Column("reused", Integer, nullable=False),
)

# --- people of the console (0008) --------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("full_name", Text, nullable=False, default=""),
    Column("office", Text, nullable=False, default=""),
    Column("role", String(16), nullable=False),  # clerk | reviewer | official | admin
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),  # in a row, since the last success
    Column("locked_until", DateTime(timezone=True)),
    Column("password_set_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
)

# --- queued batches (0006) ---------------------------------------------------------------------

batches = Table(
    "batches",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("description", Text, nullable=False, default=""),
)

batch_items = Table(
    "batch_items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("batch_id", String(32), ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("source", Text, nullable=False),  # the path as given on the submitting machine
    Column("dossier_code", String(128)),
    Column("owner_id", String(32)),
    Column("procedure_code", String(64)),
    Column("sha256", String(64)),  # None when the file could not even be read
    Column("staged_key", Text),  # object-store key of the bytes received, for the workers
    Column("same_as_item", String(32)),  # an earlier item of this batch with the same bytes
    Column("input_kind", String(32)),
    Column("pages", Integer),
    Column("status", String(16), nullable=False),
    Column("error_code", String(64)),
    Column("error", Text),
    Column("document_id", String(32)),
    Column("quarantined_as", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    SqlIndex("ix_batch_items_batch_status", "batch_id", "status"),
    SqlIndex("ix_batch_items_status", "status"),
    SqlIndex("ix_batch_items_same_as_item", "same_as_item"),
)

document_claims = Table(
    "document_claims",
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("item_id", String(32), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

# --- signing where officials work (0009) ------------------------------------------------------

results = Table(
    "results",
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("dossier_code", String(128)),
    Column("office", Text, nullable=False, default=""),
    Column("needs", Text, nullable=False),  # JSON list of signature kinds, in signing order
    Column("done", Text, nullable=False, default="[]"),  # JSON list of the kinds signed so far
    Column("marked_by", String(128), nullable=False),
    Column("marked_at", DateTime(timezone=True), nullable=False),
    Column("signed_at", DateTime(timezone=True)),  # when the last needed signature was made
    SqlIndex("ix_results_signed_at", "signed_at"),
)

signing_sessions = Table(
    "signing_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("document_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),  # the version the prepared PDF was made from
    Column("kind", String(16), nullable=False),
    Column("state", Text, nullable=False),
    Column("prepared_pdf", LargeBinary, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
)

signing_profiles = Table(
    "signing_profiles",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("full_name", Text, nullable=False, default=""),
    Column("position", Text, nullable=False, default=""),
    Column("office", Text, nullable=False, default=""),
    Column("key_ref", Text),  # PKCS#12 path or pkcs11: URI held by the server (never its PIN)
    Column("certificate_chain", Text),  # PEM, signer first (a token's certificate)
    Column("signature_image", LargeBinary),  # PNG with transparency
    Column("seal_image", LargeBinary),  # the office's seal, PNG with transparency
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- trust (0011): the roots the stored signature statuses were validated under -------------------

trust_state = Table(
    "trust_state",
    metadata,
    Column("name", String(32), primary_key=True),  # "signatures": one row
    Column("trust_roots_sha256", String(64)),  # NULL: never validated under known roots
    Column("roots", Integer),  # how many roots that fingerprint is of
    Column("revalidated_at", DateTime(timezone=True)),  # the last re-validation finished
    Column("versions", Integer),  # signed versions it validated
    Column("changed", Integer),  # of which changed status
    Column("claimed_by", String(128)),  # the process re-validating now (host:pid), if any
    Column("claimed_for", String(64)),  # the fingerprint it validates under
    Column("claimed_at", DateTime(timezone=True)),  # refreshed as it goes: a stale claim is taken over
)

# SQLite's FTS5 table over search_title/search_text, made by migration 0002 on SQLite only: a bare
# table clause for joins in search, outside `metadata`, which holds the tables of both backends.
documents_fts = table("documents_fts", column("document_id"))
