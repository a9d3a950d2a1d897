"""Officials signing where they work (issue 16): results waiting for signatures, prepared
external signatures, and officials' signing profiles.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- results: a document marked as a result (kết quả) of a dossier; the signatures it needs, in
  order (e.g. official then agency), and those it has.
- signing_sessions: one prepared external signature (the PDF with its placeholder, the signed
  attributes handed out to be signed, the signer's chain), until it expires or is completed once.
- signing_profiles: per official, how they sign: name, position, office, a server-held key
  (PKCS#12 path or pkcs11: URI, never its PIN), their certificate chain (tokens), the signature
  image and the office's seal image (PNG with transparency).
Matches the tables in pipeline/stores/index/tables.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("document_id", sa.String(32), primary_key=True),
        sa.Column("dossier_code", sa.String(128)),
        sa.Column("office", sa.Text, nullable=False, server_default=""),
        sa.Column("needs", sa.Text, nullable=False),  # JSON list of signature kinds, in order
        sa.Column("done", sa.Text, nullable=False, server_default="[]"),  # JSON list, same order
        sa.Column("marked_by", sa.String(128), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_results_signed_at", "results", ["signed_at"])
    op.create_table(
        "signing_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("document_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.Text, nullable=False),  # JSON: digest, reserved region, attrs, chain…
        sa.Column("prepared_pdf", sa.LargeBinary, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "signing_profiles",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("full_name", sa.Text, nullable=False, server_default=""),
        sa.Column("position", sa.Text, nullable=False, server_default=""),
        sa.Column("office", sa.Text, nullable=False, server_default=""),
        sa.Column("key_ref", sa.Text),
        sa.Column("certificate_chain", sa.Text),
        sa.Column("signature_image", sa.LargeBinary),
        sa.Column("seal_image", sa.LargeBinary),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signing_profiles")
    op.drop_table("signing_sessions")
    op.drop_index("ix_results_signed_at", table_name="results")
    op.drop_table("results")
