"""The documents table as sohoa made it before migrations existed.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("input_kind", sa.String(32), nullable=False),
        sa.Column("dossier_code", sa.String(128)),
        sa.Column("owner_id", sa.String(32)),
        sa.Column("procedure_code", sa.String(64)),
        sa.Column("title", sa.Text),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("ocr_confidence", sa.Float),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("original_key", sa.Text, nullable=False),
        sa.Column("searchable_key", sa.Text, nullable=False),
        sa.Column("ocr_key", sa.Text, nullable=False),
        sa.Column("searchable_sha256", sa.String(64), nullable=False),
        sa.Column("ocr_sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("stage_seconds", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_documents_dossier_code", "documents", ["dossier_code"])
    op.create_index("ix_documents_owner_id", "documents", ["owner_id"])


def downgrade() -> None:
    op.drop_table("documents")
