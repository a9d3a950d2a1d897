"""PostgreSQL keeps a document's search vector in its row, not in the TOAST table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

A search reads the vector of every match it ranks (up to SEARCH_RANK_CANDIDATES) and of every row
of the table's first blocks it tests (pipeline/stores/index/search.py). A row of about 2 kB or more
had its vector moved out of line, so each read was a TOAST index lookup and another page.
STORAGE MAIN keeps it in the row (compressed when that helps) and moves the text out first; it
goes out of line only when the row cannot fit in a page otherwise.

Changing the storage rewrites nothing: rows written from now on are stored so, rows already there
stay as they are until rewritten (`VACUUM FULL documents`: an exclusive lock, 80–110 s per
million documents on the benchmark machine; then `VACUUM ANALYZE documents`, since VACUUM FULL
leaves the visibility map of index-only scans empty). Their search answers the same either way.
SQLite: nothing to do.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE EXTENDED")
