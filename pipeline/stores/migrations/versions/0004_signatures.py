"""Signature validation results and signing status per document version (issue 5).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

signatures: one row per signature or document timestamp found in a stored version's PDF, with the
DSS-style indication, signer DN, signing time, PAdES level and the full result as JSON. No foreign
key to documents: Index.record_signature checks the document exists, and a key would make
`TRUNCATE documents` need CASCADE.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("field_name", sa.Text, nullable=False),
        sa.Column("indication", sa.String(16), nullable=False),
        sa.Column("sub_indication", sa.String(64)),
        sa.Column("signer", sa.Text),
        sa.Column("signed_at", sa.DateTime(timezone=True)),
        sa.Column("level", sa.String(8)),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "indication IN ('TOTAL_PASSED', 'INDETERMINATE', 'TOTAL_FAILED')",
            name="ck_signatures_indication",
        ),
    )
    op.create_index("ix_signatures_document_version", "signatures", ["document_id", "version"])


def downgrade() -> None:
    op.drop_index("ix_signatures_document_version", "signatures")
    op.drop_table("signatures")
