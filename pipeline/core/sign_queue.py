"""Officials signing where they work (issue 16): each official's signing profile, and batches
signed with one PIN entry.

A profile says how an official signs: the name, position and office in the stamp, the signature
image and the office's seal image (PNG with transparency, drawn as Decree 30/2020 describes), a
key the server holds for them (a PKCS#12 file or a `pkcs11:` URI of an HSM slot; never its PIN)
and, for a USB token, their certificate chain.

`SignBatches.start` signs a selection in a background thread with the key opened once with the
PIN given for that batch: the PIN lives only in that thread's call and is dropped when the key is
open; a document that fails is recorded with its reason and the rest go on; `progress` tells how
far it got (the console polls it). A reason is the stable name of the failure (`SohoaError.why`,
e.g. ``signing_failed.document_final``), which the console shows in words of its catalogue; the
English message stays in the log.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from pipeline.clock import utcnow
from pipeline.core.access import mask_personal_ids
from pipeline.core.runtime import Runtime
from pipeline.core.signing import SignOptions, sign_document
from pipeline.errors import SohoaError
from pipeline.stages.sign import open_signer
from pipeline.stages.stamp import BadStampImage, signature_with_seal
from pipeline.stores.index import Index
from pipeline.stores.index.signing import ProfileRow, SigningRecords

log = logging.getLogger(__name__)

#: Why a batch stopped when what stopped it is not one of our errors (the log has the traceback).
UNEXPECTED = "unexpected"


class ProfileError(SohoaError):
    code = "bad_signing_profile"
    exit_code = 2


def save_profile(index: Index, username: str, *, full_name: str = "", position: str = "", office: str = "",
                 key_ref: str | None = None, certificate_chain: str | None = None,
                 signature_image: bytes | None = None, seal_image: bytes | None = None) -> ProfileRow:
    """Write an official's profile (what is not given is kept from the one before)."""
    before = SigningRecords(index).profile(username) or ProfileRow(username=username)
    row = ProfileRow(
        username=username, full_name=full_name or before.full_name, position=position or before.position,
        office=office or before.office, key_ref=key_ref or before.key_ref,
        certificate_chain=certificate_chain or before.certificate_chain,
        signature_image=signature_image or before.signature_image, seal_image=seal_image or before.seal_image,
        updated_at=utcnow())
    if row.certificate_chain:
        from pipeline.core.external_signing import certificate_chain as parsed

        parsed([row.certificate_chain])
    if row.signature_image:
        try:
            signature_with_seal(row.signature_image, row.seal_image)
        except BadStampImage as exc:
            raise ProfileError(f"profile of {username}: {exc}") from exc
    elif row.seal_image:
        raise ProfileError(f"profile of {username}: a seal image goes with a signature image")
    SigningRecords(index).save_profile(row)
    return row


def profile_of(index: Index, username: str, *, full_name: str = "", office: str = "") -> ProfileRow:
    """The official's profile, its name and office defaulting to their account's."""
    from dataclasses import replace

    saved = SigningRecords(index).profile(username) or ProfileRow(username=username)
    return replace(saved, full_name=saved.full_name or full_name, office=saved.office or office)


def options_for(profile: ProfileRow, kind: str, *, qr: bool) -> SignOptions:
    """How the profile's owner signs as `kind`: their name, position and office in the stamp, and
    their signature and seal images on an official's signature."""
    official = kind == "official"
    return SignOptions(
        kind=kind, signer_name=profile.full_name or None, position=profile.position or None,
        agency=profile.office or None, qr=qr and official,
        signature_image=profile.signature_image if official else None,
        seal_image=profile.seal_image if official else None)


@dataclass
class BatchProgress:
    id: str
    kind: str
    total: int
    signed: list[tuple[str, int]] = field(default_factory=list)  # (document id, new version)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (document id, why: SohoaError.why)
    error: str | None = None  # why the batch stopped (the key could not be opened: nothing signed)
    finished: bool = False

    @property
    def done(self) -> int:
        return len(self.signed) + len(self.failed)


class SignBatches:
    """The batches of this server process, by id."""

    def __init__(self):
        self._batches: dict[str, BatchProgress] = {}
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def start(self, rt: Runtime, by: str, profile: ProfileRow, kind: str, document_ids: list[str],
              pin: str) -> str:
        key_ref = profile.key_ref or (rt.settings.sign_key if kind == "agency" else None)
        if not key_ref:
            raise ProfileError(f"no key is held for {profile.username}: set one with "
                               "`sohoa sign-profile set … --key` or sign with your token")
        batch = BatchProgress(id=secrets.token_urlsafe(12), kind=kind, total=len(document_ids))
        with self._lock:
            self._batches[batch.id] = batch
            self._owners[batch.id] = by
        options = options_for(profile, kind, qr=True)
        thread = threading.Thread(target=self._run, args=(rt, batch, key_ref, pin, options, document_ids, by),
                                  name=f"sign-batch-{batch.id}", daemon=True)
        thread.start()
        return batch.id

    def progress(self, batch_id: str, by: str) -> BatchProgress | None:
        """The batch, for the person who started it only."""
        with self._lock:
            return self._batches.get(batch_id) if self._owners.get(batch_id) == by else None

    @staticmethod
    def _run(rt: Runtime, batch: BatchProgress, key_ref: str, pin: str, options: SignOptions,
             document_ids: list[str], by: str) -> None:
        now = utcnow()  # one issue time for the whole batch
        try:
            with open_signer(key_ref, pin or None) as signer:
                del pin  # the key is open: the PIN is not kept
                for document_id in document_ids:
                    _sign_one(rt, batch, document_id, options, signer, now)
        except SohoaError as exc:
            batch.error = exc.why
            log.warning("%s: sign batch %s stopped: %s: %s", by, batch.id, exc.why, mask_personal_ids(exc.message))
        except Exception:
            batch.error = UNEXPECTED
            log.exception("sign batch %s", batch.id)
        finally:
            batch.finished = True
            log.info("%s: sign batch %s as %s: %d signed, %d failed", by, batch.id, options.kind,
                     len(batch.signed), len(batch.failed))


def _sign_one(rt: Runtime, batch: BatchProgress, document_id: str, options: SignOptions, signer, now) -> None:
    try:
        if options.qr and rt.index.signature_status(document_id) != "unsigned":
            options = SignOptions(**{**options.__dict__, "qr": False})
        done = sign_document(rt.index, rt.store, rt.settings, document_id, options, signer, now=now)
        batch.signed.append((document_id, done.version))
    except SohoaError as exc:
        batch.failed.append((document_id, exc.why))
        log.info("sign batch %s: document %s not signed: %s: %s", batch.id, document_id, exc.why,
                 mask_personal_ids(exc.message))
