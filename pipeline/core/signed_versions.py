"""Signing stored documents: the orchestration `sohoa sign ID` and the API both call.

A stored document's current PDF (its searchable PDF/A, or the latest signed version for a second
signature such as the agency's) is signed, written once as a new version
(`documents/<id>/v<n>/signed.pdf`, immutable: object lock where the bucket has it), validated,
and the validation recorded in the index. The signed PDF becomes the document's current
searchable PDF (an incremental update keeps the text layer), so `sohoa export` gives it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import x509
from pyhanko.sign.signers import Signer

from pipeline.stores.index import Index
from pipeline.stages.sign import SigningFailed, SignSpec, ValidationSettings, sign_pdf, validate_pdf
from pipeline.stores.objects import ObjectStore, document_key, sha256_hex
from schemas.signature import SignatureReport, SignatureResult

log = logging.getLogger(__name__)

SIGNED_VARIANT = "signed"


@dataclass(frozen=True)
class SignedVersion:
    document_id: str
    version: int
    key: str
    sha256: str
    size: int
    report: SignatureReport
    status: str  # Index.signature_status after recording: signed | indeterminate | invalid


def sign_stored_document(
    index: Index,
    store: ObjectStore,
    document_id: str,
    spec: SignSpec,
    signer: Signer,
    *,
    validation: ValidationSettings = ValidationSettings(),
    trust_roots: Sequence[x509.Certificate] = (),
) -> SignedVersion:
    """Sign the document's current PDF into a new stored version and record its signatures."""
    row = index.get(document_id)
    signed = sign_pdf(store.get(row.searchable_key), spec, signer, trust_roots=trust_roots)
    version = row.version + 1
    key = document_key(row.id, version, "signed.pdf")
    digest = sha256_hex(signed)
    store.put_immutable(key, signed, {"document-id": row.id, "sha256": row.sha256,
                                      "variant": SIGNED_VARIANT})
    recorded = index.add_version(row.id, {SIGNED_VARIANT: (key, digest), "searchable": (key, digest)})
    if recorded != version:
        # Another signer got in between: our object holds a signature over an older version.
        raise SigningFailed(
            f"document {row.id} changed while signing (now version {recorded}, expected {version}); "
            "sign it again"
        )
    report = validate_pdf(signed, validation)
    record_validation(index, row.id, version, report)
    status = index.signature_status(row.id)
    log.info("document %s: signed version %d (%s), status %s", row.id, version, spec.level, status)
    return SignedVersion(row.id, version, key, digest, len(signed), report, status)


def record_validation(index: Index, document_id: str, version: int, report: SignatureReport) -> None:
    """Keep a validation report in the index (also for PDFs that arrived signed at ingest). Only
    signed versions are recorded: a report that could not examine the file records a failed
    signature, so the version reads invalid rather than unsigned."""
    index.record_signature(document_id, version, recorded_results(report))


def recorded_results(report: SignatureReport) -> list[dict]:
    """The rows `record_validation` writes for a report: each signature's result as JSON."""
    results = list(report.signatures)
    if report.error is not None and not results:
        results = [SignatureResult(
            field_name="", kind="signature", indication="TOTAL_FAILED",
            sub_indication="FORMAT_FAILURE", intact=False, cryptographically_valid=False,
            trusted=False, covers_whole_document=False, coverage="UNCLEAR",
            messages=[report.error])]
    return [r.model_dump(mode="json") for r in results]
