"""The console's pages at a million documents: the review queue's index, the audit trail's, and
the figures counted as documents and dossiers change instead of over every row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- ix_documents_waiting: the review queue, oldest first, and a document's neighbours in it. On
  PostgreSQL a partial index over the waiting documents only, holding what a queue line shows
  (so a filtered queue is read from the index); on SQLite (status, created_at).
- ix_audit_log_target: a document's audit trail; on PostgreSQL with text_pattern_ops, so that
  "this id or id/…" (equality or a LIKE prefix) is one index range.
- document_days: documents and pages per office day (UTC+7) and type ('' for none), kept by
  triggers on documents (insert, delete, a change of created_at, pages or doc_type; the two rows
  of a change are locked in key order, so two changes never deadlock).
- dossiers.handed, pending, required_parts, reused_parts: its components handed in, handed in but
  not yet a stored document, required, required and taken from file; kept by triggers on
  dossier_components (recounted from the dossier's few components).
- dossier_days: dossiers per office day, procedure and creator, how many digitised (every paper
  handed in is a stored document), their required and reused components; kept by triggers on
  dossiers (a new dossier adds its row's counts, a change of its counters the difference).
Both filled from the rows already there. At 1M documents counting every row took seconds.
TRUNCATE fires no row trigger: truncate document_days and dossier_days with the tables they count.
Matches pipeline/stores/index/tables.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_WAITING_SHOWN = ("doc_type", "dossier_code", "review_note", "filename", "type_confidence")
_COUNTS = """handed = (SELECT count(*) FROM dossier_components c WHERE c.dossier_code = {code} AND c.source <> 'missing'),
        pending = (SELECT count(*) FROM dossier_components c WHERE c.dossier_code = {code} AND c.source <> 'missing'
                   AND c.document_id IS NULL),
        required_parts = (SELECT count(*) FROM dossier_components c WHERE c.dossier_code = {code} AND c.required),
        reused_parts = (SELECT count(*) FROM dossier_components c WHERE c.dossier_code = {code} AND c.required
                        AND c.source = 'reused')"""

_PG_DAY = "date(timezone('Asia/Ho_Chi_Minh', {row}.created_at))"
_PG_ADD = f"""INSERT INTO document_days AS d (day, doc_type, documents, pages)
            VALUES ({_PG_DAY.format(row="NEW")}, coalesce(NEW.doc_type, ''), 1, NEW.pages)
            ON CONFLICT (day, doc_type) DO UPDATE SET documents = d.documents + 1, pages = d.pages + EXCLUDED.pages;"""
_PG_REMOVE = f"""UPDATE document_days SET documents = documents - 1, pages = pages - OLD.pages
            WHERE day = {_PG_DAY.format(row="OLD")} AND doc_type = coalesce(OLD.doc_type, '');"""
_PG = [
    f"""CREATE FUNCTION document_days_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_PG_ADD}
        ELSIF TG_OP = 'DELETE' THEN
            {_PG_REMOVE}
        ELSIF ({_PG_DAY.format(row="OLD")}, coalesce(OLD.doc_type, '')) < ({_PG_DAY.format(row="NEW")}, coalesce(NEW.doc_type, '')) THEN
            {_PG_REMOVE}
            {_PG_ADD}
        ELSE
            {_PG_ADD}
            {_PG_REMOVE}
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER document_days_count AFTER INSERT OR DELETE OR UPDATE OF created_at, pages, doc_type
    ON documents FOR EACH ROW EXECUTE FUNCTION document_days_count()""",
    f"""INSERT INTO document_days (day, doc_type, documents, pages)
    SELECT {_PG_DAY.format(row="documents")}, coalesce(doc_type, ''), count(*), coalesce(sum(pages), 0)
    FROM documents GROUP BY 1, 2""",
    f"""CREATE FUNCTION dossier_parts_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE dossiers SET {_COUNTS.format(code="OLD.dossier_code")} WHERE code = OLD.dossier_code;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE dossiers SET {_COUNTS.format(code="NEW.dossier_code")} WHERE code = NEW.dossier_code;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER dossier_parts_count AFTER INSERT OR UPDATE OR DELETE ON dossier_components
    FOR EACH ROW EXECUTE FUNCTION dossier_parts_count()""",
]

_SQLITE_DAY = "date({row}.created_at, '+7 hours')"
_SQLITE_ADD = f"""INSERT INTO document_days (day, doc_type, documents, pages)
        VALUES ({_SQLITE_DAY.format(row="new")}, coalesce(new.doc_type, ''), 1, new.pages)
        ON CONFLICT (day, doc_type) DO UPDATE SET documents = documents + 1, pages = pages + excluded.pages;"""
_SQLITE_REMOVE = f"""UPDATE document_days SET documents = documents - 1, pages = pages - old.pages
        WHERE day = {_SQLITE_DAY.format(row="old")} AND doc_type = coalesce(old.doc_type, '');"""
_SQLITE = [  # one writer at a time: no order to keep
    f"CREATE TRIGGER document_days_insert AFTER INSERT ON documents BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER document_days_delete AFTER DELETE ON documents BEGIN {_SQLITE_REMOVE} END",
    f"CREATE TRIGGER document_days_update AFTER UPDATE OF created_at, pages, doc_type ON documents BEGIN "
    f"{_SQLITE_REMOVE} {_SQLITE_ADD} END",
    f"""INSERT INTO document_days (day, doc_type, documents, pages)
    SELECT {_SQLITE_DAY.format(row="documents")}, coalesce(doc_type, ''), count(*), coalesce(sum(pages), 0)
    FROM documents GROUP BY 1, 2""",
    f"""CREATE TRIGGER dossier_parts_insert AFTER INSERT ON dossier_components BEGIN
        UPDATE dossiers SET {_COUNTS.format(code="new.dossier_code")} WHERE code = new.dossier_code; END""",
    f"""CREATE TRIGGER dossier_parts_update AFTER UPDATE ON dossier_components BEGIN
        UPDATE dossiers SET {_COUNTS.format(code="old.dossier_code")} WHERE code = old.dossier_code;
        UPDATE dossiers SET {_COUNTS.format(code="new.dossier_code")} WHERE code = new.dossier_code; END""",
    f"""CREATE TRIGGER dossier_parts_delete AFTER DELETE ON dossier_components BEGIN
        UPDATE dossiers SET {_COUNTS.format(code="old.dossier_code")} WHERE code = old.dossier_code; END""",
]


_DIGITISED = "CASE WHEN {row}.handed > 0 AND {row}.pending = 0 THEN 1 ELSE 0 END"
_DAY_KEY = "day = {day} AND procedure_code = {row}.procedure_code AND created_by = {row}.created_by"


def _dossier_days(postgres: bool) -> list[str]:
    """dossier_days filled from dossiers, then its triggers (after: the fill of the counters
    above must not count twice)."""
    day = (_PG_DAY if postgres else _SQLITE_DAY).format
    new, old = ("NEW", "OLD") if postgres else ("new", "old")
    add = (f"""INSERT INTO dossier_days {'AS t ' if postgres else ''}(day, procedure_code, created_by, dossiers, digitised, required,
            reused) VALUES ({day(row=new)}, {new}.procedure_code, {new}.created_by, 1, {_DIGITISED.format(row=new)},
            {new}.required_parts, {new}.reused_parts)
            ON CONFLICT (day, procedure_code, created_by) DO UPDATE SET dossiers = {'t.' if postgres else ''}dossiers + 1,
            digitised = {'t.' if postgres else ''}digitised + excluded.digitised, required = {'t.' if postgres else ''}required + excluded.required,
            reused = {'t.' if postgres else ''}reused + excluded.reused;""")
    remove = (f"""UPDATE dossier_days SET dossiers = dossiers - 1, digitised = digitised - {_DIGITISED.format(row=old)},
            required = required - {old}.required_parts, reused = reused - {old}.reused_parts
            WHERE {_DAY_KEY.format(day=day(row=old), row=old)};""")
    change = (f"""UPDATE dossier_days SET digitised = digitised + {_DIGITISED.format(row=new)} - {_DIGITISED.format(row=old)},
            required = required + {new}.required_parts - {old}.required_parts,
            reused = reused + {new}.reused_parts - {old}.reused_parts
            WHERE {_DAY_KEY.format(day=day(row=new), row=new)};""")
    fill = (f"""INSERT INTO dossier_days (day, procedure_code, created_by, dossiers, digitised, required, reused)
        SELECT {day(row="dossiers")}, procedure_code, created_by, count(*), sum({_DIGITISED.format(row="dossiers")}),
        sum(required_parts), sum(reused_parts) FROM dossiers GROUP BY 1, 2, 3""")
    if postgres:
        return [fill, f"""CREATE FUNCTION dossier_days_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {add}
            ELSIF TG_OP = 'DELETE' THEN
                {remove}
            ELSE
                {change}
            END IF;
            RETURN NULL;
        END $$""", """CREATE TRIGGER dossier_days_count AFTER INSERT OR DELETE OR UPDATE OF handed, pending,
        required_parts, reused_parts ON dossiers FOR EACH ROW EXECUTE FUNCTION dossier_days_count()"""]
    return [fill,
            f"CREATE TRIGGER dossier_days_insert AFTER INSERT ON dossiers BEGIN {add} END",
            f"CREATE TRIGGER dossier_days_delete AFTER DELETE ON dossiers BEGIN {remove} END",
            f"CREATE TRIGGER dossier_days_update AFTER UPDATE OF handed, pending, required_parts, reused_parts "
            f"ON dossiers BEGIN {change} END"]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(f"CREATE INDEX ix_documents_waiting ON documents (created_at, id) INCLUDE "
                   f"({', '.join(_WAITING_SHOWN)}) WHERE status = 'needs_review'")
        op.execute("CREATE INDEX ix_audit_log_target ON audit_log (target text_pattern_ops)")
    else:
        op.create_index("ix_documents_waiting", "documents", ["status", "created_at"])
        op.create_index("ix_audit_log_target", "audit_log", ["target"])
    op.create_table(
        "document_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("doc_type", sa.String(64), nullable=False),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "doc_type"),
    )
    op.create_table(
        "dossier_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("procedure_code", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("dossiers", sa.Integer, nullable=False),
        sa.Column("digitised", sa.Integer, nullable=False),
        sa.Column("required", sa.Integer, nullable=False),
        sa.Column("reused", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "procedure_code", "created_by"),
    )
    with op.batch_alter_table("dossiers") as batch:
        for name in ("handed", "pending", "required_parts", "reused_parts"):
            batch.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
    for statement in _PG if postgres else _SQLITE:
        op.execute(statement)
    op.execute(f"UPDATE dossiers SET {_COUNTS.format(code='dossiers.code')}")
    for statement in _dossier_days(postgres):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS document_days_count ON documents")
        op.execute("DROP FUNCTION IF EXISTS document_days_count()")
        op.execute("DROP TRIGGER IF EXISTS dossier_parts_count ON dossier_components")
        op.execute("DROP FUNCTION IF EXISTS dossier_parts_count()")
        op.execute("DROP TRIGGER IF EXISTS dossier_days_count ON dossiers")
        op.execute("DROP FUNCTION IF EXISTS dossier_days_count()")
    else:
        for name in ("document_days_insert", "document_days_delete", "document_days_update",
                     "dossier_parts_insert", "dossier_parts_update", "dossier_parts_delete",
                     "dossier_days_insert", "dossier_days_delete", "dossier_days_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("dossiers") as batch:
        for name in ("handed", "pending", "required_parts", "reused_parts"):
            batch.drop_column(name)
    op.execute("DROP TABLE IF EXISTS document_days")
    op.execute("DROP TABLE IF EXISTS dossier_days")
    op.execute("DROP INDEX IF EXISTS ix_audit_log_target")
    op.execute("DROP INDEX IF EXISTS ix_documents_waiting")
    op.execute("DROP INDEX IF EXISTS ix_documents_status_created")
