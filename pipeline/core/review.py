"""Review: a person corrects a document's type and fields; the corrections are kept as labels."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from pipeline.stages.extract import parse_personal_id
from pipeline.clock import utcnow
from pipeline.stores.index import DocumentRow, Index
from schemas.catalog import default_catalog

REVIEWED = "stored"
DATE_FIELDS = ("date_of_birth", "issue_date", "valid_until", "date_of_death")


class ReviewError(ValueError):
    """A correction that cannot be right (unknown type, invalid ID or date)."""


def parse_field_values(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ReviewError(f"--field takes NAME=VALUE, not {pair!r}")
        values[name.strip()] = unicodedata.normalize("NFC", value.strip())
    return values


def _checked(name: str, value: str, fields: dict[str, str]) -> str:
    if name in DATE_FIELDS:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise ReviewError(f"{name} must be a date YYYY-MM-DD, not {value!r}") from exc
    if name == "owner_id":
        birth = fields.get("date_of_birth")
        number = parse_personal_id(value, date.fromisoformat(birth) if birth else None)
        if number is None:
            # The number itself is personal data: say why without echoing it.
            raise ReviewError("owner_id is not a valid 12-digit personal identification number")
        return number
    return value


def apply_review(
    index: Index,
    document_id: str,
    *,
    doc_type: str | None,
    field_values: Sequence[str],
    corrected_by: str,
) -> DocumentRow:
    """Record each correction (who, when, old and new value), then mark the document reviewed."""
    row = index.get(document_id)
    catalog = default_catalog()
    if doc_type and doc_type not in catalog.document_types:
        known = ", ".join(sorted(catalog.document_types))
        raise ReviewError(f"unknown document type {doc_type!r}; known: {known}")
    values = parse_field_values(field_values)
    current = {name: str(entry.get("value")) for name, entry in row.fields.items() if entry.get("value")}
    merged = current | values
    checked = {name: _checked(name, value, merged) for name, value in values.items()}
    if doc_type:
        index.record_correction(row.id, "type", "doc_type", doc_type, corrected_by)
    for name, value in checked.items():
        index.record_correction(row.id, "field", name, value, corrected_by)
    index.set_status(row.id, REVIEWED, f"reviewed by {corrected_by} at {utcnow().isoformat(timespec='seconds')}")
    return index.get(row.id)
