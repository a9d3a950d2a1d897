"""The console's pages at a million documents: indexes and the documents counted per day.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- documents (status, created_at): the review queue, oldest first, and a document's neighbours in it.
- audit_log (target): the audit trail of a document on its page; on PostgreSQL with
  text_pattern_ops, so that "this id or id/…" (equality or a LIKE prefix) is one index range.
- document_days: documents and pages per office day (UTC+7), kept by triggers on documents
  (insert, delete, a change of created_at or pages) and filled from the rows already there. The
  figures read a row per day instead of every document (at 1M rows counting them took seconds).
Matches pipeline/stores/index/tables.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PG_DAY = "date(timezone('Asia/Ho_Chi_Minh', {row}.created_at))"
_SQLITE_DAY = "date({row}.created_at, '+7 hours')"

_PG = [
    f"""CREATE FUNCTION document_days_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE document_days SET documents = documents - 1, pages = pages - OLD.pages
            WHERE day = {_PG_DAY.format(row="OLD")};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO document_days AS d (day, documents, pages) VALUES ({_PG_DAY.format(row="NEW")}, 1, NEW.pages)
            ON CONFLICT (day) DO UPDATE SET documents = d.documents + 1, pages = d.pages + EXCLUDED.pages;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER document_days_count AFTER INSERT OR DELETE OR UPDATE OF created_at, pages ON documents
    FOR EACH ROW EXECUTE FUNCTION document_days_count()""",
    f"""INSERT INTO document_days (day, documents, pages)
    SELECT {_PG_DAY.format(row="documents")}, count(*), coalesce(sum(pages), 0) FROM documents GROUP BY 1""",
]

_SQLITE_ADD = f"""INSERT INTO document_days (day, documents, pages) VALUES ({_SQLITE_DAY.format(row="new")}, 1, new.pages)
        ON CONFLICT (day) DO UPDATE SET documents = documents + 1, pages = pages + excluded.pages;"""
_SQLITE_REMOVE = f"""UPDATE document_days SET documents = documents - 1, pages = pages - old.pages
        WHERE day = {_SQLITE_DAY.format(row="old")};"""
_SQLITE = [
    f"CREATE TRIGGER document_days_insert AFTER INSERT ON documents BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER document_days_delete AFTER DELETE ON documents BEGIN {_SQLITE_REMOVE} END",
    f"CREATE TRIGGER document_days_update AFTER UPDATE OF created_at, pages ON documents BEGIN "
    f"{_SQLITE_REMOVE} {_SQLITE_ADD} END",
    f"""INSERT INTO document_days (day, documents, pages)
    SELECT {_SQLITE_DAY.format(row="documents")}, count(*), coalesce(sum(pages), 0) FROM documents GROUP BY 1""",
]


def upgrade() -> None:
    op.create_index("ix_documents_status_created", "documents", ["status", "created_at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE INDEX ix_audit_log_target ON audit_log (target text_pattern_ops)")
    else:
        op.create_index("ix_audit_log_target", "audit_log", ["target"])
    op.create_table(
        "document_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
    )
    for statement in _PG if postgres else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS document_days_count ON documents")
        op.execute("DROP FUNCTION IF EXISTS document_days_count()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS document_days_{name}")
    op.drop_table("document_days")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_documents_status_created", table_name="documents")
