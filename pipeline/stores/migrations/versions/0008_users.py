"""People who use the console (issue 15): accounts separate from API keys.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

- users: one row per person: login name, full name, office, role (clerk | reviewer | official |
  admin), argon2 password hash, whether active, failed logins in a row and the lock-out end,
  when the password was last set (a session made before that is no longer valid).
Matches the table in pipeline/stores/index/tables.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("full_name", sa.Text, nullable=False, server_default=""),
        sa.Column("office", sa.Text, nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("password_set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("users")
