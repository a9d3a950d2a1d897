"""Queued batches and their items, for workers (issue 7).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

- batches: one row per `sohoa ingest --queue`.
- batch_items: one row per input file, the source of truth of a queued batch (status pending,
  stored, duplicate or failed, with error code and message, document id and delivery attempts).
- document_claims: which item stores a document when several items carry the same bytes.
Matches the tables in pipeline/core/batches.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "batch_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("batch_id", sa.String(32), sa.ForeignKey("batches.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("dossier_code", sa.String(128)),
        sa.Column("owner_id", sa.String(32)),
        sa.Column("procedure_code", sa.String(64)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("staged_key", sa.Text),
        sa.Column("same_as_item", sa.String(32)),
        sa.Column("input_kind", sa.String(32)),
        sa.Column("pages", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.Column("document_id", sa.String(32)),
        sa.Column("quarantined_as", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_batch_items_batch_status", "batch_items", ["batch_id", "status"])
    op.create_index("ix_batch_items_status", "batch_items", ["status"])
    op.create_index("ix_batch_items_same_as_item", "batch_items", ["same_as_item"])
    op.create_table(
        "document_claims",
        sa.Column("document_id", sa.String(32), primary_key=True),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("document_claims")
    op.drop_index("ix_batch_items_same_as_item", table_name="batch_items")
    op.drop_index("ix_batch_items_status", table_name="batch_items")
    op.drop_index("ix_batch_items_batch_status", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_table("batches")
