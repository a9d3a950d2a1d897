"""Signing stored documents: the orchestration `sohoa sign ID` and the API both call.

A stored document's current PDF (its searchable PDF/A, or the latest signed version for a second
signature such as the agency's) is signed, written once as a new version
(`documents/<id>/v<n>/signed.pdf`, immutable: object lock where the bucket has it), validated,
and the validation recorded in the index. The signed PDF becomes the document's current
searchable PDF (an incremental update keeps the text layer), so `sohoa export` gives it.

A recorded validation keeps the fingerprint of the trust roots it was made under
(`trust_roots_sha256` in each signature's report). `revalidate_stored_signatures` validates
every stored signed version again under the current roots and records what changed; a server or
worker starting with other roots than the index's runs it by itself (`pipeline.core.trust`), and
`sohoa verify-signature --all [--update]` runs it by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import x509
from pyhanko.sign.signers import Signer

from pipeline.stages.sign import (
    SigningFailed,
    SignSpec,
    ValidationSettings,
    sign_pdf,
    validate_pdf,
)
from pipeline.stores.index import Index, signature_status_of
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
    return store_signed_pdf(index, store, row.id, row.version, signed, validation=validation, level=spec.level)


def store_signed_pdf(index: Index, store: ObjectStore, document_id: str, from_version: int, signed: bytes, *,
                     validation: ValidationSettings, level: str,
                     report: SignatureReport | None = None) -> SignedVersion:
    """Write `signed` (a signature over version `from_version`) once as the next version, then
    validate it (unless `report`, its validation under `validation`, is given) and record the
    validation."""
    row = index.get(document_id)
    if row.version != from_version:
        raise SigningFailed(f"document {row.id} changed since it was prepared for signing (now version "
                            f"{row.version}, prepared from {from_version}); sign it again",
                            reason="document_changed")
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
            "sign it again", reason="document_changed")
    report = report or validate_pdf(signed, validation)
    record_validation(index, row.id, version, report, validation=validation)
    status = index.signature_status(row.id)
    log.info("document %s: signed version %d (%s), status %s", row.id, version, level, status)
    return SignedVersion(row.id, version, key, digest, len(signed), report, status)


def record_validation(index: Index, document_id: str, version: int, report: SignatureReport, *,
                      validation: ValidationSettings | None = None) -> None:
    """Keep a validation report in the index (also for PDFs that arrived signed at ingest), with
    the fingerprint of the trust roots of `validation` (None: not known, as for a report made
    elsewhere). Only signed versions are recorded: a report that could not examine the file
    records a failed signature, so the version reads invalid rather than unsigned."""
    index.record_signature(document_id, version, recorded_results(report, validation))


def recorded_results(report: SignatureReport,
                     validation: ValidationSettings | None = None) -> list[dict]:
    """The rows `record_validation` writes for a report: each signature's result as JSON, with
    the trust roots' fingerprint."""
    results = list(report.signatures)
    if report.error is not None and not results:
        results = [SignatureResult(
            field_name="", kind="signature", indication="TOTAL_FAILED",
            sub_indication="FORMAT_FAILURE", intact=False, cryptographically_valid=False,
            trusted=False, covers_whole_document=False, coverage="UNCLEAR",
            messages=[report.error])]
    fingerprint = validation.trust_roots_sha256 if validation is not None else None
    return [{**r.model_dump(mode="json"), "trust_roots_sha256": fingerprint} for r in results]


@dataclass(frozen=True)
class Revalidation:
    """One stored signed version validated again: its status before and after."""

    document_id: str
    version: int
    before: str  # signed | indeterminate | invalid | unsigned (nothing readable was recorded)
    after: str
    #: the trust roots the recorded validation was made under (None: not recorded)
    validated_under: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def revalidate_stored_signatures(index: Index, store: ObjectStore, validation: ValidationSettings,
                                 *, update: bool,
                                 on_each: Callable[[], None] | None = None) -> list[Revalidation]:
    """Validate every stored signed version again with `validation` (the current trust roots);
    with `update`, record the new validations (a version's rows are replaced in one
    transaction). `on_each` is called after each version (to keep a claim fresh). Returns every
    version, changed or not."""
    done = []
    for document_id, version in index.signed_versions():
        pdf_ref = (index.latest_object(document_id, SIGNED_VARIANT, version)
                   or index.latest_object(document_id, "original", version))
        if pdf_ref is None:
            log.warning("document %s v%d: no signed PDF object recorded", document_id, version)
            continue
        report = validate_pdf(store.get(pdf_ref.key), validation)
        recorded = index.signatures(document_id, version)
        before = signature_status_of({r.indication for r in recorded}) if recorded else "unsigned"
        results = recorded_results(report, validation)
        after = signature_status_of({r["indication"] for r in results}) if results else "unsigned"
        fingerprints = {r.report.get("trust_roots_sha256") for r in recorded}
        if update:
            index.record_signature(document_id, version, results)
        if before != after:
            log.info("document %s v%d: %s -> %s", document_id, version, before, after)
        done.append(Revalidation(document_id, version, before, after,
                                 fingerprints.pop() if len(fingerprints) == 1 else None))
        if on_each is not None:
            on_each()
    return done
