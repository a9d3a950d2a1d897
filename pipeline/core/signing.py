"""Signing stored documents, written once for every shell: what is asked for (`SignOptions`), the
spec it becomes for a given document, and a key held open for the life of a server process.

The CLI and the API both turn their input into `SignOptions`; `sign_spec` fills in what the
stored document and the settings say (dossier, procedure and title in the QR code, the default
level and timestamp authority), and `sign_stored_document` writes the signed version.
`sign_files` signs many PDF files with one key, in parallel processes when asked (each opens the
key once and keeps its prepared signer for all its files).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.results import count_signature
from pipeline.core.signed_versions import SignedVersion, sign_stored_document
from pipeline.settings import Settings
from pipeline.errors import SohoaError
from pipeline.stages.sign import (
    SignSpec,
    ValidationSettings,
    check_signing_certificate,
    is_pkcs11,
    open_signer,
    sign_pdf,
)
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
    visible: bool = True  # False: no stamp (an invisible signature)


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
        seal_image=options.seal_image, visible=options.visible,
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


# --- many files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSigned:
    """One file of a batch: signed into `output`, or not, with the error saying why."""

    source: Path
    output: Path
    error: SohoaError | None = None


#: Files signed at once per process when each waits for a timestamp authority (B-T and above):
#: the waits overlap, the signing itself stays one at a time under the GIL.
TIMESTAMPS_IN_FLIGHT = 4


def sign_files(pairs: Sequence[tuple[Path, Path]], spec: SignSpec, key: str, passphrase: str | None,
               *, jobs: int = 1, trust_roots: Sequence = ()) -> Iterator[FileSigned]:
    """Sign each (source, output) pair with the key, yielding results in the pairs' order.

    The key is opened (a token logged in to) once per process: here with `jobs` 1, else once in
    each of `jobs` worker processes. With a timestamp authority and a key file, each process keeps
    TIMESTAMPS_IN_FLIGHT files in flight (threads) so that it signs while the TSA answers. A file
    that cannot be signed is reported and the others are still signed; a key or certificate that
    cannot sign stops the batch before any file is written. An output is written only once its
    file is signed (the source is never changed)."""
    roots = [cert.dump() for cert in trust_roots]
    threads = TIMESTAMPS_IN_FLIGHT if spec.level != "B-B" and not is_pkcs11(key) else 1
    with open_signer(key, passphrase) as signer:  # a bad key or certificate fails here, once
        check_signing_certificate(signer.signing_cert, datetime.now(UTC))
        if jobs <= 1 or len(pairs) <= 1:
            yield from _sign_many(signer, pairs, spec, roots, threads)
            return
        if not is_pkcs11(key):
            # A key file's signer is plain memory: the workers, forked, inherit it prepared (CMS
            # template, stamp font) instead of each opening the file and preparing again.
            _prepare_for_workers(signer)
            yield from _sign_in_workers(pairs, spec, roots, jobs, None, None, threads)
            return
    # A token's session does not survive a fork: each worker logs in itself.
    yield from _sign_in_workers(pairs, spec, roots, jobs, key, passphrase, threads)


def _sign_many(signer, pairs, spec: SignSpec, roots, threads: int) -> Iterator[FileSigned]:
    if threads <= 1 or len(pairs) <= 1:
        for source, output in pairs:
            yield _sign_one_file(signer, source, output, spec, roots)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sign") as pool:
        yield from pool.map(lambda pair: _sign_one_file(signer, *pair, spec, roots), pairs)


def _sign_in_workers(pairs, spec: SignSpec, roots, jobs: int, key: str | None,
                     passphrase: str | None, threads: int) -> Iterator[FileSigned]:
    context = multiprocessing.get_context("fork")  # workers start in milliseconds, imports done
    size = max(1, len(pairs) // (jobs * 4))
    chunks = [pairs[start:start + size] for start in range(0, len(pairs), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_open_worker_key,
                             initargs=(key, passphrase)) as pool:
        for done in pool.map(_sign_in_worker, chunks, [spec] * len(chunks), [roots] * len(chunks),
                             [threads] * len(chunks)):
            yield from done


def _prepare_for_workers(signer) -> None:
    global _worker_signer
    from pipeline.stages import sign_fast, stamp

    stamp._font_at_1000_upem(stamp.STAMP_FONT)
    with contextlib.suppress(sign_fast.FastPathUnsuitable):
        sign_fast.prepared(signer)
    _worker_signer = signer


def _sign_one_file(signer, source: Path, output: Path, spec: SignSpec, roots: Sequence[bytes]) -> FileSigned:
    from asn1crypto import x509

    try:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise SohoaError(f"cannot read {source}: {exc.strerror}") from exc
        signed = sign_pdf(data, spec, signer, trust_roots=[x509.Certificate.load(r) for r in roots])
        try:
            output.write_bytes(signed)
        except OSError as exc:
            raise SohoaError(f"cannot write {output}: {exc.strerror}") from exc
    except SohoaError as exc:
        return FileSigned(source, output, exc)
    return FileSigned(source, output)


_worker_key: contextlib.ExitStack | None = None
_worker_signer = None


def _open_worker_key(key: str | None, passphrase: str | None) -> None:
    """In a worker: open the token (key None: the signer inherited from the parent is used)."""
    global _worker_key, _worker_signer
    if key is not None:
        _worker_key = contextlib.ExitStack()  # kept open for the worker's life (closed at its exit)
        _worker_signer = _worker_key.enter_context(open_signer(key, passphrase))


def _sign_in_worker(chunk: list[tuple[Path, Path]], spec: SignSpec, roots: Sequence[bytes],
                    threads: int) -> list[FileSigned]:
    return list(_sign_many(_worker_signer, chunk, spec, roots, threads))
