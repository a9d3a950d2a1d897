"""Indexes for the console's pages at a million documents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- documents (status, created_at): the review queue, oldest first, and a document's neighbours in it.
- audit_log (target): the audit trail of a document on its page; on PostgreSQL with
  text_pattern_ops, so that "this id or id/…" (equality or a LIKE prefix) is one index range.
Matches the indexes in pipeline/stores/index/tables.py.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_status_created", "documents", ["status", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_audit_log_target ON audit_log (target text_pattern_ops)")
    else:
        op.create_index("ix_audit_log_target", "audit_log", ["target"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_documents_status_created", table_name="documents")
