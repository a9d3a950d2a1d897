"""Queued batches: the source of truth for what a batch holds and how far it has got.

A queued batch (`sohoa ingest --queue`) is one ``batches`` row and one ``batch_items`` row per
input file, in the index database. Broker messages are only hints that say "work on item X": a
Redis broker keeps nothing on disk, so after a broker restart the pending items are sent again
from this table (`sohoa batch resume`), and a message delivered twice finds its item settled and
does nothing. An item settles once, from ``pending`` to ``stored``, ``duplicate`` or ``failed``
(with the error code and message); only `sohoa jobs retry` puts a failed item back to pending.

``document_claims`` makes "stored" exact when several items carry the same bytes: the first item
to claim a document id is the one that stores it; the others wait for it and become duplicates.

The tables (pipeline.stores.index.tables) match migration 0006. Nothing here imports a broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from pipeline.errors import DocumentNotFound, StorageUnavailable
from pipeline.clock import utcnow
from pipeline.stores.index import Index, is_id_prefix, shown_id
from pipeline.stores.index.tables import batch_items, batches, document_claims

PENDING, STORED, DUPLICATE, FAILED = "pending", "stored", "duplicate", "failed"
SETTLED = (STORED, DUPLICATE, FAILED)


@dataclass(frozen=True)
class NewItem:
    """One input file of a batch being submitted."""

    source: str
    dossier_code: str | None = None
    owner_id: str | None = None
    procedure_code: str | None = None
    sha256: str | None = None
    staged_key: str | None = None
    status: str = PENDING
    same_as_position: int | None = None  # position of an earlier item with the same bytes
    document_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    quarantined_as: str | None = None


@dataclass(frozen=True)
class BatchItem:
    id: str
    batch_id: str
    position: int
    source: str
    dossier_code: str | None
    owner_id: str | None
    procedure_code: str | None
    sha256: str | None
    staged_key: str | None
    same_as_item: str | None
    input_kind: str | None
    pages: int | None
    status: str
    error_code: str | None
    error: str | None
    document_id: str | None
    quarantined_as: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


@dataclass(frozen=True)
class BatchCounts:
    batch_id: str
    total: int
    stored: int
    duplicate: int
    failed: int
    pending: int

    @property
    def done(self) -> bool:
        return self.pending == 0


class BatchNotFound(DocumentNotFound):
    """No batch with that id (exit code 5, like an unknown document)."""


class Batches:
    """Batch and item rows in the index database (same engine and migrations as the Index)."""

    def __init__(self, index: Index):
        self.engine = index.engine

    # --- submitting ---------------------------------------------------------------------------

    @staticmethod
    def new_ids(count: int) -> tuple[str, list[str]]:
        """A new batch id and ``count`` item ids (known before the rows exist, to stage bytes)."""
        return uuid.uuid4().hex, [uuid.uuid4().hex for _ in range(count)]

    def create(
        self, batch_id: str, ids: Sequence[str], items: Sequence[NewItem], *, description: str = ""
    ) -> None:
        """One batch with its items (``ids`` by position) in one transaction."""
        now = utcnow()
        rows = [
            {
                "id": ids[position], "batch_id": batch_id, "position": position,
                "source": item.source, "dossier_code": item.dossier_code,
                "owner_id": item.owner_id, "procedure_code": item.procedure_code,
                "sha256": item.sha256, "staged_key": item.staged_key,
                "same_as_item": ids[item.same_as_position] if item.same_as_position is not None else None,
                "status": item.status, "document_id": item.document_id,
                "error_code": item.error_code, "error": item.error,
                "quarantined_as": item.quarantined_as, "attempts": 0,
                "created_at": now, "updated_at": now,
            }
            for position, item in enumerate(items)
        ]
        with self._begin() as conn:
            conn.execute(insert(batches).values(id=batch_id, created_at=now, description=description))
            if rows:
                conn.execute(insert(batch_items), rows)

    # --- workers --------------------------------------------------------------------------------

    def item(self, item_id: str) -> BatchItem | None:
        with self._begin() as conn:
            row = conn.execute(select(batch_items).where(batch_items.c.id == item_id)).mappings().first()
        return _item(row) if row else None

    def begin_attempt(self, item_id: str) -> BatchItem | None:
        """Count one more delivery of a pending item; None when it is unknown or settled."""
        with self._begin() as conn:
            conn.execute(
                update(batch_items)
                .where(batch_items.c.id == item_id, batch_items.c.status == PENDING)
                .values(attempts=batch_items.c.attempts + 1, updated_at=utcnow())
            )
            row = conn.execute(select(batch_items).where(batch_items.c.id == item_id)).mappings().first()
        item = _item(row) if row else None
        return item if item is not None and not item.settled else None

    def set_shape(self, item_id: str, *, input_kind: str, pages: int) -> None:
        with self._begin() as conn:
            conn.execute(
                update(batch_items).where(batch_items.c.id == item_id)
                .values(input_kind=input_kind, pages=pages, updated_at=utcnow())
            )

    def settle(
        self,
        item_id: str,
        status: str,
        *,
        document_id: str | None = None,
        error_code: str | None = None,
        error: str | None = None,
        quarantined_as: str | None = None,
    ) -> bool:
        """Settle a pending item, and the later items of its batch with the same bytes (stored →
        they are duplicates; failed → they fail the same way). False if it had settled already."""
        assert status in SETTLED
        now = utcnow()
        with self._begin() as conn:
            done = conn.execute(
                update(batch_items)
                .where(batch_items.c.id == item_id, batch_items.c.status == PENDING)
                .values(status=status, document_id=document_id, error_code=error_code,
                        error=error, quarantined_as=quarantined_as, updated_at=now)
            ).rowcount
            if done:
                followers = {"status": FAILED, "error_code": error_code,
                             "error": f"same content as {item_id}, which failed: {error}"}
                if status != FAILED:
                    followers = {"status": DUPLICATE, "error_code": None,
                                 "error": f"already stored as {document_id}"}
                conn.execute(
                    update(batch_items)
                    .where(batch_items.c.same_as_item == item_id, batch_items.c.status == PENDING)
                    .values(document_id=document_id, updated_at=now, **followers)
                )
        return bool(done)

    def claim(self, document_id: str, item_id: str) -> str:
        """Make ``item_id`` the one item that stores ``document_id``, unless another pending or
        stored item holds the claim; returns the item that holds it."""
        try:
            with self._begin() as conn:
                conn.execute(insert(document_claims).values(
                    document_id=document_id, item_id=item_id, claimed_at=utcnow()))
            return item_id
        except IntegrityError:
            pass  # claimed before: by this item (a message delivered again) or another
        with self._begin() as conn:
            holder = conn.execute(
                select(document_claims.c.item_id, batch_items.c.status)
                .select_from(document_claims.outerjoin(
                    batch_items, batch_items.c.id == document_claims.c.item_id))
                .where(document_claims.c.document_id == document_id)
            ).one()
            if holder.item_id == item_id or holder.status in (PENDING, STORED):
                return holder.item_id
            # The holder failed (or is gone): the document is free to be stored by this item.
            conn.execute(
                update(document_claims)
                .where(document_claims.c.document_id == document_id,
                       document_claims.c.item_id == holder.item_id)
                .values(item_id=item_id, claimed_at=utcnow())
            )
            return item_id

    def claim_holder(self, document_id: str) -> str | None:
        with self._begin() as conn:
            return conn.execute(
                select(document_claims.c.item_id).where(document_claims.c.document_id == document_id)
            ).scalar_one_or_none()

    # --- status and recovery --------------------------------------------------------------------

    def counts(self, batch_id: str) -> BatchCounts:
        status = batch_items.c.status
        with self._begin() as conn:
            if conn.execute(select(batches.c.id).where(batches.c.id == batch_id)).first() is None:
                raise BatchNotFound(f"no batch {batch_id}")
            row = conn.execute(
                select(
                    func.count(),
                    *(func.coalesce(func.sum(case((status == s, 1), else_=0)), 0) for s in
                      (STORED, DUPLICATE, FAILED, PENDING)),
                ).where(batch_items.c.batch_id == batch_id)
            ).one()
        return BatchCounts(batch_id, *(int(v) for v in row))

    def resolve_batch_id(self, prefix: str) -> str:
        """A batch id from its first characters (as printed), like document ids: lowercase hex,
        matched literally."""
        if not is_id_prefix(prefix):
            raise BatchNotFound(f"no batch {shown_id(prefix)}: batch ids are lowercase hexadecimal")
        with self._begin() as conn:
            found = conn.execute(
                select(batches.c.id).where(batches.c.id.startswith(prefix, autoescape=True)).limit(2)
            ).scalars().all()
        if len(found) != 1:
            raise BatchNotFound(f"no batch {shown_id(prefix)}" if not found else f"batch id {prefix} is ambiguous")
        return found[0]

    def items(self, batch_id: str | None = None, *, status: str | None = None) -> list[BatchItem]:
        query = select(batch_items).order_by(batch_items.c.created_at, batch_items.c.position)
        if batch_id is not None:
            query = query.where(batch_items.c.batch_id == batch_id)
        if status is not None:
            query = query.where(batch_items.c.status == status)
        with self._begin() as conn:
            return [_item(row) for row in conn.execute(query).mappings()]

    def pending_leaders(self, batch_id: str) -> list[str]:
        """Pending items that need a message (not those waiting for an earlier same-content item)."""
        with self._begin() as conn:
            return list(conn.execute(
                select(batch_items.c.id)
                .where(batch_items.c.batch_id == batch_id, batch_items.c.status == PENDING,
                       batch_items.c.same_as_item.is_(None))
                .order_by(batch_items.c.position)
            ).scalars())

    def reset_failed(self, item_ids: Iterable[str] | None = None) -> list[str]:
        """Failed items back to pending (all of them when ``item_ids`` is None), with their
        same-content followers; returns the items to send messages for."""
        now = utcnow()
        with self._begin() as conn:
            query = select(batch_items.c.id, batch_items.c.same_as_item).where(
                batch_items.c.status == FAILED)
            if item_ids is not None:
                query = query.where(batch_items.c.id.in_(list(item_ids)))
            failed = conn.execute(query).all()
            leaders = {row.same_as_item or row.id for row in failed}
            if not leaders:
                return []
            conn.execute(
                update(batch_items)
                .where(batch_items.c.status == FAILED,
                       (batch_items.c.id.in_(leaders)) | (batch_items.c.same_as_item.in_(leaders)))
                .values(status=PENDING, error_code=None, error=None, quarantined_as=None,
                        document_id=None, updated_at=now)
            )
            return list(conn.execute(
                select(batch_items.c.id).where(batch_items.c.id.in_(leaders),
                                               batch_items.c.status == PENDING)
            ).scalars())

    # --- helpers --------------------------------------------------------------------------------

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction; an unreachable database is StorageUnavailable (the work is retried)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc


def _item(row) -> BatchItem:
    values = dict(row)
    for name in ("created_at", "updated_at"):  # SQLite gives naive datetimes back
        if values[name].tzinfo is None:
            values[name] = values[name].replace(tzinfo=UTC)
    return BatchItem(**values)
