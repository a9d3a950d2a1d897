"""External signatures of stored documents (issue 16): the server prepares, a token signs,
the server completes. The contract of `POST /v1/documents/{id}/signatures/prepare`, `POST
/v1/signing/{signing_id}/complete` and `sohoa sign-external prepare|complete`.

`prepare` keeps the prepared PDF and its state in the index (table signing_sessions) with an
expiry, so a completion works after a server restart; `complete` completes a prepare once: the
signature value is verified over the signed attributes with the certificate given at prepare,
the signed PDF validated (intact, cryptographically valid) and only then stored as a new
version. A refused completion stores nothing and leaves the prepare open until it expires.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder_data

from pipeline.clock import utcnow
from pipeline.core.results import count_signature
from pipeline.core.signed_versions import SignedVersion, store_signed_pdf
from pipeline.core.signing import SignOptions, sign_spec, validation_settings
from pipeline.errors import DocumentNotFound, SohoaError
from pipeline.settings import Settings
from pipeline.stages.sign import check_signing_certificate, validate_pdf
from pipeline.stages.sign_external import SignatureRefused, finish_external, prepare_external
from pipeline.stores.index import Index
from pipeline.stores.index.signing import SessionRow, SigningRecords
from pipeline.stores.objects import ObjectStore

log = logging.getLogger(__name__)


class BadCertificateChain(SohoaError):
    code = "bad_certificate_chain"
    exit_code = 2


class SigningSessionNotFound(DocumentNotFound):
    code = "signing_not_found"


class SigningExpired(SohoaError):
    code = "signing_expired"
    exit_code = 2


class SigningCompleted(SohoaError):
    code = "signing_completed"
    exit_code = 2


@dataclass(frozen=True)
class PreparedExternal:
    signing_id: str
    document_id: str
    signature_mechanism: str
    data_to_sign: bytes
    digest: bytes
    expires_at: datetime
    digest_algorithm: str = "sha256"

    def as_json(self) -> dict:
        return {"signing_id": self.signing_id, "document_id": self.document_id,
                "digest_algorithm": self.digest_algorithm, "signature_mechanism": self.signature_mechanism,
                "data_to_sign": base64.b64encode(self.data_to_sign).decode(),
                "digest": base64.b64encode(self.digest).decode(), "expires_at": self.expires_at.isoformat()}


def certificate_chain(pems: list[str]) -> list[x509.Certificate]:
    """The chain from PEM texts (the signer's certificate first)."""
    chain: list[x509.Certificate] = []
    try:
        for pem in pems:
            chain.extend(load_certs_from_pemder_data(pem.encode("ascii")))
    except Exception as exc:
        raise BadCertificateChain("certificate_chain must be PEM certificates, the signer's first") from exc
    if not chain:
        raise BadCertificateChain("certificate_chain is empty: give the signer's certificate (PEM) first")
    return chain


def prepare_signature(index: Index, store: ObjectStore, settings: Settings, document_id: str,
                      options: SignOptions, pems: list[str], *, by: str) -> PreparedExternal:
    """Prepare the document's current PDF for a signature made elsewhere with this chain's key."""
    row = index.get(document_id)
    chain = certificate_chain(pems)
    now = utcnow()
    if options.qr and index.signature_status(row.id) != "unsigned":
        options = SignOptions(**{**options.__dict__, "qr": False})  # a QR goes before the first signature
    spec = sign_spec(options, settings, row, now=now)
    prepared = prepare_external(store.get(row.searchable_key), spec, chain, now)
    signing_id = secrets.token_urlsafe(24)
    expires = now + timedelta(minutes=settings.signing_session_minutes)
    records = SigningRecords(index)
    records.drop_expired_sessions(now - timedelta(days=1))
    records.add_session(SessionRow(
        id=signing_id, document_id=row.id, version=row.version, kind=options.kind, state=prepared.state,
        prepared_pdf=prepared.pdf, created_by=by, created_at=now, expires_at=expires, completed_at=None))
    log.info("%s prepared an external %s signature of document %s (v%d), expires %s", by, options.kind, row.id,
             row.version, expires.isoformat(timespec="seconds"))
    return PreparedExternal(signing_id, row.id, prepared.mechanism, prepared.data_to_sign, prepared.digest, expires)


def complete_signature(index: Index, store: ObjectStore, settings: Settings, signing_id: str,
                       signature_b64: str, *, by: str) -> SignedVersion:
    """Complete a prepare once with the signature value over its data_to_sign (base64)."""
    records = SigningRecords(index)
    session = records.session(signing_id)
    if session is None:
        raise SigningSessionNotFound(f"no prepared signature {signing_id[:12]}…")
    now = utcnow()
    if session.completed_at is not None:
        raise SigningCompleted(f"the prepared signature {signing_id[:12]}… was completed already "
                               f"({session.completed_at.isoformat(timespec='seconds')}): prepare again")
    if now >= session.expires_at:
        raise SigningExpired(f"the prepared signature {signing_id[:12]}… expired at "
                             f"{session.expires_at.isoformat(timespec='seconds')}: prepare again")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError as exc:
        raise SignatureRefused("signature must be the base64 of the raw signature value") from exc
    check_signing_certificate(x509.Certificate.load(base64.b64decode(session.state["chain"][0])), now)
    if not records.claim_session(signing_id, now):
        raise SigningCompleted(f"the prepared signature {signing_id[:12]}… was completed already: prepare again")
    try:
        return _store_completed(index, store, settings, session, signature, by)
    except BaseException:
        records.release_session(signing_id)
        raise


def _store_completed(index: Index, store: ObjectStore, settings: Settings, session: SessionRow,
                     signature: bytes, by: str) -> SignedVersion:
    validation = validation_settings(settings)
    signed = finish_external(session.prepared_pdf, session.state, signature, trust_roots=validation.roots())
    report = validate_pdf(signed, validation)
    ours = [s for s in report.signatures if s.field_name == session.state["field_name"]]
    if not ours or not (ours[0].intact and ours[0].cryptographically_valid):
        raise SignatureRefused("the completed signature does not validate (intact and cryptographically "
                               "valid): nothing was stored")
    done = store_signed_pdf(index, store, session.document_id, session.version, signed, validation=validation,
                            level=session.state["level"], report=report)
    count_signature(index, session.document_id, session.kind)
    log.info("%s completed the external %s signature of document %s: version %d, %s", by, session.kind,
             session.document_id, done.version, done.status)
    return done
