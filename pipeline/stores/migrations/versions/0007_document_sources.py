"""Where each document came from, now that one input file can hold several documents (issue 13).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A feeder scanner's stream is separated into documents; a paper scanned as several page files is
one document. Each row now says which input it came from and which of its pages it holds:

- source_sha256: the sha256 of the input file as received (its original object); for a
  document that is a whole file, the same as ``sha256``. ``sha256`` stays unique: it is the
  document's identity (the file's hash for a whole file, a hash of the file's hash and the page
  range for a part of it), and the id is its first 32 hex digits.
- source_first_page, source_last_page: the page range of the input (1-based, inclusive);
  source_pages: the pages of that range the stored document holds ("1-3,5"; blank backs and
  separator sheets are left out of the document, never out of the original);
- source_documents: how many documents the input made when it was ingested (a re-ingest is a
  duplicate once all of them are stored); NULL for documents made by a split or a merge;
- source_files: for page files joined into one document, each file's name, sha256 and pages
  (JSON), each file's original stored under its own key;
- superseded_by: the documents that replaced this one after a split or merge (comma-separated
  ids); a superseded document stays findable, never deleted.
Rows from before are whole files: source_sha256 = sha256, pages 1..pages.

- document_regroupings: who split or merged which documents into which, and when (one row per
  split or merge; the replaced documents keep their rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (
    ("source_sha256", sa.String(64)),
    ("source_first_page", sa.Integer),
    ("source_last_page", sa.Integer),
    ("source_pages", sa.Text),
    ("source_documents", sa.Integer),
    ("source_files", sa.Text),
    ("superseded_by", sa.Text),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("documents", sa.Column(name, kind, nullable=True))
    op.execute(
        "UPDATE documents SET source_sha256 = sha256, source_first_page = 1, source_last_page = pages, "
        "source_pages = CASE WHEN pages > 1 THEN '1-' || CAST(pages AS VARCHAR(12)) ELSE '1' END, "
        "source_documents = 1"
    )
    op.create_index("ix_documents_source_sha256", "documents", ["source_sha256"])
    op.create_table(
        "document_regroupings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),  # split | merge
        sa.Column("replaced", sa.Text, nullable=False),  # comma-separated document ids
        sa.Column("made", sa.Text, nullable=False),  # comma-separated document ids
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("done_by", sa.String(128), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("document_regroupings")
    op.drop_index("ix_documents_source_sha256", table_name="documents")
    # plain ALTER TABLE (SQLite >= 3.35 has DROP COLUMN): a batch rebuild would drop the FTS triggers
    for name, _kind in reversed(COLUMNS):
        op.execute(f"ALTER TABLE documents DROP COLUMN {name}")
