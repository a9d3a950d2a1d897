"""The trust_state row (migration 0011): which trust roots the stored signature statuses were
validated under, the last re-validation, and the claim of the one process re-validating now.
The SQL of this table and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.clock import aware
from pipeline.stores.index.index import Index
from pipeline.stores.index.tables import trust_state

#: The one row of trust_state.
SIGNATURES = "signatures"


@dataclass(frozen=True)
class TrustState:
    trust_roots_sha256: str | None  # None: never validated under roots written down
    roots: int | None
    revalidated_at: datetime | None
    versions: int | None
    changed: int | None
    claimed_by: str | None
    claimed_for: str | None
    claimed_at: datetime | None


class TrustRecords:
    """The trust_state table."""

    def __init__(self, index: Index):
        self.engine = index.engine

    def state(self) -> TrustState:
        self._ensure_row()
        with self.engine.connect() as conn:
            row = conn.execute(select(trust_state).where(trust_state.c.name == SIGNATURES)).mappings().one()
        return TrustState(
            trust_roots_sha256=row["trust_roots_sha256"], roots=row["roots"],
            revalidated_at=aware(row["revalidated_at"]) if row["revalidated_at"] else None,
            versions=row["versions"], changed=row["changed"], claimed_by=row["claimed_by"],
            claimed_for=row["claimed_for"],
            claimed_at=aware(row["claimed_at"]) if row["claimed_at"] else None,
        )

    def claim(self, fingerprint: str, by: str, *, now: datetime, stale_before: datetime,
              even_if_current: bool = False) -> bool:
        """Claim the re-validation under `fingerprint` for `by`: one conditional UPDATE, so of two
        processes asking at once exactly one gets it. Refused when the statuses are already
        validated under `fingerprint`, or another process holds a claim refreshed since
        `stale_before` (`even_if_current`: claimed under the same roots too, to validate again
        by hand)."""
        self._ensure_row()
        query = update(trust_state).where(trust_state.c.name == SIGNATURES)
        if not even_if_current:
            query = query.where(trust_state.c.trust_roots_sha256.is_distinct_from(fingerprint))
        with self.engine.begin() as conn:
            claimed = conn.execute(
                query.where(trust_state.c.claimed_by.is_(None) | (trust_state.c.claimed_at < stale_before)
                       | (trust_state.c.claimed_by == by))
                .values(claimed_by=by, claimed_for=fingerprint, claimed_at=now))
            return claimed.rowcount == 1

    def refresh_claim(self, by: str, *, now: datetime) -> bool:
        """Keep `by`'s claim fresh while it works; False when it was taken over meanwhile."""
        with self.engine.begin() as conn:
            return conn.execute(
                update(trust_state)
                .where((trust_state.c.name == SIGNATURES) & (trust_state.c.claimed_by == by))
                .values(claimed_at=now)).rowcount == 1

    def finish(self, by: str, fingerprint: str, *, roots: int, versions: int, changed: int,
               now: datetime) -> None:
        """Record that the stored statuses are now validated under `fingerprint`, and release."""
        with self.engine.begin() as conn:
            conn.execute(
                update(trust_state)
                .where((trust_state.c.name == SIGNATURES) & (trust_state.c.claimed_by == by))
                .values(trust_roots_sha256=fingerprint, roots=roots, revalidated_at=now,
                        versions=versions, changed=changed, claimed_by=None, claimed_for=None,
                        claimed_at=None))

    def release(self, by: str) -> None:
        """Give up `by`'s claim without recording (the re-validation failed half-way)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(trust_state)
                .where((trust_state.c.name == SIGNATURES) & (trust_state.c.claimed_by == by))
                .values(claimed_by=None, claimed_for=None, claimed_at=None))

    def _ensure_row(self) -> None:
        """The migration inserts the row; an index whose row was removed gets it back."""
        with self.engine.connect() as conn:
            found = conn.execute(select(trust_state.c.name).where(trust_state.c.name == SIGNATURES)).first()
        if found is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(trust_state).values(name=SIGNATURES))
            except IntegrityError:
                pass  # another process inserted it
