"""PAdES signing and validation (pyHanko): a stage of pure functions over PDF bytes.

- `open_signer(key, passphrase)` gives a pyHanko signer for a PKCS#12 file or a PKCS#11 token
  named by an RFC 7512 `pkcs11:` URI; a token is logged in to once for the whole `with` block, so
  a batch signs with one login.
- `sign_pdf(pdf, spec, signer)` adds the visible marks the spec asks for (QR code, stamp) and the
  signature in one incremental update, so the signature always covers every mark and is the last
  change to the file. Levels: B-B, B-T (RFC 3161 signature timestamp), B-LT (chain and OCSP/CRL
  in the DSS), B-LTA (plus a document timestamp). B-B and B-T on an unsigned PDF go through
  `sign_fast` (the CMS template, stamp and QR built once per signer, the update written
  directly); everything else through pyHanko's `PdfSigner`.
- `check_signing_certificate(cert, at)` refuses a certificate outside its validity or whose key
  usage allows neither digital signatures nor non-repudiation; `sign_pdf` calls it first, so no
  shell can sign with one.
- `validate_pdf(pdf, settings)` reports every signature with a DSS-style indication. It never
  alters the bytes, returns an empty report at once for an unsigned PDF, and reaches the network
  only when `ValidationSettings.allow_fetching` says so. A signature it cannot read is reported
  (TOTAL_FAILED / FORMAT_FAILURE, with the reason), never dropped; pyHanko's own log records are
  detail, logged at DEBUG (`-vv`).

pyHanko's `DictionaryObject.get` and iteration over an `ArrayObject` do not follow indirect
references (`[key]` and `[index]` do): read PDF objects here with `_value` and `_items`.

Knows nothing of stores or indexes: see `pipeline.core.signed_versions` for stored documents.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, unquote_to_bytes, urlparse

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    KeyUsageConstraints,
    SignatureCoverageLevel,
    read_certification_data,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext

from pipeline.errors import EXIT_INPUT_FAILED, SohoaError
from pipeline.stages import stamp
from schemas.signature import SignatureReport, SignatureResult

log = logging.getLogger(__name__)

SignatureKind = Literal["official", "digitiser", "agency"]
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LEVELS: tuple[PadesLevel, ...] = ("B-B", "B-T", "B-LT", "B-LTA")
KINDS: tuple[SignatureKind, ...] = ("official", "digitiser", "agency")
DIGEST = "sha256"
#: Officials' certificates carry nonRepudiation, personal ones often digitalSignature only.
SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})
SIGNER_KEY_USAGE = KeyUsageConstraints(key_usage=set(SIGNING_KEY_USAGES), match_all_key_usages=False)


class KeyUnavailable(SohoaError):
    """The signing key cannot be opened: wrong passphrase or PIN, missing file, token or object."""

    code = "key_unavailable"
    exit_code = 2


class SigningFailed(SohoaError):
    """The PDF could not be signed as asked (e.g. TSA unreachable, document locked by DocMDP);
    `reason` says which, in one word of `REASONS` (the console shows it in words)."""

    code = "signing_failed"
    exit_code = EXIT_INPUT_FAILED
    REASONS = ("unreadable_pdf", "encrypted", "signatures_unreadable", "document_final", "qr_after_signature",
               "needs_agency", "needs_tsa", "tsa_unreachable", "bad_image", "document_changed",
               "needs_trust_roots", "revocation_unavailable", "unsupported_key", "no_chain", "other")

    def __init__(self, message: str, *, reason: str = "other"):
        if reason not in self.REASONS:
            raise ValueError(f"unknown signing failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # across a worker process (sign_files --jobs) with its reason
        return (type(self), (self.message,), {"reason": self.reason})


class CertificateNotUsable(SohoaError):
    """The signing key's certificate may not sign now: a signature made with it would not hold."""

    code = "certificate_not_usable"
    exit_code = 2


class CertificateExpired(CertificateNotUsable):
    code = "certificate_expired"


class CertificateNotYetValid(CertificateNotUsable):
    code = "certificate_not_yet_valid"


class CertificateKeyUsage(CertificateNotUsable):
    code = "certificate_key_usage"


# --- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs11Uri:
    """The parts of an RFC 7512 URI sohoa uses:
    `pkcs11:token=LABEL;object=LABEL[;id=%01][;slot-id=N]?module-path=/path/to/module.so`."""

    module_path: str
    token: str | None = None
    object: str | None = None
    id: bytes | None = None
    slot_id: int | None = None

    @classmethod
    def parse(cls, uri: str) -> Pkcs11Uri:
        parsed = urlparse(uri)
        if parsed.scheme != "pkcs11":
            raise KeyUnavailable(f"not a pkcs11: URI: {uri}")
        attributes: dict[str, str] = {}
        for part in filter(None, parsed.path.split(";")):
            name, _, value = part.partition("=")
            attributes[name] = unquote(value)
        query = {name: values[-1] for name, values in parse_qs(parsed.query).items()}
        module = query.get("module-path")
        if not module:
            raise KeyUnavailable(
                "the pkcs11: URI must name the token's module, e.g. "
                "pkcs11:token=sohoa;object=official?module-path=/usr/lib/softhsm/libsofthsm2.so"
            )
        raw_id = next((part[3:] for part in parsed.path.split(";") if part.startswith("id=")), None)
        return cls(
            module_path=module,
            token=attributes.get("token"),
            object=attributes.get("object"),
            id=unquote_to_bytes(raw_id) if raw_id else None,
            slot_id=int(attributes["slot-id"]) if "slot-id" in attributes else None,
        )


def is_pkcs11(key: str) -> bool:
    return key.startswith("pkcs11:")


@contextlib.contextmanager
def open_signer(key: str, passphrase: str | None) -> Iterator[signers.Signer]:
    """A signer for a PKCS#12 file (passphrase) or a `pkcs11:` URI (PIN); the token session stays
    open, logged in once, for the whole block."""
    if is_pkcs11(key):
        with _pkcs11_signer(Pkcs11Uri.parse(key), passphrase) as signer:
            yield signer
        return
    path = Path(key)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyUnavailable(f"cannot read the key file {path}: {exc.strerror}") from exc
    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=(), passphrase=passphrase.encode() if passphrase else None
        )
    except ValueError as exc:
        raise KeyUnavailable(
            f"cannot open the PKCS#12 key {path}: wrong passphrase or not a PKCS#12 file"
        ) from exc
    yield KeptKeySigner(signing_key=loaded.signing_key, signing_cert=loaded.signing_cert,
                        cert_registry=loaded.cert_registry)


class KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, keeping its private key parsed.

    SimpleSigner parses the key from DER for every raw signature, and pyHanko signs twice per
    PDF signature (once as a dry run to size the placeholder): with the RSA consistency checks
    of `cryptography` that was about 80 ms of a 130 ms signature. Here the key is parsed once,
    and a dry run of an RSA PKCS#1 v1.5 signature returns zero bytes of the exact length.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from cryptography.hazmat.primitives.serialization import load_der_private_key

        self._private_key = load_der_private_key(self.signing_key.dump(), password=None)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run and self._pkcs1v15:
            return bytes(self._private_key.key_size // 8)
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ec import (
            ECDSA,
            EllipticCurvePrivateKey,
        )
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko.sign.general import get_pyca_cryptography_hash

        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if self._pkcs1v15:
            return self._private_key.sign(data, PKCS1v15(), hash_algorithm)
        if isinstance(self._private_key, EllipticCurvePrivateKey):
            return self._private_key.sign(data, ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA…: pyHanko's own way

    @functools.cached_property
    def _pkcs1v15(self) -> bool:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

        mechanism = self.get_signature_mechanism_for_digest(DIGEST)
        return (isinstance(self._private_key, RSAPrivateKey)
                and mechanism["algorithm"].native in ("rsassa_pkcs1v15", "sha256_rsa"))


@contextlib.contextmanager
def _pkcs11_signer(uri: Pkcs11Uri, pin: str | None) -> Iterator[signers.Signer]:
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not (uri.object or uri.id):
        raise KeyUnavailable("the pkcs11: URI must name the key: object=LABEL or id=%XX")
    try:
        session = open_pkcs11_session(
            uri.module_path,
            slot_no=uri.slot_id,
            token_criteria=TokenCriteria(label=uri.token) if uri.token else None,
            user_pin=pin,
        )
    except Exception as exc:  # python-pkcs11 raises many PKCS11Error kinds, and OSError
        raise KeyUnavailable(
            f"cannot log in to PKCS#11 token {uri.token or uri.slot_id or ''} "
            f"({uri.module_path}): {type(exc).__name__} {exc}".rstrip()
        ) from exc
    try:
        try:
            # other_certs_to_pull=None: the token's other certificates (its CA chain) go into
            # the signature, so verifiers can build the path without fetching it.
            signer = PKCS11Signer(
                session, key_label=uri.object, cert_label=uri.object, key_id=uri.id,
                cert_id=uri.id, other_certs_to_pull=None,
            )
            signer.signing_cert  # noqa: B018 - fetch now: a missing object fails here, clearly
        except Exception as exc:
            raise KeyUnavailable(f"no key/certificate {uri.object or uri.id!r} on the token: {exc}") from exc
        yield signer
    finally:
        session.close()


def signer_chain_roots(signer: signers.Signer) -> list[x509.Certificate]:
    """The roots the signer carries (a PKCS#12 file's CA chain), or, when it carries none, its CAs
    as anchors. asn1crypto's `self_signed` is "no", "maybe" or "yes": a bare truth test took the
    issuing CA for a root even beside the real one, so B-LT left out the CRL that vouches for the
    issuing CA. With SOHOA_TRUST_ROOTS set, `sign_document` anchors the chain there instead."""
    carried = list(signer.cert_registry or ())
    return [cert for cert in carried if cert.self_signed == "yes"] or carried


def check_signing_certificate(cert: x509.Certificate | None, at: datetime) -> None:
    """Refuse to sign with a certificate outside its validity at `at`, or whose key usage allows
    neither digital signatures nor non-repudiation: such a signature is never valid, and a stored
    document would get an indeterminate current version. The message names the certificate by
    its common name and validity dates (never by a personal ID)."""
    if cert is None:
        raise KeyUnavailable("the signing key has no certificate")
    validity = cert["tbs_certificate"]["validity"]
    first, last = validity["not_before"].native, validity["not_after"].native
    name = f"the signing certificate of {certificate_name(cert)}"
    valid = f"valid from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if at > last:
        raise CertificateExpired(f"{name} expired on {last:%Y-%m-%d} ({valid}): sign with a "
                                 "current certificate")
    if at < first:
        raise CertificateNotYetValid(f"{name} is not valid yet ({valid}): sign from "
                                     f"{first:%Y-%m-%d} on, or with a current certificate")
    allowed = _usage_without_signing(cert)
    if allowed is not None:
        raise CertificateKeyUsage(f"{name} may not make signatures: its key usage allows {allowed}, "
                                  f"not digital signature or non-repudiation ({valid})")


def _usage_without_signing(cert: x509.Certificate) -> str | None:
    """What the certificate's key usage allows, when that is neither digital signatures nor
    non-repudiation (None: it may sign; no key usage extension restricts nothing)."""
    usages = cert.key_usage_value.native if cert.key_usage_value is not None else None
    if usages is None or SIGNING_KEY_USAGES & set(usages):
        return None
    return ", ".join(sorted(u.replace("_", " ") for u in usages)) or "nothing"


def certificate_name(cert: x509.Certificate) -> str:
    """The certificate's subject common name, with long digit runs (ID numbers some CAs put in
    names) left out."""
    common_name = cert.subject.native.get("common_name") or cert.subject.human_friendly
    if isinstance(common_name, list):  # a name may carry several CNs
        common_name = ", ".join(common_name)
    return _ID_NUMBER.sub("…", common_name)


_ID_NUMBER = re.compile(r"\d{9,}")


# --- signing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignSpec:
    """What to sign and how it looks. `level` B-T and above need `tsa_url`."""

    kind: SignatureKind
    level: PadesLevel = "B-B"
    tsa_url: str | None = None
    signer_name: str | None = None  # shown in the stamp; default: the certificate's common name
    position: str | None = None  # chức vụ (official)
    agency: str | None = None  # cơ quan (official, agency)
    copy_type: str | None = None  # "SAO Y", "SAO LỤC", "TRÍCH SAO" (agency signature on a copy)
    qr: stamp.QrPayload | None = None  # issued results: drawn top left of page 1
    certify: bool = False  # DocMDP "no changes": certification if first, else a locking signature
    reason: str | None = None
    location: str | None = None
    display_offset_hours: int = 7  # stamps show ISO 8601 times at +07:00
    # Overrides of the stamp's place: 0-based page (negative from the end) and box in points.
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    # The signer's signature image and the office's seal (PNG with transparency), official stamp
    signature_image: bytes | None = None
    seal_image: bytes | None = None
    visible: bool = True  # False: an invisible signature (no stamp; the QR code is still drawn)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"signature kind must be one of {KINDS}, not {self.kind!r}")
        if self.level not in LEVELS:
            raise ValueError(f"PAdES level must be one of {LEVELS}, not {self.level!r}")
        if self.level != "B-B" and not self.tsa_url:
            raise SigningFailed(f"level {self.level} needs a timestamp authority URL (--tsa)", reason="needs_tsa")


def sign_pdf(
    pdf: bytes,
    spec: SignSpec,
    signer: signers.Signer,
    *,
    trust_roots: Sequence[x509.Certificate] = (),
    signing_timeout: float = 30.0,
    fast: bool = True,
) -> bytes:
    """Sign `pdf` per `spec` and return the signed file (the input bytes plus one incremental
    update; B-LT/B-LTA add the DSS and document timestamp after it).

    `trust_roots` anchor the chain whose OCSP/CRL B-LT embeds (default: the roots the signer
    carries). B-B and B-T on an unsigned PDF take `sign_fast` (what does not change between
    documents built once per signer); everything else, or `fast=False`, goes through pyHanko's
    `PdfSigner`.
    """
    check_signing_certificate(signer.signing_cert, datetime.now(UTC))
    if fast:
        signed = _sign_fast(pdf, spec, signer, signing_timeout)
        if signed is not None:
            return signed
    writer, already_signed = _open_for_signing(pdf)
    if spec.qr is not None:
        _draw_qr(writer, spec.qr, already_signed)
    field_spec, style, params = _signature_field(writer, spec, signer, already_signed)
    metadata = _signature_metadata(spec, signer, field_spec.sig_field_name, already_signed, trust_roots)
    timestamper = (
        HTTPTimeStamper(spec.tsa_url, timeout=signing_timeout) if spec.level != "B-B" else None
    )
    pdf_signer = signers.PdfSigner(
        metadata, signer=signer, timestamper=timestamper, stamp_style=style,
        new_field_spec=field_spec,
    )
    try:
        out = pdf_signer.sign_pdf(writer, appearance_text_params=params,
                                  bytes_reserved=_reserved_bytes(spec.level, signer))
    except SohoaError:
        raise
    except Exception as exc:
        raise SigningFailed(f"signing failed: {type(exc).__name__}: {exc}",
                            reason="tsa_unreachable" if isinstance(exc, TimestampRequestError) else "other") from exc
    log.info("signed as %s (%s) in field %s", spec.kind, spec.level, field_spec.sig_field_name)
    return out.getvalue()


def _sign_fast(pdf: bytes, spec: SignSpec, signer: signers.Signer, timeout: float) -> bytes | None:
    """The signed PDF by the fast path, or None when this PDF or spec needs pyHanko's."""
    from pipeline.stages import sign_fast

    reason = sign_fast.refusal(pdf, spec, signer)
    if reason is None:
        try:
            signed = sign_fast.prepared(signer).sign(pdf, spec, signing_timeout=timeout)
        except SohoaError:
            raise
        except sign_fast.FastPathUnsuitable as exc:
            reason = str(exc)
        except Exception as exc:  # the full path signs it, or says clearly why it cannot
            log.debug("the fast path failed", exc_info=True)
            reason = f"the fast path failed: {type(exc).__name__}"
        else:
            log.info("signed as %s (%s) in field %s-1", spec.kind, spec.level, spec.kind)
            return signed
    log.debug("signing with pyHanko's full path: %s", reason)
    return None


def _open_for_signing(pdf: bytes) -> tuple[IncrementalPdfFileWriter, bool]:
    """An incremental writer over `pdf`, and whether it is signed already; refuses encrypted and
    final documents."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        log.debug("why the PDF cannot be opened for signing", exc_info=True)
        raise SigningFailed("not a readable PDF: its structure cannot be parsed", reason="unreadable_pdf") from exc
    if writer.prev.encrypted:
        raise SigningFailed("encrypted PDFs are not signed", reason="encrypted")
    try:
        already_signed = bool(writer.prev.embedded_signatures)
        final = already_signed and _is_final(writer.prev)
    except Exception as exc:
        log.debug("why the existing signatures cannot be read", exc_info=True)
        raise SigningFailed("the PDF's existing signatures cannot be read (see `sohoa "
                            "verify-signature`): it is not signed again", reason="signatures_unreadable") from exc
    if final:
        raise SigningFailed("the document is final: a signature on it forbids any change (DocMDP)",
                            reason="document_final")
    return writer, already_signed


def _draw_qr(writer: IncrementalPdfFileWriter, qr: stamp.QrPayload, already_signed: bool) -> None:
    if already_signed:
        raise SigningFailed(
            "a QR code must be added before the first signature; this PDF is already signed",
            reason="qr_after_signature")
    width, height = _page_size(writer, 0)
    _draw_on_page(writer, 0, stamp.qr_content_stream(qr, stamp.qr_box(width, height)))


def _signature_field(
    writer: IncrementalPdfFileWriter, spec: SignSpec, signer: signers.Signer, already_signed: bool
) -> tuple[fields.SigFieldSpec, stamp.IsoTimeTextStampStyle, dict[str, str]]:
    """The new signature field (page, box, name, lock) and its stamp's style and text."""
    page_count = int(writer.root["/Pages"]["/Count"])
    if spec.visible:
        page, box, style, params = _appearance(lambda index: _page_size(writer, index), spec, signer,
                                               page_count)
    else:
        page, box, style, params = 0, None, None, {}
    field_name = _new_field_name(writer, spec.kind)
    lock_document = spec.certify and already_signed
    field_spec = fields.SigFieldSpec(
        sig_field_name=field_name,
        on_page=page,
        box=box,
        # A later signer makes the document final with a locking dictionary (PDF 2.0 /P 1):
        # certification proper is only allowed for the first signature.
        field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if lock_document else None,
        doc_mdp_update_value=fields.MDPPerm.NO_CHANGES if lock_document else None,
    )
    return field_spec, style, params


def _signature_metadata(
    spec: SignSpec,
    signer: signers.Signer,
    field_name: str,
    already_signed: bool,
    trust_roots: Sequence[x509.Certificate],
) -> signers.PdfSignatureMetadata:
    """PAdES at `spec.level` (B-LT/B-LTA: revocation data fetched against `trust_roots`), and
    DocMDP certification when asked for on the first signature."""
    long_term = spec.level in ("B-LT", "B-LTA")
    validation_context = None
    if long_term:
        roots = list(trust_roots) or signer_chain_roots(signer)
        validation_context = ValidationContext(
            trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail"
        )
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=spec.certify and not already_signed,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=spec.reason,
        location=spec.location,
        name=spec.signer_name,
        embed_validation_info=long_term,
        use_pades_lta=spec.level == "B-LTA",
        validation_context=validation_context,
        signer_key_usage={"digital_signature"} if long_term else {"non_repudiation"},
    )


def _reserved_bytes(level: str, signer: signers.Signer) -> int | None:
    """Room for the CMS signature container, so pyHanko need not make a throw-away signature to
    measure it (a third of the time of a B-B signature). B-B holds the signer's certificates and
    the signature; B-T adds a timestamp token with the TSA's chain. Long-term levels embed
    revocation data of unknown size and are measured."""
    if level not in ("B-B", "B-T"):
        return None
    certificates = sum(len(cert.dump()) for cert in (signer.cert_registry or ()))
    certificates += len(signer.signing_cert.dump()) if signer.signing_cert is not None else 0
    return 2 * (certificates + 4096) + (24_576 if level == "B-T" else 0)


def _is_final(reader: PdfFileReader) -> bool:
    """A certification with no changes allowed, or a signature whose lock dictionary says so
    (pyHanko enforces only the first when signing)."""
    certification = read_certification_data(reader)
    if certification is not None and certification.permission == fields.MDPPerm.NO_CHANGES:
        return True
    for embedded in reader.embedded_signatures:
        lock = _value(embedded.sig_field, "/Lock")
        if isinstance(lock, generic.DictionaryObject) and int(_value(lock, "/P", 0)) == 1:
            return True
    return False


def _appearance(page_size, spec: SignSpec, signer: signers.Signer, page_count: int):
    """(page index, box, stamp style, text parameters) for the signature's widget;
    `page_size(index)` gives a page's (width, height)."""
    name = spec.signer_name or signer.subject_name or ""
    params = {
        "signer": name,
        "position": spec.position or "",
        "agency": spec.agency or "",
        "copy_type": spec.copy_type or "",
    }
    if spec.kind == "official":
        page = page_count - 1
        template = stamp.OFFICIAL_TEMPLATE
        box_of = stamp.official_box
        border = True
    elif spec.kind == "digitiser":
        page = 0
        template = stamp.DIGITISER_TEMPLATE
        box_of = lambda w, h: stamp.digitiser_box(w, h, beside_qr=spec.qr is not None)  # noqa: E731
        border = True
    elif spec.copy_type:
        page, template, box_of, border = 0, stamp.COPY_TEMPLATE, stamp.copy_box, False
    else:
        page, template, box_of, border = 0, stamp.AGENCY_TEMPLATE, stamp.agency_box, False
    if spec.kind in ("official", "agency") and not spec.agency:
        raise SigningFailed(f"a {spec.kind} signature needs the agency's name (--agency)", reason="needs_agency")
    if spec.page is not None:
        page = spec.page % page_count
    image = None
    if spec.kind == "official" and spec.signature_image:
        image = _stamp_image(spec)
        box_of = stamp.official_image_box
    box = spec.box or box_of(*page_size(page))
    style = stamp.stamp_style(template, border=border, image=image)
    style = _with_offset(style, spec.display_offset_hours)
    return page, tuple(round(v) for v in box), style, params


def _stamp_image(spec: SignSpec):
    try:
        return _signature_with_seal(spec.signature_image, spec.seal_image)
    except stamp.BadStampImage as exc:
        raise SigningFailed(str(exc), reason="bad_image") from exc


@functools.lru_cache(maxsize=8)
def _signature_with_seal(signature_png: bytes, seal_png: bytes | None):
    """The composed stamp image, decoded once per pair of PNGs (a batch signs with one pair)."""
    return stamp.signature_with_seal(signature_png, seal_png)


def _with_offset(style: stamp.IsoTimeTextStampStyle, hours: int) -> stamp.IsoTimeTextStampStyle:
    from dataclasses import replace

    return replace(style, display_offset_hours=hours)


def _page_size(writer: IncrementalPdfFileWriter, page_index: int) -> tuple[float, float]:
    page_ref, _ = writer.find_page_for_modification(page_index)
    x1, y1, x2, y2 = (float(v) for v in _items(page_ref.get_object()["/MediaBox"]))
    return x2 - x1, y2 - y1


def _value(dictionary: generic.DictionaryObject, key: str, default=None):
    """`dictionary[key]` with an indirect reference followed (pyHanko's `.get` does not follow
    it), or `default` when absent or null."""
    try:
        return dictionary[key]
    except KeyError:
        return default


def _items(value) -> list:
    """The entries of a PDF array, each indirect reference followed; [] for anything else."""
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if not isinstance(value, generic.ArrayObject):
        return []
    return [value[position] for position in range(len(value))]


def _draw_on_page(writer: IncrementalPdfFileWriter, page_index: int, operators: bytes) -> None:
    """Draw over the page: its own content is wrapped in q…Q so a graphics state it leaves
    behind (a stray cm) cannot move our marks."""
    before = writer.add_object(generic.StreamObject(stream_data=b"q\n"))
    after = writer.add_object(generic.StreamObject(stream_data=b"Q\n" + operators))
    writer.add_stream_to_page(page_index, before, prepend=True)
    writer.add_stream_to_page(page_index, after)


def _new_field_name(writer: IncrementalPdfFileWriter, kind: str) -> str:
    existing = {sig.field_name for sig in writer.prev.embedded_signatures}
    number = 1
    while f"{kind}-{number}" in existing:
        number += 1
    return f"{kind}-{number}"


# --- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationSettings:
    """Trust is configured explicitly (DER certificates), never taken from the system."""

    trust_roots: tuple[bytes, ...] = ()
    allow_fetching: bool = False  # fetch OCSP/CRL/missing certificates over the network
    validation_time: datetime | None = None  # default: now

    @classmethod
    def from_pem(cls, pem_or_der: bytes, **kwargs) -> ValidationSettings:
        return cls(trust_roots=tuple(c.dump() for c in load_certs_from_pemder_data(pem_or_der)),
                   **kwargs)

    @classmethod
    def from_file(cls, path: Path | None, **kwargs) -> ValidationSettings:
        if path is None:
            return cls(**kwargs)
        try:
            return cls.from_pem(Path(path).read_bytes(), **kwargs)
        except OSError as exc:
            raise SohoaError(f"cannot read trust roots {path}: {exc.strerror}") from exc

    def roots(self) -> list[x509.Certificate]:
        return [x509.Certificate.load(der) for der in self.trust_roots]

    @property
    def trust_roots_sha256(self) -> str:
        """The fingerprint of this set of roots: SHA-256 over their DER certificates, sorted
        (one root: its own SHA-256; none: the SHA-256 of nothing). A validation recorded under
        another fingerprint was made with other trust."""
        return hashlib.sha256(b"".join(sorted(set(self.trust_roots)))).hexdigest()


def validate_pdf(pdf: bytes, settings: ValidationSettings) -> SignatureReport:
    """Validate every signature and document timestamp in `pdf`; never raises for a bad file
    (the report's `error` says why it could not be examined)."""
    now = settings.validation_time or datetime.now(UTC)
    report = dict(
        sha256=hashlib.sha256(pdf).hexdigest(),
        validated_at=now,
        revocation_fetching=settings.allow_fetching,
    )
    if b"/ByteRange" not in pdf:  # cheap: every PDF signature dictionary has one
        return SignatureReport(**report)
    with _pyhanko_detail_at_debug():
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            if reader.encrypted:
                return SignatureReport(**report, error="encrypted PDF: signatures not examined")
            results = _validate_all(reader, settings, len(pdf))
        except Exception:  # a damaged file is a finding, not a crash of the caller
            log.info("signature validation could not read the PDF's structure")
            log.debug("why the PDF could not be read", exc_info=True)
            return SignatureReport(**report, error=UNREADABLE_PDF)
    for result in results:
        log.info("%s: %s%s%s", result.field_name or "signature", result.indication,
                 f" {result.sub_indication}" if result.sub_indication else "",
                 f" — {'; '.join(result.messages)}" if result.messages else "")
    return SignatureReport(**report, signatures=results)


UNREADABLE_PDF = "the PDF's structure cannot be read, so its signatures cannot be examined"


def _validate_all(reader: PdfFileReader, settings: ValidationSettings,
                  size: int) -> list[SignatureResult]:
    dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    has_revinfo = dss is not None and bool(dss.ocsps or dss.crls)

    def context() -> ValidationContext:
        kwargs = dict(
            trust_roots=settings.roots(),
            allow_fetching=settings.allow_fetching,
            # Online, missing revocation data is a failure. Offline, the OCSP/CRL embedded in the
            # DSS (B-LT) are used and a revoked status found there still fails; data nobody
            # embedded (e.g. the issuing CA's CRL) cannot be had, which soft-fail tolerates.
            revocation_mode="hard-fail" if settings.allow_fetching else "soft-fail",
            retroactive_revinfo=True,
        )
        if settings.validation_time is not None:
            kwargs["moment"] = settings.validation_time
        return dss.as_validation_context(kwargs) if dss is not None else ValidationContext(**kwargs)

    readable, unreadable = _embedded_signatures(reader)
    results: list[SignatureResult] = []
    for embedded in readable:
        results.append(_validate_one(embedded, context, settings, size))
    results.extend(unreadable)
    # B-LT needs revocation data in the DSS; B-LTA a valid document timestamp over it.
    lta = any(r.kind == "document_timestamp" and r.intact and r.cryptographically_valid
              for r in results)
    upgraded = []
    for result in results:
        level = result.pades_level
        if level == "B-T" and has_revinfo:
            level = "B-LTA" if lta else "B-LT"
        upgraded.append(result.model_copy(update={"pades_level": level}))
    return upgraded


def _embedded_signatures(
    reader: PdfFileReader,
) -> tuple[list[EmbeddedPdfSignature], list[SignatureResult]]:
    """The filled signature fields: those pyHanko can read, in signing order, and a failed result
    for each it cannot (pyHanko's own `embedded_signatures` raises for the first unreadable CMS
    and silently drops a signature of an unknown /SubFilter: either would make a signed PDF
    look unsigned)."""
    readable: list[EmbeddedPdfSignature] = []
    unreadable: list[SignatureResult] = []
    for name, sig_object, sig_field in fields.enumerate_sig_fields(reader, filled_status=True):
        sig_object = sig_object.get_object()
        if not isinstance(sig_object, generic.DictionaryObject):
            unreadable.append(_unreadable(name, "signature", "TOTAL_FAILED", AdESFailure.FORMAT_FAILURE,
                                          "the signature field's value is not a signature dictionary"))
            continue
        kind = "document_timestamp" if _value(sig_object, "/Type") == "/DocTimeStamp" else "signature"
        subfilter = _value(sig_object, "/SubFilter")
        subfilter = str(subfilter) if isinstance(subfilter, generic.NameObject) else None
        if subfilter not in {f.value for f in fields.SigSeedSubFilter}:
            unreadable.append(_unreadable(name, kind, "INDETERMINATE", AdESIndeterminate.GENERIC,
                                          f"the signature's format ({subfilter or 'no /SubFilter'}) "
                                          "is not one sohoa can validate"))
            continue
        try:
            readable.append(EmbeddedPdfSignature(reader, sig_field, name))
        except Exception:
            log.debug("signature %s cannot be read", name, exc_info=True)
            reason = ("the signature has no /ByteRange, so it signs nothing"
                      if "/ByteRange" not in sig_object
                      else "the signature value (/Contents) cannot be read as a CMS signature")
            unreadable.append(_unreadable(name, kind, "TOTAL_FAILED", AdESFailure.FORMAT_FAILURE,
                                          reason))
    readable.sort(key=lambda embedded: embedded.signed_revision)
    return readable, unreadable


def _validate_one(embedded: EmbeddedPdfSignature, context, settings: ValidationSettings,
                  size: int) -> SignatureResult:
    is_timestamp = embedded.sig_object_type == "/DocTimeStamp"
    kind = "document_timestamp" if is_timestamp else "signature"
    try:
        if is_timestamp:
            status = validate_pdf_timestamp(embedded, validation_context=context())
            return _result(embedded, status, kind, level=None, size=size, settings=settings)
        status = validate_pdf_signature(
            embedded, signer_validation_context=context(), ts_validation_context=context(),
            key_usage_settings=SIGNER_KEY_USAGE,
        )
    except SignatureValidationError as exc:
        log.debug("signature %s is malformed", embedded.field_name, exc_info=True)
        sub = exc.ades_subindication
        indication = "INDETERMINATE" if isinstance(sub, AdESIndeterminate) else "TOTAL_FAILED"
        if indication == "TOTAL_FAILED":
            sub = sub if isinstance(sub, AdESFailure) else AdESFailure.FORMAT_FAILURE
        return _unreadable(embedded.field_name or "", kind, indication, sub,
                           _malformed_message(exc.failure_message))
    except Exception:
        # pyHanko failing on a file is not the file's verdict: say it could not be validated.
        log.warning("signature %s could not be validated (-vv shows why)", embedded.field_name)
        log.debug("why signature %s could not be validated", embedded.field_name, exc_info=True)
        return _unreadable(embedded.field_name or "", kind, "INDETERMINATE",
                           AdESIndeterminate.GENERIC, "the signature could not be validated")
    return _result(embedded, status, kind, level=_level(embedded, status), size=size,
                   settings=settings)


def _unreadable(field_name: str, kind: str, indication: str, sub, message: str) -> SignatureResult:
    return SignatureResult(
        field_name=field_name, kind=kind, indication=indication, sub_indication=sub.name,
        intact=False, cryptographically_valid=False, trusted=False, covers_whole_document=False,
        coverage="UNCLEAR", messages=[message],
    )


def _malformed_message(failure: str) -> str:
    if "encapsulated" in failure:
        return ("the signature encapsulates content instead of signing the PDF's bytes "
                "(a PDF signature must be detached)")
    return "the signature's structure is not that of a valid PDF signature"


def _level(embedded, status) -> PadesLevel | None:
    if _value(embedded.sig_object, "/SubFilter") != "/ETSI.CAdES.detached":
        return None
    ts = status.timestamp_validity
    if ts is not None and ts.intact and ts.valid:
        return "B-T"
    return "B-B"


def _result(embedded, status, kind: str, level: PadesLevel | None, size: int,
            settings: ValidationSettings) -> SignatureResult:
    indication, sub, messages = _indication(status, embedded, size, settings)
    cert = status.signing_cert
    coverage = status.coverage
    modification = status.modification_level
    timestamp = getattr(status, "timestamp", None)
    ts_status = getattr(status, "timestamp_validity", None)
    if ts_status is not None:
        timestamp = ts_status.timestamp
    whole = coverage == SignatureCoverageLevel.ENTIRE_FILE
    return SignatureResult(
        field_name=embedded.field_name or "",
        kind=kind,
        indication=indication,
        sub_indication=sub,
        signer=cert.subject.human_friendly if cert is not None else None,
        signer_common_name=_common_name(cert),
        issuer=cert.issuer.human_friendly if cert is not None else None,
        certificate_serial=format(cert.serial_number, "x") if cert is not None else None,
        claimed_signing_time=getattr(status, "signer_reported_dt", None),
        timestamp_time=timestamp,
        intact=bool(status.intact),
        cryptographically_valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        certified=kind == "signature" and _is_certification(embedded),
        covers_whole_document=whole,
        coverage=coverage.name if coverage is not None else "UNCLEAR",
        modifications_after_signing="NONE" if whole else modification.name if modification else None,
        pades_level=level,
        messages=messages,
    )


def _is_certification(embedded) -> bool:
    """A DocMDP signature reference: the /Reference array and its dictionaries may be indirect."""
    for reference in _items(_value(embedded.sig_object, "/Reference")):
        if (isinstance(reference, generic.DictionaryObject)
                and _value(reference, "/TransformMethod") == "/DocMDP"):
            return True
    return False


def _common_name(cert) -> str | None:
    if cert is None:
        return None
    return cert.subject.native.get("common_name")


def _indication(status, embedded, size: int,
                settings: ValidationSettings) -> tuple[str, str | None, list[str]]:
    """Map pyHanko's status onto DSS: integrity first, then coverage and modifications, then
    trust."""
    messages: list[str] = []
    if not status.intact:
        return "TOTAL_FAILED", AdESFailure.HASH_FAILURE.name, [
            "the signed bytes were changed after signing"]
    if not status.valid:
        return "TOTAL_FAILED", AdESFailure.SIG_CRYPTO_FAILURE.name, [
            "the signature value does not verify with the signer's key"]
    if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE,
                               SignatureCoverageLevel.ENTIRE_REVISION):
        return "TOTAL_FAILED", AdESFailure.FORMAT_FAILURE.name, [_coverage_message(embedded, size)]
    if status.modification_level == ModificationLevel.OTHER or status.docmdp_ok is False:
        return "TOTAL_FAILED", AdESFailure.FORMAT_FAILURE.name, [
            "the document was modified after signing in a way signatures do not permit"]
    ts = getattr(status, "timestamp_validity", None)
    if ts is not None and not (ts.intact and ts.valid):
        return "TOTAL_FAILED", AdESFailure.HASH_FAILURE.name, [
            "the signature timestamp does not match the signature"]
    problem = status.trust_problem_indic
    if problem is not None:
        indication = (
            "TOTAL_FAILED" if isinstance(problem, AdESFailure)
            else "INDETERMINATE" if isinstance(problem, AdESIndeterminate)
            else "TOTAL_PASSED"
        )
        if indication != "TOTAL_PASSED":
            return indication, *_trust_finding(problem, status.signing_cert, settings)
    if not status.trusted:
        return "INDETERMINATE", AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND.name, [
            "no chain to a configured trust root"]
    if ts is not None and not ts.trusted:
        messages.append("the timestamp authority is not trusted")
    return "TOTAL_PASSED", None, messages


def _coverage_message(embedded, size: int) -> str:
    ranges = " ".join(str(int(v)) for v in _items(embedded.byte_range))
    return (f"the signature does not cover the whole file: its byte range [{ranges}] leaves out "
            f"more of the file's {size} bytes than the signature value itself")


def _trust_finding(problem, cert, settings: ValidationSettings) -> tuple[str, list[str]]:
    """(sub-indication, messages) for a certificate pyHanko could not trust."""
    if (problem.name in ("CHAIN_CONSTRAINTS_FAILURE", "NO_CERTIFICATE_CHAIN_FOUND")
            and cert is not None and cert.self_signed in ("yes", "maybe")
            and cert.dump() not in settings.trust_roots):
        # pyHanko's path builder rejects an untrusted self-signed certificate as a constraint
        # failure; DSS reports it as no chain found, which is what it is.
        return AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND.name, [
            ("the signer's certificate is self-signed and not trusted: no configured trust root "
             "vouches for it")]
    allowed = _usage_without_signing(cert) if cert is not None else None
    if problem.name == "CHAIN_CONSTRAINTS_FAILURE" and allowed is not None:
        message = f"the signer's certificate may not make signatures: its key usage allows {allowed}"
        return problem.name, [message]
    return problem.name, [_TRUST_MESSAGES.get(problem.name, problem.name.replace("_", " ").lower())]


@contextlib.contextmanager
def _pyhanko_detail_at_debug() -> Iterator[None]:
    """Inside the block pyHanko's log records — a warning with a full traceback for every chain
    that does not reach a trust root — are logged at DEBUG: the report already says what they
    found, `-vv` still shows them."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if (name.startswith("pyhanko") and isinstance(logger, logging.Logger)  # and its certvalidator
                and _DEMOTE_PYHANKO not in logger.filters):
            logger.addFilter(_DEMOTE_PYHANKO)
    token = _VALIDATING.set(True)
    try:
        yield
    finally:
        _VALIDATING.reset(token)


_VALIDATING: contextvars.ContextVar[bool] = contextvars.ContextVar("sohoa_validating", default=False)


class _PyhankoAtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _VALIDATING.get():
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_DEMOTE_PYHANKO = _PyhankoAtDebug()


_TRUST_MESSAGES = {
    "REVOKED": "the signer's certificate is revoked",
    "REVOKED_NO_POE": "the signer's certificate was revoked and nothing proves the signature "
    "existed before",
    "REVOKED_CA_NO_POE": "a CA certificate in the signer's chain was revoked and nothing proves "
    "the signature existed before",
    "OUT_OF_BOUNDS_NO_POE": "the signer's certificate was not valid (expired or not yet valid) "
    "at validation time, and nothing proves the signature existed while it was",
    "OUT_OF_BOUNDS_NOT_REVOKED": "the signer's certificate has expired",
    "EXPIRED": "the signer's certificate had expired when it signed",
    "NOT_YET_VALID": "the signer's certificate was not valid yet when it signed",
    "NO_CERTIFICATE_CHAIN_FOUND": "no chain to a configured trust root",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "the signer's certificate chain cannot be checked",
    "CHAIN_CONSTRAINTS_FAILURE": "the certificate chain breaks a constraint (e.g. key usage)",
    "SIG_CONSTRAINTS_FAILURE": "the signer's certificate may not make this signature "
    "(key usage)",
    "CRYPTO_CONSTRAINTS_FAILURE": "the signature uses an algorithm or key that is not allowed "
    "(e.g. a digest that does not match the signature algorithm)",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "the signature uses an algorithm no longer considered "
    "secure, and nothing proves it was made while it was",
    "NO_SIGNING_CERTIFICATE_FOUND": "the signer's certificate is not in the signature",
    "NO_POE": "nothing proves the signature existed at the time it needs to",
    "TIMESTAMP_ORDER_FAILURE": "the signature's timestamps are out of order",
    "TRY_LATER": "revocation status could not be obtained",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": "the revocation data is not fresh enough",
    "SIGNED_DATA_NOT_FOUND": "the signed data cannot be found",
    "POLICY_PROCESSING_ERROR": "the signature policy cannot be processed",
    "SIGNATURE_POLICY_NOT_AVAILABLE": "the signature policy is not available",
    "GENERIC": "the signature could not be validated",
}
