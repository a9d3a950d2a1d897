"""Signing stored documents, written once for every shell: what is asked for (`SignOptions`), the
spec it becomes for a given document, and a key held open for the life of a server process.

The CLI and the API both turn their input into `SignOptions`; `sign_spec` fills in what the
stored document and the settings say (dossier, procedure and title in the QR code, the default
level and timestamp authority), and `sign_stored_document` writes the signed version.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.results import count_signature
from pipeline.core.signed_versions import SignedVersion, sign_stored_document
from pipeline.settings import Settings
from pipeline.stages.sign import SignSpec, ValidationSettings, open_signer
from pipeline.stages.stamp import QrPayload
from pipeline.stores.index import DocumentRow, Index
from pipeline.stores.objects import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignOptions:
    """What the person or client asked for; None means "the settings' or the document's own"."""

    kind: str
    level: str | None = None
    tsa_url: str | None = None
    signer_name: str | None = None
    position: str | None = None
    agency: str | None = None
    copy_type: str | None = None
    certify: bool = False
    qr: bool = False  # the issued-result QR code, top left of page 1
    dossier_code: str | None = None  # the QR code's fields, when not the document's own
    procedure_code: str | None = None
    document_name: str | None = None
    issuing_system: str = "sohoa"
    signature_image: bytes | None = None  # the signer's PNG, with the seal image, in the stamp
    seal_image: bytes | None = None


def sign_spec(options: SignOptions, settings: Settings, row: DocumentRow | None = None,
              *, now: datetime | None = None) -> SignSpec:
    """The spec for signing ``row`` (or a file, when None) as asked."""
    payload = None
    if options.qr:
        payload = QrPayload(
            dossier_code=options.dossier_code or (row.dossier_code if row else None) or "",
            procedure_code=options.procedure_code or (row.procedure_code if row else None) or "",
            document_name=options.document_name or (row.title if row else None) or "",
            issuing_system=options.issuing_system, issued_at=now or datetime.now(UTC),
        )
    return SignSpec(
        kind=options.kind, level=options.level or settings.sign_level,
        tsa_url=options.tsa_url or settings.tsa_url, signer_name=options.signer_name,
        position=options.position, agency=options.agency, copy_type=options.copy_type,
        qr=payload, certify=options.certify, signature_image=options.signature_image,
        seal_image=options.seal_image,
    )


def validation_settings(settings: Settings, trust: Path | None = None,
                        online: bool | None = None) -> ValidationSettings:
    """How signatures are validated: SOHOA_TRUST_ROOTS and SOHOA_SIGNATURE_FETCHING unless overridden."""
    fetching = settings.signature_fetching if online is None else online
    return ValidationSettings.from_file(trust or settings.trust_roots, allow_fetching=fetching)


def sign_document(index: Index, store: ObjectStore, settings: Settings, document_id: str,
                  options: SignOptions, signer, *, now: datetime | None = None) -> SignedVersion:
    """Sign a stored document's current PDF into a new version, and record its validation."""
    row = index.get(document_id)
    validation = validation_settings(settings)
    done = sign_stored_document(index, store, row.id, sign_spec(options, settings, row, now=now), signer,
                                validation=validation, trust_roots=validation.roots())
    count_signature(index, row.id, options.kind)
    return done


class ServerKey:
    """The key a server signs with (SOHOA_SIGN_KEY), opened — a token logged in to — on first use
    and kept for the life of the process; one signature at a time, as PKCS#11 sessions are not
    shared between threads."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._exit = contextlib.ExitStack()
        self._signer = None

    def sign(self, index: Index, store: ObjectStore, document_id: str, options: SignOptions) -> SignedVersion:
        with self._lock:
            if self._signer is None:
                secret = self.settings.key_passphrase
                self._signer = self._exit.enter_context(
                    open_signer(self.settings.sign_key, secret.get_secret_value() if secret else None))
            return sign_document(index, store, self.settings, document_id, options, self._signer)

    def close(self) -> None:
        self._exit.close()
