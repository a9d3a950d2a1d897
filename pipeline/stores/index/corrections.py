"""People's corrections of a document's type and fields, and the labels they give the classifier."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import OperationalError

from pipeline.clock import aware, utcnow
from pipeline.errors import DocumentNotFound, StorageUnavailable
from pipeline.stores.index.documents import dump_fields
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import Correction
from pipeline.stores.index.tables import corrections, documents


class CorrectionsIndex(IndexConnection):
    """Corrections people made to a document's type and fields."""

    def record_correction(
        self,
        document_id: str,
        kind: str,
        name: str,
        new_value: str | None,
        corrected_by: str,
        *,
        old_value: str | None = None,
        corrected_at: datetime | None = None,
    ) -> Correction:
        """Record a person's correction and apply it to the document, in one transaction.

        ``kind`` is ``"type"`` (``name`` is ``"doc_type"``) or ``"field"`` (``name`` is the field).
        ``old_value`` defaults to the value the index held. A corrected value gets confidence 1.0;
        a corrected field keeps the page and box where it was read. Applying the same correction
        twice leaves the same document.
        """
        if kind not in ("type", "field"):
            raise ValueError(f"correction kind must be 'type' or 'field', not {kind!r}")
        when = corrected_at or utcnow()
        try:
            with self.engine.begin() as conn:
                current = conn.execute(
                    select(documents.c.doc_type, documents.c.fields)
                    .where(documents.c.id == document_id)
                ).first()
                if current is None:
                    raise DocumentNotFound(f"no document {document_id}")
                if kind == "type":
                    previous = current.doc_type
                    changes = {"doc_type": new_value, "type_confidence": 1.0,
                               "type_reason": f"corrected by {corrected_by}"}
                else:
                    fields = json.loads(current.fields or "{}")
                    entry = dict(fields.get(name) or {})
                    previous = entry.get("value")
                    entry.update(value=new_value, confidence=1.0)
                    fields[name] = entry
                    changes = {"fields": dump_fields(fields)}
                    # Fields the index also keeps as columns (owner lookups, validity) follow.
                    if name == "owner_id":
                        changes["owner_id"] = new_value
                    elif name in ("valid_until", "issue_date"):
                        changes[name] = date.fromisoformat(new_value) if new_value else None
                if old_value is None and previous is not None:
                    old_value = str(previous)
                conn.execute(update(documents).where(documents.c.id == document_id)
                             .values(**changes))
                new_id = conn.execute(insert(corrections).values(
                    document_id=document_id, kind=kind, name=name, old_value=old_value,
                    new_value=new_value, corrected_by=corrected_by, corrected_at=when,
                )).inserted_primary_key[0]
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        return Correction(new_id, document_id, kind, name, old_value, new_value, corrected_by,
                          when)

    def correction_labels(self) -> list[tuple[str, str]]:
        """(document text, corrected type) for every document a person re-typed: training labels."""
        latest: dict[str, str] = {}
        with self._connect() as conn:
            for document_id, value in conn.execute(
                select(corrections.c.document_id, corrections.c.new_value)
                .where(corrections.c.kind == "type")
                .order_by(corrections.c.corrected_at, corrections.c.id)
            ):
                latest[document_id] = value
            if not latest:
                return []
            texts = dict(conn.execute(
                select(documents.c.id, documents.c.text).where(documents.c.id.in_(list(latest)))
            ).all())
        return [(texts[i], label) for i, label in latest.items() if texts.get(i) and label]

    def field_corrections(self) -> list[tuple[str, str, str, str, str]]:
        """(document id, its type, its OCR object key, field, latest corrected value) for every
        field a person corrected: the labels of the learned field reader."""
        latest: dict[tuple[str, str], str] = {}
        with self._connect() as conn:
            for document_id, name, value in conn.execute(
                select(corrections.c.document_id, corrections.c.name, corrections.c.new_value)
                .where(corrections.c.kind == "field")
                .order_by(corrections.c.corrected_at, corrections.c.id)
            ):
                latest[(document_id, name)] = value
            if not latest:
                return []
            rows = {i: (t, k) for i, t, k in conn.execute(
                select(documents.c.id, documents.c.doc_type, documents.c.ocr_key)
                .where(documents.c.id.in_(sorted({d for d, _ in latest})))
            ).all()}
        return [(d, rows[d][0] or "khac", rows[d][1], name, value) for (d, name), value in latest.items()
                if d in rows and value]

    def corrections(self, document_id: str) -> list[Correction]:
        with self._connect() as conn:
            rows = conn.execute(
                select(corrections).where(corrections.c.document_id == document_id)
                .order_by(corrections.c.corrected_at, corrections.c.id)
            ).mappings().all()
        return [Correction(**{**r, "corrected_at": aware(r["corrected_at"])}) for r in rows]
