"""Review: a person checks a document's type and fields, corrects them, and decides.

Three decisions, the same for the CLI and the console: **accept** (the document, with any
corrections, is right: it leaves the queue — refused while a required field of its type is still
missing), **save** (keep the corrections, leave it waiting), **reject** (it is not a usable paper:
it leaves the queue, is never offered for reuse, and the reason is kept). Every correction is
recorded (who, when, old and new value) and becomes a training label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date

from pipeline.clock import utcnow
from pipeline.core.reuse import paper_of_dossier_changed
from pipeline.stages.extract import parse_personal_id
from pipeline.stores.index import NEEDS_REVIEW, REJECTED, DocumentRow, Index
from pipeline.stores.index.records import ReviewItem
from schemas.catalog import Catalog, default_catalog

REVIEWED = "stored"
DECISIONS = ("accept", "save", "reject")
DATE_FIELDS = ("date_of_birth", "issue_date", "valid_until", "date_of_death")
_DAY_FIRST = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")


#: Why a document waits, as the queue filters it: words of its review note (what the classifier,
#: the extractor and earlier reviewers wrote), and whether a document of no known type counts.
QUEUE_REASONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "type": (("type uncertain", "type unknown", "no type classifier"), True),
    "fields": (("not found", "missing", "invalid", "disagree", "unreadable", "owner_id "), False),
    "saved": (("corrections saved",), False),
}


def review_queue(index: Index, *, limit: int, dossier_code: str | None = None, doc_type: str | None = None,
                 reason: str | None = None) -> list[ReviewItem]:
    """Documents waiting for a person, oldest first, filtered by the index."""
    words, untyped = QUEUE_REASONS.get(reason or "", ((), False))
    return index.review_queue(limit=limit, dossier_code=dossier_code, doc_type=doc_type,
                              note_words=words, or_untyped=untyped)


class ReviewError(ValueError):
    """A correction or decision that cannot be right (unknown type or field, invalid ID or date,
    a required field still missing)."""


def parse_field_values(pairs: Sequence[str]) -> dict[str, str]:
    """`NAME=VALUE` pairs as typed on the command line."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ReviewError(f"--field takes NAME=VALUE, not {pair!r}")
        values[name.strip()] = value
    return values


def parse_review_date(name: str, value: str) -> str:
    """A date as clerks write it (dd/mm/yyyy, also with - or .) or ISO, as ISO."""
    text = value.strip()
    day_first = _DAY_FIRST.fullmatch(text)
    try:
        if day_first:
            day, month, year = (int(part) for part in day_first.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise ReviewError(f"{name} must be a date dd/mm/yyyy (or YYYY-MM-DD), not {value!r}") from exc


def review_document(
    index: Index,
    document_id: str,
    *,
    decision: str = "accept",
    doc_type: str | None = None,
    field_values: Mapping[str, str] | None = None,
    corrected_by: str,
    reason: str | None = None,
    catalog: Catalog | None = None,
) -> DocumentRow:
    """Apply a reviewer's corrections and decision; nothing is recorded when any part is refused."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    catalog = catalog or default_catalog()
    row = index.get(document_id)
    new_type = doc_type or row.doc_type
    if doc_type and doc_type not in catalog.document_types:
        known = ", ".join(sorted(catalog.document_types))
        raise ReviewError(f"unknown document type {doc_type!r}; known: {known}")
    values = {name: unicodedata.normalize("NFC", value.strip()) for name, value in (field_values or {}).items()}
    _check_field_names(values, new_type, row, catalog)
    current = {name: str(entry.get("value")) for name, entry in row.fields.items() if entry.get("value")}
    dated = {name: parse_review_date(name, value) if name in DATE_FIELDS else value
             for name, value in values.items() if value}
    checked = {name: _checked(name, value, current | dated) for name, value in dated.items()}
    when = utcnow().isoformat(timespec="seconds")
    if decision == "accept":
        missing = _missing_required(new_type, current | checked, catalog)
        if missing:
            raise ReviewError(f"required field(s) still missing for {new_type}: {', '.join(missing)} "
                              "— fill them in, or save the corrections and leave it waiting")
    if decision == "reject" and not (reason and reason.strip()):
        raise ReviewError("a rejection needs a reason")
    if doc_type:  # a confirmed type is a label too
        index.record_correction(row.id, "type", "doc_type", doc_type, corrected_by)
    for name, value in checked.items():
        index.record_correction(row.id, "field", name, value, corrected_by)
    if decision == "accept":
        index.set_status(row.id, REVIEWED, f"reviewed by {corrected_by} at {when}")
    elif decision == "reject":
        index.set_status(row.id, REJECTED, f"rejected by {corrected_by} at {when}: {reason.strip()}")
    else:
        index.set_status(row.id, NEEDS_REVIEW, f"{row.review_note or ''} | corrections saved by {corrected_by} "
                                               f"at {when}".lstrip(" |"))
    if doc_type:
        paper_of_dossier_changed(index, row.dossier_code)
    return index.get(row.id)


def _check_field_names(values: Mapping[str, str], doc_type: str | None, row: DocumentRow, catalog: Catalog) -> None:
    spec = catalog.document_types.get(doc_type or "")
    allowed = set(spec.field_names if spec else ()) | set(row.fields)
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ReviewError(f"unknown field(s) for {doc_type or 'an untyped document'}: {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(allowed)) or 'none'}")


def _missing_required(doc_type: str | None, values: Mapping[str, str], catalog: Catalog) -> list[str]:
    spec = catalog.document_types.get(doc_type or "")
    return [name for name in (spec.required_fields if spec else ()) if not values.get(name)]


def _checked(name: str, value: str, fields: Mapping[str, str]) -> str:
    if name == "owner_id":
        birth = fields.get("date_of_birth")
        number = parse_personal_id(value, _iso_or_none(birth))
        if number is None:
            # The number itself is personal data: say why without echoing it.
            raise ReviewError("owner_id is not a valid 12-digit personal identification number")
        return number
    return value


def _iso_or_none(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
