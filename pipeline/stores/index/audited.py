"""Reads of personal data whose audit row is written in the same transaction: the API's reuse
check asks for an owner's papers and records that it did in one statement on PostgreSQL (an
INSERT in a WITH clause), in one transaction on SQLite; one connection, one round trip."""

from __future__ import annotations

import fcntl
import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from sqlalchemy import ARRAY, Date, String, all_, any_, bindparam, insert, or_, select
from sqlalchemy.exc import DBAPIError, OperationalError

from pipeline.errors import StorageUnavailable
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import NEEDS_REVIEW, REJECTED, SUPERSEDED, AuditRecord, PaperRow, as_date
from pipeline.stores.index.tables import audit_log, documents, signatures

#: Statuses of documents that cannot stand in for a paper: a person must still check it, one
#: rejected it, or a newer document replaced it.
NOT_ON_FILE = (NEEDS_REVIEW, REJECTED, SUPERSEDED)


def _papers(*conditions):
    """The owner's papers: the signatures of each document's current version joined in, on the
    (owner_id, doc_type, valid_until) index, reading only the columns needed (not the text)."""
    return (
        select(documents.c.id, documents.c.doc_type, documents.c.valid_until, documents.c.issue_date,
               signatures.c.indication)
        .outerjoin(signatures, (signatures.c.document_id == documents.c.id)
                   & (signatures.c.version == documents.c.version))
        .where(documents.c.owner_id == bindparam("owner_id"))
        .where(or_(documents.c.valid_until.is_(None),
                   documents.c.valid_until >= bindparam("valid_on", type_=Date)))
        .where(*conditions)
    )


# Built once: SQLAlchemy caches the compiled form of a statement object, and psycopg prepares a
# statement it is sent five times on a connection.
_PAPERS = _papers(documents.c.doc_type.in_(bindparam("doc_types", expanding=True)),
                  documents.c.status.not_in(NOT_ON_FILE))
_AUDIT = insert(audit_log).values(
    at=bindparam("audit_at"), client=bindparam("audit_client"), action=bindparam("audit_action"),
    target=bindparam("audit_target"), owner_id=bindparam("audit_owner_id"),
    purpose=bindparam("audit_purpose"), outcome=bindparam("audit_outcome"),
)
#: PostgreSQL: WITH audit AS (INSERT …) SELECT …, with arrays for the lists, so that its text is
#: the same whatever the procedure (`_postgresql_text`)
_PAPERS_AUDITED_PG = _papers(
    documents.c.doc_type == any_(bindparam("doc_types", type_=ARRAY(String))),
    documents.c.status != all_(bindparam("not_on_file", type_=ARRAY(String))),
).add_cte(_AUDIT.cte("audit"))


class AuditedReadsIndex(IndexConnection):
    """An owner's papers, read on `reads_engine` with the audit row of the read."""

    def owner_papers(
        self, owner_id: str, doc_types: Sequence[str], *, valid_on: date, audit: AuditRecord | None = None,
    ) -> list[PaperRow]:
        """The owner's documents of these types valid on ``valid_on`` that may stand in for a
        paper (see `NOT_ON_FILE`); ``audit``: the row recording this read, written in the same
        transaction (no row, no answer)."""
        if not doc_types:
            if audit is not None:
                self._write_audit(audit)
            return []
        values = {"owner_id": owner_id, "doc_types": list(doc_types), "valid_on": valid_on}
        if audit is not None:
            values |= _audit_values(audit)
        rows = self._run(lambda conn: _owner_papers(conn, values, audited=audit is not None))
        return [PaperRow(r.id, r.doc_type, as_date(r.valid_until), as_date(r.issue_date), r.indication)
                for r in rows]

    def _write_audit(self, audit: AuditRecord) -> None:
        def write(conn):
            conn.execute(_AUDIT, _audit_values(audit))
            if conn.in_transaction():
                conn.commit()
        self._run(write)

    def _run(self, work):
        """``work(connection)`` on one connection of `reads_engine`, once more on a fresh
        connection when the first was found dead (the pool is not pinged: after a database
        restart the first use of each old connection fails, and nothing was written on it)."""
        for attempt in (1, 2):
            try:
                with self.reads_engine.connect() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if exc.connection_invalidated and attempt == 1:
                    continue
                if isinstance(exc, OperationalError):
                    raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc
                raise


def _owner_papers(conn, values: dict, *, audited: bool):
    if not audited:
        return conn.execute(_PAPERS, values).all()
    if conn.dialect.name == "postgresql":
        # its text, compiled once: SQLAlchemy's work per execution of a compiled statement was
        # as much CPU as PostgreSQL's for the whole query and insert
        return conn.exec_driver_sql(_postgresql_text(conn.dialect),
                                    {**values, "not_on_file": list(NOT_ON_FILE)}).all()
    # SQLite: no INSERT in WITH. The row first, so that the write lock is taken before the read
    # (a transaction that reads and then writes can be refused when another process wrote between)
    with _write_turn(conn.engine):
        conn.execute(_AUDIT, values)
        rows = conn.execute(_PAPERS, values).all()
        conn.commit()
    return rows


_turns: dict[str, threading.Lock] = {}
_turns_lock = threading.Lock()


@contextmanager
def _write_turn(engine) -> Iterator[None]:
    """The audited reads of every process on one SQLite file take turns on a lock file beside it:
    a process waiting on the file is woken the moment the other is done, where SQLite's own busy
    handler sleeps 1, 2, 5, 10… ms between tries (two server processes answered 860 checks/s
    with a p99 of 484 ms that way, 1,014/s and 149 ms taking turns, in one run). An in-memory
    database has one process."""
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with _turns_lock:
        lock = _turns.setdefault(database, threading.Lock())
    with lock, open(f"{database}.audit.lock", "a+b") as handle:  # a lock file is held per process
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@functools.cache
def _postgresql_text(dialect) -> str:
    return str(_PAPERS_AUDITED_PG.compile(dialect=dialect))


def _audit_values(audit: AuditRecord) -> dict:
    return {"audit_at": audit.at, "audit_client": audit.client, "audit_action": audit.action,
            "audit_target": audit.target, "audit_owner_id": audit.owner_id,
            "audit_purpose": audit.purpose, "audit_outcome": audit.outcome}
