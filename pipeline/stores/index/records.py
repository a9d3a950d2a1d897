"""What the index hands out: documents, search hits, corrections, signatures, object references."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: The status a classifier gives a document a person must look at.
NEEDS_REVIEW = "needs_review"
REJECTED = "rejected"  # a reviewer found it is not a usable paper: never on file
SUPERSEDED = "superseded"  # replaced by the documents a split or merge made (`superseded_by`); kept


class DuplicateDocument(Exception):
    def __init__(self, existing_id: str):
        super().__init__(existing_id)
        self.existing_id = existing_id


@dataclass(frozen=True)
class ReviewItem:
    """A line of the review queue."""

    id: str
    filename: str
    doc_type: str | None
    type_confidence: float | None
    dossier_code: str | None
    review_note: str | None
    created_at: datetime


@dataclass(frozen=True)
class DocumentRow:
    id: str
    sha256: str
    source: str
    filename: str
    media_type: str
    input_kind: str
    dossier_code: str | None
    owner_id: str | None
    procedure_code: str | None
    title: str | None
    pages: int
    ocr_confidence: float | None
    status: str
    version: int
    original_key: str
    searchable_key: str
    ocr_key: str
    searchable_sha256: str
    ocr_sha256: str
    text: str
    stage_seconds: dict[str, float]
    created_at: datetime
    doc_type: str | None = None
    type_confidence: float | None = None
    type_reason: str | None = None
    #: name -> {"value": …, "confidence": float, "page": int, "bbox": [x0, y0, x1, y1]}
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    valid_until: date | None = None
    issue_date: date | None = None
    review_note: str | None = None
    # Where it came from (0007): the input file's sha256 and the pages of it this document holds
    # (1-based; "1-3,5": blank backs and separator sheets are not in the document); how many
    # documents that input made (None: made by a split or merge); page files joined into it
    # (JSON list of {name, sha256, key, pages}); the documents that replaced it.
    source_sha256: str | None = None
    source_first_page: int | None = None
    source_last_page: int | None = None
    source_pages: str | None = None
    source_documents: int | None = None
    source_files: str | None = None
    superseded_by: str | None = None

    @property
    def original_sha256(self) -> str:
        """The sha256 of the stored original (the input file, or the page files' list)."""
        return self.source_sha256 or self.sha256

    def public(self) -> dict[str, Any]:
        """The record as shown to users (`sohoa show --json`), without the full text."""
        record = {k: v for k, v in self.__dict__.items() if k != "text"}
        for name, value in record.items():
            if isinstance(value, date | datetime):
                record[name] = value.isoformat()
        return record


@dataclass(frozen=True)
class SearchHit:
    document_id: str
    title: str | None
    snippet: str  # original text around the first match, matched words in [brackets]
    rank: float  # higher is better; comparable within one result list only
    doc_type: str | None
    owner_id: str | None
    dossier_code: str | None
    issue_date: date | None


@dataclass(frozen=True)
class Correction:
    id: int
    document_id: str
    kind: str
    name: str
    old_value: str | None
    new_value: str | None
    corrected_by: str
    corrected_at: datetime


@dataclass(frozen=True)
class SignatureRecord:
    """One validated signature of one stored version."""

    document_id: str
    version: int
    field_name: str
    indication: str
    sub_indication: str | None
    signer: str | None
    signed_at: datetime | None
    level: str | None
    report: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ObjectRef:
    """One stored object an index row points at, with the sha256 recorded for it."""

    document_id: str
    version: int
    variant: str
    key: str
    sha256: str


@dataclass(frozen=True)
class DocumentVersion:
    """One recorded version of a document: the objects it is made of, by variant."""

    document_id: str
    version: int
    created_at: datetime
    objects: dict[str, ObjectRef]  # variant (original, searchable, ocr, signed…) -> its object


def as_date(value: Any) -> date | None:
    """A date column as read back: SQLite hands out the ISO text, PostgreSQL a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit log: who read what about whom, why, and the status answered."""

    at: datetime
    client: str
    action: str
    target: str
    owner_id: str | None
    purpose: str | None
    outcome: int = 200


@dataclass(frozen=True)
class PaperRow:
    """A stored document that may stand in for a paper, with one of its current version's
    signature indications (None: no signature); a document signed twice gives two rows."""

    id: str
    doc_type: str
    valid_until: date | None
    issue_date: date | None
    indication: str | None
