"""The reuse service: API keys, the audit log of reads, dossiers and upload jobs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

- api_keys: one row per client service; only the SHA-256 of the key is kept (keys are 256-bit
  random tokens, so a plain hash cannot be reversed by guessing).
- audit_log: who read what, when and why (the X-Purpose header); indexed by owner and client,
  the two ways `sohoa audit` asks.
- dossiers and dossier_components: a dossier opened for a procedure and an owner, each component
  satisfied by a reused document (by reference) or a new upload, or still missing.
- upload_jobs: uploads accepted by POST /v1/documents and their outcome (with a queue: the
  batch item that carries them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("doc_types", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("owner_id", sa.String(32)),
        sa.Column("purpose", sa.Text),
        sa.Column("outcome", sa.Integer, nullable=False),
    )
    op.create_index("ix_audit_log_owner_at", "audit_log", ["owner_id", "at"])
    op.create_index("ix_audit_log_client_at", "audit_log", ["client", "at"])
    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(128), primary_key=True),
        sa.Column("procedure_code", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dossiers_owner", "dossiers", ["owner_id"])
    op.create_index("ix_dossiers_created_at", "dossiers", ["created_at"])
    op.create_table(
        "dossier_components",
        sa.Column("dossier_code", sa.String(128),
                  sa.ForeignKey("dossiers.code", ondelete="CASCADE"), nullable=False),
        sa.Column("doc_type", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("document_id", sa.String(32)),
        sa.Column("job_id", sa.String(32)),
        sa.PrimaryKeyConstraint("dossier_code", "doc_type"),
    )
    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("client", sa.String(128), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document_id", sa.String(32)),
        sa.Column("batch_item_id", sa.String(32)),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    for table in ("upload_jobs", "dossier_components", "dossiers", "audit_log", "api_keys"):
        op.drop_table(table)
