"""Validation results of the signatures in each stored version, and the status they give a document."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, insert, literal, select, union
from sqlalchemy.exc import OperationalError

from pipeline.clock import aware, utcnow
from pipeline.errors import DocumentNotFound, StorageUnavailable
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import SignatureRecord
from pipeline.stores.index.tables import documents, signatures

#: What `Index.signature_status` answers for a document.
SIGNATURE_STATUSES = ("unsigned", "signed", "indeterminate", "invalid")


class SignaturesIndex(IndexConnection):
    """Signatures validated in each version of a document."""

    def record_signature(
        self, document_id: str, version: int, results: Sequence[Mapping[str, Any]]
    ) -> None:
        """Record the validation of `version`'s signatures (each a `SignatureResult` as a dict,
        as `model_dump(mode="json")` gives it), replacing an earlier validation of that version.
        An empty `results` records nothing: the version is unsigned."""
        now = utcnow()
        rows = [
            {
                "document_id": document_id, "version": version,
                "field_name": r["field_name"], "indication": r["indication"],
                "sub_indication": r.get("sub_indication"), "signer": r.get("signer"),
                "signed_at": _parse_time(r.get("timestamp_time") or r.get("claimed_signing_time")),
                "level": r.get("pades_level"),
                "report": json.dumps(r, ensure_ascii=False, default=str, sort_keys=True),
                "created_at": now,
            }
            for r in results
        ]
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(
                    select(documents.c.id).where(documents.c.id == document_id)
                ).scalar_one_or_none()
                if exists is None:
                    raise DocumentNotFound(f"no document {document_id}")
                conn.execute(signatures.delete().where(
                    (signatures.c.document_id == document_id) & (signatures.c.version == version)))
                if rows:
                    conn.execute(insert(signatures), rows)
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc

    def signatures(self, document_id: str, version: int | None = None) -> list[SignatureRecord]:
        """Recorded signatures of a document, oldest version first (or of one version)."""
        query = select(signatures).where(signatures.c.document_id == document_id)
        if version is not None:
            query = query.where(signatures.c.version == version)
        with self._connect() as conn:
            rows = conn.execute(
                query.order_by(signatures.c.version, signatures.c.id)).mappings().all()
        return [
            SignatureRecord(
                document_id=r["document_id"], version=r["version"], field_name=r["field_name"],
                indication=r["indication"], sub_indication=r["sub_indication"],
                signer=r["signer"],
                signed_at=aware(r["signed_at"]) if r["signed_at"] else None,
                level=r["level"], report=json.loads(r["report"]),
                created_at=aware(r["created_at"]),
            )
            for r in rows
        ]

    def signed_versions(self) -> list[tuple[str, int]]:
        """Every stored (document id, version) whose PDF is signed, in id then version order: the
        versions with recorded signatures, and the first version of every document that arrived
        signed (which a validation that could read nothing left without rows)."""
        recorded = select(signatures.c.document_id.label("document_id"),
                          signatures.c.version.label("version"))
        arrived = (select(documents.c.id.label("document_id"), literal(1, Integer).label("version"))
                   .where(documents.c.input_kind == "signed_pdf"))
        query = union(recorded, arrived).order_by("document_id", "version")
        with self._connect() as conn:
            return [(document_id, version) for document_id, version in conn.execute(query)]

    def signature_status(self, document_id: str) -> str:
        """`unsigned` (no signature recorded for the current version), `signed` (all
        TOTAL_PASSED), `invalid` (any TOTAL_FAILED) or `indeterminate`."""
        current = self.get(document_id)
        return self.signature_statuses([current.id]).get(current.id, "unsigned")

    def signature_statuses(self, document_ids: Sequence[str]) -> dict[str, str]:
        """`signature_status` of many documents in one query; unsigned ones are left out."""
        if not document_ids:
            return {}
        query = (
            select(signatures.c.document_id, signatures.c.indication)
            .join(documents, (documents.c.id == signatures.c.document_id)
                  & (documents.c.version == signatures.c.version))
            .where(signatures.c.document_id.in_(list(document_ids)))
        )
        found: dict[str, set[str]] = {}
        with self._connect() as conn:
            for document_id, indication in conn.execute(query):
                found.setdefault(document_id, set()).add(indication)
        return {document_id: signature_status_of(indications)
                for document_id, indications in found.items()}


def signature_status_of(indications: set[str]) -> str:
    """The status of a version from the indications of its signatures (at least one)."""
    if "TOTAL_FAILED" in indications:
        return "invalid"
    if indications == {"TOTAL_PASSED"}:
        return "signed"
    return "indeterminate"


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
