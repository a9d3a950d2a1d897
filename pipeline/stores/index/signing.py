"""The records of signing where officials work (migration 0009): results waiting for signatures,
prepared external signatures and officials' signing profiles. The SQL of these three tables and
nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from pipeline.clock import aware
from pipeline.stores.index.index import Index
from pipeline.stores.index.tables import results, signing_profiles, signing_sessions


@dataclass(frozen=True)
class ResultRow:
    document_id: str
    dossier_code: str | None
    office: str
    needs: tuple[str, ...]  # signature kinds, in signing order
    done: tuple[str, ...]
    marked_by: str
    marked_at: datetime
    signed_at: datetime | None

    @property
    def next_kind(self) -> str | None:
        """The signature it waits for (None: every needed signature is made)."""
        return self.needs[len(self.done)] if len(self.done) < len(self.needs) else None


@dataclass(frozen=True)
class SessionRow:
    id: str
    document_id: str
    version: int
    kind: str
    state: dict
    prepared_pdf: bytes
    created_by: str
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class ProfileRow:
    username: str
    full_name: str = ""
    position: str = ""
    office: str = ""
    key_ref: str | None = None
    certificate_chain: str | None = None
    signature_image: bytes | None = None
    seal_image: bytes | None = None
    updated_at: datetime | None = None


class SigningRecords:
    """The results, signing_sessions and signing_profiles tables."""

    def __init__(self, index: Index):
        self.engine = index.engine

    # --- results ------------------------------------------------------------------------------

    def mark_result(self, row: ResultRow) -> ResultRow:
        """Mark a document as a result; marking it again keeps what it has and the first marking."""
        with self.engine.begin() as conn:
            found = conn.execute(select(results).where(results.c.document_id == row.document_id)).mappings().first()
            if found is None:
                conn.execute(insert(results).values(
                    document_id=row.document_id, dossier_code=row.dossier_code, office=row.office,
                    needs=json.dumps(list(row.needs)), done=json.dumps(list(row.done)), marked_by=row.marked_by,
                    marked_at=row.marked_at, signed_at=row.signed_at))
                return row
        return _result(found)

    def result(self, document_id: str) -> ResultRow | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(results).where(results.c.document_id == document_id)).mappings().first()
        return _result(found) if found else None

    def waiting_results(self, *, limit: int = 500) -> list[ResultRow]:
        """Results some needed signature is still missing on, oldest marked first."""
        query = (select(results).where(results.c.signed_at.is_(None))
                 .order_by(results.c.marked_at, results.c.document_id).limit(limit))
        with self.engine.connect() as conn:
            return [_result(m) for m in conn.execute(query).mappings()]

    def record_result_signature(self, document_id: str, kind: str, at: datetime) -> None:
        """One more of the result's needed signatures is made (in one transaction)."""
        with self.engine.begin() as conn:
            found = conn.execute(select(results).where(results.c.document_id == document_id)).mappings().first()
            if found is None:
                return
            row = _result(found)
            if row.next_kind != kind:
                return
            done = [*row.done, kind]
            conn.execute(update(results).where(results.c.document_id == document_id).values(
                done=json.dumps(done), signed_at=at if len(done) == len(row.needs) else None))

    # --- prepared external signatures -----------------------------------------------------------

    def add_session(self, row: SessionRow) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(signing_sessions).values(
                id=row.id, document_id=row.document_id, version=row.version, kind=row.kind,
                state=json.dumps(row.state), prepared_pdf=row.prepared_pdf, created_by=row.created_by,
                created_at=row.created_at, expires_at=row.expires_at, completed_at=None))

    def session(self, signing_id: str) -> SessionRow | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(signing_sessions).where(signing_sessions.c.id == signing_id)).mappings().first()
        if found is None:
            return None
        values = dict(found)
        values["state"] = json.loads(values["state"])
        for name in ("created_at", "expires_at", "completed_at"):
            if values[name] is not None:
                values[name] = aware(values[name])
        return SessionRow(**values)

    def claim_session(self, signing_id: str, at: datetime) -> bool:
        """Mark the session completed; False when it was already (one prepare completes once)."""
        with self.engine.begin() as conn:
            done = conn.execute(update(signing_sessions).where(
                signing_sessions.c.id == signing_id, signing_sessions.c.completed_at.is_(None))
                .values(completed_at=at))
            return done.rowcount == 1

    def release_session(self, signing_id: str) -> None:
        """Undo a claim whose completion failed before anything was stored."""
        with self.engine.begin() as conn:
            conn.execute(update(signing_sessions).where(signing_sessions.c.id == signing_id)
                         .values(completed_at=None))

    def drop_expired_sessions(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(signing_sessions).where(signing_sessions.c.expires_at < before)).rowcount

    # --- profiles -----------------------------------------------------------------------------

    def save_profile(self, row: ProfileRow) -> None:
        values = {k: v for k, v in row.__dict__.items() if k != "username"}
        with self.engine.begin() as conn:
            changed = conn.execute(update(signing_profiles).where(
                signing_profiles.c.username == row.username).values(**values)).rowcount
            if not changed:
                conn.execute(insert(signing_profiles).values(username=row.username, **values))

    def profile(self, username: str) -> ProfileRow | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(signing_profiles).where(
                signing_profiles.c.username == username)).mappings().first()
        if found is None:
            return None
        values = dict(found)
        values["updated_at"] = aware(values["updated_at"]) if values["updated_at"] else None
        return ProfileRow(**values)


def _result(mapping) -> ResultRow:
    values = dict(mapping)
    values["needs"] = tuple(json.loads(values["needs"]))
    values["done"] = tuple(json.loads(values["done"]))
    for name in ("marked_at", "signed_at"):
        if values[name] is not None:
            values[name] = aware(values[name])
    return ResultRow(**values)
