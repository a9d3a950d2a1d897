"""Classification, review corrections, object versions and accent-insensitive full-text search.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

- documents gains doc_type, type_confidence, type_reason, fields (JSON text), valid_until,
  issue_date, review_note, and search_title/search_text: the folded words of title and text
  (written by Python, see pipeline.stores.index.search_words — PostgreSQL's unaccent is not needed).
- (owner_id, doc_type, valid_until) serves "documents of owner X of these types, valid today".
- corrections: what a reviewer changed; document_versions: every stored object of every version.
- SQLite: FTS5 table documents_fts kept in sync by triggers. PostgreSQL: generated tsvector
  column search_vector (title weighted A, text B) under a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE documents_fts USING fts5(
        document_id UNINDEXED, search_title, search_text, tokenize = 'unicode61')""",
    """CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts (document_id, search_title, search_text)
        VALUES (new.id, new.search_title, new.search_text);
    END""",
    """CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
        DELETE FROM documents_fts WHERE document_id = old.id;
    END""",
    """CREATE TRIGGER documents_fts_update AFTER UPDATE OF id, search_title, search_text
        ON documents BEGIN
        DELETE FROM documents_fts WHERE document_id = old.id;
        INSERT INTO documents_fts (document_id, search_title, search_text)
        VALUES (new.id, new.search_title, new.search_text);
    END""",
    """INSERT INTO documents_fts (document_id, search_title, search_text)
        SELECT id, search_title, search_text FROM documents""",
]

POSTGRES_FTS = [
    """ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, search_title), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_text), 'B')) STORED""",
    "CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)",
]


def upgrade() -> None:
    from pipeline.stores.index import search_words

    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("doc_type", sa.String(64)))
        batch.add_column(sa.Column("type_confidence", sa.Float))
        batch.add_column(sa.Column("type_reason", sa.Text))
        batch.add_column(sa.Column("fields", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("valid_until", sa.Date))
        batch.add_column(sa.Column("issue_date", sa.Date))
        batch.add_column(sa.Column("review_note", sa.Text))
        batch.add_column(sa.Column("search_title", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("search_text", sa.Text, nullable=False, server_default=""))
    op.drop_index("ix_documents_owner_id", "documents")  # the composite index below leads with it
    op.create_index("ix_documents_owner_type_valid", "documents",
                    ["owner_id", "doc_type", "valid_until"])
    op.create_index("ix_documents_status", "documents", ["status"])
    op.create_index("ix_documents_doc_type", "documents", ["doc_type"])
    op.create_index("ix_documents_issue_date", "documents", ["issue_date"])

    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(32),
                  sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("corrected_by", sa.String(128), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('type', 'field')", name="ck_corrections_kind"),
    )
    op.create_index("ix_corrections_document_id", "corrections", ["document_id"])
    op.create_table(
        "document_versions",
        sa.Column("document_id", sa.String(32),
                  sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("variant", sa.String(32), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "version", "variant"),
    )

    # Rows stored before this revision: their search words and their version-1 objects.
    bind = op.get_bind()
    docs = sa.table("documents", *(sa.column(n) for n in (
        "id", "sha256", "title", "text", "version", "original_key", "searchable_key", "ocr_key",
        "searchable_sha256", "ocr_sha256", "created_at", "search_title", "search_text")))
    versions = sa.table("document_versions", *(sa.column(n) for n in (
        "document_id", "version", "variant", "key", "sha256", "created_at")))
    for r in bind.execute(sa.select(docs)).all():
        bind.execute(sa.update(docs).where(docs.c.id == r.id).values(
            search_title=search_words(r.title or ""), search_text=search_words(r.text or "")))
        bind.execute(sa.insert(versions), [
            {"document_id": r.id, "version": r.version, "variant": variant, "key": key,
             "sha256": sha, "created_at": r.created_at}
            for variant, key, sha in (("original", r.original_key, r.sha256),
                                      ("searchable", r.searchable_key, r.searchable_sha256),
                                      ("ocr", r.ocr_key, r.ocr_sha256))
        ])

    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS documents_fts_{name}")
        op.execute("DROP TABLE IF EXISTS documents_fts")
    else:
        op.drop_index("ix_documents_search_vector", "documents")
        op.drop_column("documents", "search_vector")
    op.drop_table("document_versions")
    op.drop_table("corrections")
    for name in ("issue_date", "doc_type", "status", "owner_type_valid"):
        op.drop_index(f"ix_documents_{name}", "documents")
    op.create_index("ix_documents_owner_id", "documents", ["owner_id"])
    with op.batch_alter_table("documents") as batch:
        for name in ("search_text", "search_title", "review_note", "issue_date", "valid_until",
                     "fields", "type_reason", "type_confidence", "doc_type"):
            batch.drop_column(name)
