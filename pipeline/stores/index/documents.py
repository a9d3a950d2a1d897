"""Documents in the index: adding, reading, listing, and the classifier's and reviewers' updates."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, literal, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError, OperationalError

from pipeline.clock import aware, utcnow
from pipeline.errors import DocumentNotFound, SohoaError, StorageUnavailable
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import (
    NEEDS_REVIEW, SUPERSEDED, DocumentRow, DuplicateDocument, ReviewItem, as_date,
)
from pipeline.stores.index.search import search_words
from pipeline.stores.index.tables import document_regroupings, document_versions, documents

#: Columns of `documents` that are not DocumentRow fields.
_INTERNAL_COLUMNS = ("search_title", "search_text")
#: What a line of the review queue shows (not the text or the fields).
_QUEUE_COLUMNS = ("id", "filename", "doc_type", "type_confidence", "dossier_code", "review_note", "created_at")
#: The catalog's type for a paper of no known type.
UNTYPED = "khac"

#: Ids are lowercase hex (a SHA-256 prefix, a UUID). Anything else names nothing, and is never
#: sent to the database: `%` and `_` would be LIKE wildcards, a NUL byte a PostgreSQL error.
_HEX_ID = re.compile(r"[0-9a-f]{1,64}")


def is_id_prefix(text: str) -> bool:
    """Whether ``text`` can be (the start of) an id: 1 to 64 lowercase hex digits."""
    return _HEX_ID.fullmatch(text) is not None


def shown_id(text: str, limit: int = 80) -> str:
    """An id as a person asked for it, fit for a message: control characters written as \\xNN,
    cut at ``limit`` characters."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


class DocumentBusy(SohoaError):
    """A document changed while it was being split or merged: nothing was written."""

    code = "document_busy"


class DocumentsIndex(IndexConnection):
    """Documents: one row per stored document, with its classification and review status."""

    def find_by_sha256(self, sha256: str) -> str | None:
        with self._connect() as conn:
            return conn.execute(
                select(documents.c.id).where(documents.c.sha256 == sha256)
            ).scalar_one_or_none()

    def documents_of_source(self, source_sha256: str) -> list[DocumentRow]:
        """The documents ingested from the input file with this sha256, in page order (not
        those a split or merge made from them); the documents of rows from before 0007 too."""
        query = (
            _select_rows()
            .where(or_(documents.c.source_sha256 == source_sha256,
                       (documents.c.sha256 == source_sha256) & documents.c.source_sha256.is_(None)))
            .where(or_(documents.c.source_documents.is_not(None), documents.c.source_sha256.is_(None)))
            .order_by(documents.c.source_first_page, documents.c.id)
        )
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    def replace_documents(self, rows: Sequence[DocumentRow], replaced: Sequence[str], *, kind: str, by: str,
                          note: str) -> None:
        """In one transaction: add the documents a split or merge made, mark the ones they
        replace superseded (kept, findable, naming their replacements) and record who did it
        (a `document_regroupings` row)."""
        new_ids = ",".join(row.id for row in rows)
        when = utcnow()
        try:
            with self.engine.begin() as conn:
                for row in rows:
                    conn.execute(insert(documents).values(**_values(row)))
                    conn.execute(insert(document_versions), [
                        {"document_id": row.id, "version": 1, "variant": variant, "key": key, "sha256": sha,
                         "created_at": row.created_at}
                        for variant, key, sha in version_objects(row)
                    ])
                for document_id in replaced:
                    done = conn.execute(
                        update(documents).where(documents.c.id == document_id)
                        .where(documents.c.superseded_by.is_(None))
                        .values(superseded_by=new_ids, status=SUPERSEDED, review_note=note)).rowcount
                    if not done:  # replaced by someone else meanwhile: nothing of this is kept
                        raise DocumentBusy(f"document {document_id} was replaced meanwhile")
                conn.execute(insert(document_regroupings).values(
                    kind=kind, replaced=",".join(replaced), made=new_ids, detail=note, done_by=by, done_at=when))
        except IntegrityError as exc:
            raise DocumentBusy(f"the same {kind} was just made by someone else") from exc
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc

    def regroupings(self, document_id: str) -> list[dict[str, Any]]:
        """The splits and merges that replaced this document or made it, oldest first."""
        pattern = f"%{document_id}%"
        with self._connect() as conn:
            found = conn.execute(
                select(document_regroupings)
                .where(or_(document_regroupings.c.replaced.like(pattern), document_regroupings.c.made.like(pattern)))
                .order_by(document_regroupings.c.id)).mappings().all()
        return [{**r, "done_at": aware(r["done_at"])} for r in found]

    def add(self, row: DocumentRow) -> None:
        """Insert one document in one transaction; a row with the same content is a duplicate."""
        values = _values(row)
        objects = version_objects(row)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(documents).values(**values))
                conn.execute(insert(document_versions), [
                    {"document_id": row.id, "version": row.version, "variant": variant,
                     "key": key, "sha256": sha, "created_at": row.created_at}
                    for variant, key, sha in objects
                ])
        except IntegrityError as exc:
            existing = self.find_by_sha256(row.sha256)
            if existing:
                raise DuplicateDocument(existing) from exc
            raise
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc

    def get(self, document_id: str) -> DocumentRow:
        if not is_id_prefix(document_id):
            raise DocumentNotFound(f"no document {shown_id(document_id)}: ids are lowercase hexadecimal")
        with self._connect() as conn:
            found = conn.execute(
                _select_rows().where(documents.c.id == document_id)
            ).mappings().first()
            if found is None and len(document_id) >= 6:
                # Like git, an unambiguous prefix names a document.
                matches = conn.execute(
                    _select_rows().where(documents.c.id.startswith(document_id, autoescape=True)).limit(2)
                ).mappings().all()
                found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise DocumentNotFound(f"no document {document_id}")
        return _row(found)

    def list(self, *, dossier_code: str | None = None) -> list[DocumentRow]:
        query = _select_rows().order_by(documents.c.dossier_code, documents.c.created_at)
        if dossier_code:
            query = query.where(documents.c.dossier_code == dossier_code)
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    def find_for_owner(
        self,
        owner_id: str,
        doc_types: Sequence[str] | None = None,
        *,
        valid_on: date | None = None,
    ) -> list[DocumentRow]:
        """Documents of one owner, optionally of these types, valid on a day (default: today).

        A document without ``valid_until`` does not expire. Served by the
        (owner_id, doc_type, valid_until) index.
        """
        day = valid_on or date.today()
        query = (
            _select_rows()
            .where(documents.c.owner_id == owner_id)
            .where(documents.c.status != SUPERSEDED)
            .where(or_(documents.c.valid_until.is_(None), documents.c.valid_until >= day))
            .order_by(documents.c.doc_type, documents.c.issue_date.desc(), documents.c.id)
        )
        if doc_types is not None:
            query = query.where(documents.c.doc_type.in_(list(doc_types)))
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    # --- classification and review -----------------------------------------------------------

    def set_classification(
        self,
        document_id: str,
        doc_type: str | None,
        confidence: float | None,
        reason: str | None,
        fields: Mapping[str, Mapping[str, Any]] | None = None,
        status: str | None = None,
        owner_id: str | None = None,
        valid_until: date | None = None,
        issue_date: date | None = None,
        review_note: str | None = None,
    ) -> None:
        """Record what the classifier and extractor found.

        ``status`` and ``owner_id`` are kept as they were when given as None (the owner may come
        from the dossier's manifest); the other values are replaced.
        """
        values: dict[str, Any] = {
            "doc_type": doc_type,
            "type_confidence": confidence,
            "type_reason": reason,
            "fields": dump_fields(fields or {}),
            "valid_until": valid_until,
            "issue_date": issue_date,
            "review_note": review_note,
        }
        if status is not None:
            values["status"] = status
        if owner_id is not None:
            values["owner_id"] = owner_id
        self._update(document_id, values)

    def set_status(self, document_id: str, status: str, review_note: str | None = None) -> None:
        """E.g. a reviewer accepts a document: ``set_status(id, "stored", "checked by …")``."""
        self._update(document_id, {"status": status, "review_note": review_note})

    def list_needing_review(self, *, limit: int | None = None) -> list[DocumentRow]:
        query = (
            _select_rows()
            .where(documents.c.status == NEEDS_REVIEW)
            .order_by(documents.c.created_at, documents.c.id)
        )
        if limit:
            query = query.limit(limit)
        with self._connect() as conn:
            return [_row(m) for m in conn.execute(query).mappings()]

    def review_queue(self, *, limit: int, dossier_code: str | None = None, doc_type: str | None = None,
                     note_words: Sequence[str] = (), or_untyped: bool = False) -> list[ReviewItem]:
        """Documents waiting for a person, oldest first, filtered in the query (served by the
        waiting documents' index, ix_documents_waiting): of a dossier, of a type, and with a note containing one of
        ``note_words`` (or, ``or_untyped``, with no type or the generic one)."""
        query = (select(*(documents.c[name] for name in _QUEUE_COLUMNS))
                 .where(documents.c.status == NEEDS_REVIEW)
                 .order_by(documents.c.created_at, documents.c.id).limit(limit))
        if dossier_code:
            query = query.where(documents.c.dossier_code == dossier_code)
        if doc_type:
            query = query.where(documents.c.doc_type == doc_type)
        if note_words or or_untyped:
            wanted = [documents.c.review_note.contains(word, autoescape=True) for word in note_words]
            if or_untyped:
                wanted += [documents.c.doc_type.is_(None), documents.c.doc_type == UNTYPED]
            query = query.where(or_(*wanted))
        with self._connect() as conn:
            return [ReviewItem(**{**m, "created_at": aware(m["created_at"])}) for m in conn.execute(query).mappings()]

    def waiting_count(self) -> int:
        """How many documents wait for a person."""
        with self._connect() as conn:
            return conn.execute(select(func.count()).select_from(documents)
                                .where(documents.c.status == NEEDS_REVIEW)).scalar_one()

    def review_neighbours(self, document_id: str) -> tuple[str | None, str | None]:
        """The documents waiting before and after this one in the queue's order (the first
        waiting one as the next when this one waits no more)."""
        with self._connect() as conn:
            at = conn.execute(select(documents.c.created_at, documents.c.status)
                              .where(documents.c.id == document_id)).first()
            waiting = select(documents.c.id).where(documents.c.status == NEEDS_REVIEW)
            if at is None or at.status != NEEDS_REVIEW:
                first = conn.execute(waiting.order_by(documents.c.created_at, documents.c.id).limit(1)).scalar()
                return None, first
            key = tuple_(documents.c.created_at, documents.c.id)
            mine = tuple_(literal(at.created_at, documents.c.created_at.type), literal(document_id))
            before = conn.execute(waiting.where(key < mine).order_by(documents.c.created_at.desc(),
                                                                     documents.c.id.desc()).limit(1)).scalar()
            after = conn.execute(waiting.where(key > mine).order_by(documents.c.created_at,
                                                                    documents.c.id).limit(1)).scalar()
        return before, after

    def stream_neighbours(self, row: DocumentRow) -> tuple[DocumentRow | None, DocumentRow | None]:
        """The documents just before and just after this one in the file they were cut from (a
        scanner's stream, by its pages), leaving out replaced ones: what a reviewer merges with
        when separation cut one paper in two. (None, None) for a document of a file of its own."""
        if not row.source_sha256 or row.source_first_page is None or row.source_last_page is None:
            return None, None
        same = (_select_rows().where(documents.c.source_sha256 == row.source_sha256,
                                     documents.c.status != SUPERSEDED, documents.c.id != row.id))
        with self._connect() as conn:
            before = conn.execute(same.where(documents.c.source_last_page < row.source_first_page)
                                  .order_by(documents.c.source_last_page.desc()).limit(1)).mappings().first()
            after = conn.execute(same.where(documents.c.source_first_page > row.source_last_page)
                                 .order_by(documents.c.source_first_page).limit(1)).mappings().first()
        return (_row(before) if before else None), (_row(after) if after else None)

    def _update(self, document_id: str, values: dict[str, Any]) -> None:
        try:
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(documents).where(documents.c.id == document_id).values(**values)
                ).rowcount
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        if not done:
            raise DocumentNotFound(f"no document {document_id}")


# --- rows ------------------------------------------------------------------------------------

def version_objects(row: DocumentRow) -> list[tuple[str, str, str]]:
    """(variant, key, sha256) of a new document's first version: its original, searchable PDF
    and OCR record, and each file joined into it (``source-file-N``: page files, a merge of several files), so `verify` checks them."""
    objects = [
        ("original", row.original_key, row.original_sha256),
        ("searchable", row.searchable_key, row.searchable_sha256),
        ("ocr", row.ocr_key, row.ocr_sha256),
    ]
    files = json.loads(row.source_files) if row.source_files else []
    seen = {row.original_key}
    for n, entry in enumerate(files, 1):
        if entry.get("key") and entry["key"] not in seen:
            seen.add(entry["key"])
            objects.append((f"source-file-{n}", entry["key"], entry["sha256"]))
    return objects


def _select_rows():
    return select(*(c for c in documents.c if c.name not in _INTERNAL_COLUMNS))


def _values(row: DocumentRow) -> dict[str, Any]:
    values = dict(row.__dict__)
    values["stage_seconds"] = json.dumps(row.stage_seconds)
    values["fields"] = dump_fields(row.fields)
    values["search_title"] = search_words(row.title or "")
    values["search_text"] = search_words(row.text or "")
    return values


def dump_fields(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, default=str, sort_keys=True)


def _row(mapping) -> DocumentRow:
    values = dict(mapping)
    values["stage_seconds"] = json.loads(values["stage_seconds"] or "{}")
    values["fields"] = json.loads(values.get("fields") or "{}")
    values["created_at"] = aware(values["created_at"])
    for name in ("valid_until", "issue_date"):
        values[name] = as_date(values.get(name))
    return DocumentRow(**values)
