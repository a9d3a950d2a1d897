"""Stored signature statuses follow the trust roots (issue 16): the fingerprint of the roots the
recorded statuses were validated under, the last re-validation, and the claim of the one process
doing a re-validation now.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- trust_state: one row (name "signatures"). `trust_roots_sha256` is NULL until a process has
  validated the stored signatures under known roots (an index from before this revision: its
  statuses were made under roots nobody wrote down, so the first start re-validates them).
Matches the table in pipeline/stores/index/tables.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "trust_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("trust_roots_sha256", sa.String(64)),
        sa.Column("roots", sa.Integer),
        sa.Column("revalidated_at", sa.DateTime(timezone=True)),
        sa.Column("versions", sa.Integer),
        sa.Column("changed", sa.Integer),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_for", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(table, [{"name": "signatures"}])


def downgrade() -> None:
    op.drop_table("trust_state")
