"""Signatures made elsewhere (a USB token on the official's PC): pyHanko's interrupted signing as
two pure functions over PDF bytes.

- `prepare_external(pdf, spec, chain)` adds the visible marks and the signature field with an
  empty placeholder (one incremental update, as `sign_pdf` does), digests the byte range and
  builds the CMS signed attributes the token must sign. What it returns is plain data (the
  prepared PDF and a JSON-able state), so the signature can be completed by another process,
  after a restart.
- `finish_external(prepared_pdf, state, signature)` verifies the raw signature value over the
  signed attributes with the certificate's public key first — a wrong value is refused and no
  PDF is made — then embeds the CMS (B-T: with the signature timestamp) into the placeholder.

Levels: B-B; B-T (the signature timestamp is added at completion); B-LT and B-LTA add, after
the signature, the whole chain's OCSP/CRL in the DSS (fetched against the trust roots given) and,
for B-LTA, a document timestamp over it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, x509
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from pipeline.errors import SohoaError
from pipeline.stages.sign import (
    DIGEST,
    SigningFailed,
    SignSpec,
    _draw_qr,
    _open_for_signing,
    _signature_field,
    _signature_metadata,
    check_signing_certificate,
)

EXTERNAL_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


class SignatureRefused(SohoaError):
    """The signature value handed back does not verify over the prepared data with the
    certificate given at prepare: nothing is stored."""

    code = "signature_invalid"
    exit_code = 2


class ExternalLevelUnsupported(SohoaError):
    code = "level_not_supported"
    exit_code = 2


@dataclass(frozen=True)
class PreparedSignature:
    pdf: bytes  # the document with the marks, the field and an empty signature placeholder
    state: dict  # JSON-able: what finish_external needs besides the PDF
    data_to_sign: bytes  # DER of the CMS signed attributes
    mechanism: str  # rsassa_pkcs1v15 | ecdsa

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.data_to_sign).digest()


def prepare_external(pdf: bytes, spec: SignSpec, chain: Sequence[x509.Certificate], at: datetime) -> PreparedSignature:
    """The prepared PDF and the data the signer's key must sign (see the module's note)."""
    if not chain:
        raise SigningFailed("a certificate chain is needed: the signer's certificate first", reason="no_chain")
    if spec.level not in EXTERNAL_LEVELS:
        raise ExternalLevelUnsupported(f"external signatures are made at {' or '.join(EXTERNAL_LEVELS)}, "
                                       f"not {spec.level}: sign long-term levels with a server-held key")
    certificate = chain[0]
    check_signing_certificate(certificate, at)
    mechanism = signature_mechanism(certificate)
    signer = _external_signer(chain)
    writer, already_signed = _open_for_signing(pdf)
    if spec.qr is not None:
        _draw_qr(writer, spec.qr, already_signed)
    field_spec, style, params = _signature_field(writer, spec, signer, already_signed)
    metadata = _signature_metadata(spec, signer, field_spec.sig_field_name, already_signed, ())
    pdf_signer = signers.PdfSigner(metadata, signer=signer, stamp_style=style, new_field_spec=field_spec)
    reserved = 2 * (sum(len(c.dump()) for c in chain) + 4096) + (24_576 if spec.level != "B-B" else 0)
    try:
        digest, _, output = asyncio.run(pdf_signer.async_digest_doc_for_signing(
            writer, appearance_text_params=params, bytes_reserved=reserved))
        attributes = asyncio.run(signer.signed_attrs(digest.document_digest, DIGEST, use_pades=True))
    except SohoaError:
        raise
    except Exception as exc:
        raise SigningFailed(f"the document cannot be prepared for signing: {type(exc).__name__}: {exc}") from exc
    data_to_sign = attributes.dump()
    state = {
        "document_digest": _b64(digest.document_digest),
        "reserved_region": [digest.reserved_region_start, digest.reserved_region_end],
        "signed_attributes": _b64(data_to_sign),
        "chain": [_b64(c.dump()) for c in chain],
        "level": spec.level,
        "tsa_url": spec.tsa_url,
        "field_name": field_spec.sig_field_name,
        "mechanism": mechanism,
    }
    return PreparedSignature(output.getvalue(), state, data_to_sign, mechanism)


def finish_external(prepared_pdf: bytes, state: dict, signature: bytes, *, timeout: float = 30.0,
                    trust_roots: Sequence[x509.Certificate] = ()) -> bytes:
    """The signed PDF, once `signature` verifies over the prepared signed attributes; the
    long-term levels fetch revocation data for the chain up to `trust_roots`."""
    chain = [x509.Certificate.load(base64.b64decode(c)) for c in state["chain"]]
    data_to_sign = base64.b64decode(state["signed_attributes"])
    signature = verified_signature(chain[0], data_to_sign, signature, state["mechanism"])
    signer = _external_signer(chain, signature)
    timestamper = HTTPTimeStamper(state["tsa_url"], timeout=timeout) if state["level"] != "B-B" else None
    start, end = state["reserved_region"]
    digest = PreparedByteRangeDigest(base64.b64decode(state["document_digest"]), start, end)
    output = io.BytesIO(prepared_pdf)
    try:
        container = asyncio.run(signer.async_sign_prescribed_attributes(
            DIGEST, signed_attrs=cms.CMSAttributes.load(data_to_sign), timestamper=timestamper))
        PdfTBSDocument.finish_signing(output, digest, container)
    except Exception as exc:
        raise SigningFailed(f"the signature cannot be embedded: {type(exc).__name__}: {exc}",
                            reason="tsa_unreachable" if isinstance(exc, TimestampRequestError) else "other") from exc
    if state["level"] in ("B-LT", "B-LTA"):
        roots = [*trust_roots, *(c for c in chain if c.self_signed == "yes")]
        return _long_term(output.getvalue(), state, timestamper, roots)
    return output.getvalue()


def _long_term(signed: bytes, state: dict, timestamper: HTTPTimeStamper, roots: list[x509.Certificate]) -> bytes:
    """B-LT: the chain's revocation data in the DSS; B-LTA: then a document timestamp over it."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import async_add_validation_info
    from pyhanko_certvalidator import ValidationContext

    if not roots:
        raise SigningFailed(f"{state['level']} needs the trust roots (SOHOA_TRUST_ROOTS) to fetch revocation data",
                            reason="needs_trust_roots")
    context = ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")

    async def add() -> io.BytesIO:
        try:  # one event loop for every fetch, and the context's HTTP session closed inside it
            reader = PdfFileReader(io.BytesIO(signed), strict=False)
            [embedded] = [s for s in reader.embedded_signatures if s.field_name == state["field_name"]]
            out = await async_add_validation_info(embedded, context)
            if state["level"] == "B-LTA":
                out = await signers.PdfTimeStamper(timestamper).async_timestamp_pdf(
                    IncrementalPdfFileWriter(out, strict=False), DIGEST, context)
            return out
        finally:
            await context.aclose()

    try:
        out = asyncio.run(add())
    except Exception as exc:
        raise SigningFailed(f"{state['level']}: the revocation data or document timestamp cannot be added: "
                            f"{type(exc).__name__}: {exc}", reason="revocation_unavailable") from exc
    return out.getvalue()


def signature_mechanism(certificate: x509.Certificate) -> str:
    algorithm = certificate.public_key.algorithm
    if algorithm == "rsa":
        return "rsassa_pkcs1v15"
    if algorithm == "ec":
        return "ecdsa"
    raise SigningFailed(f"the signer's key ({algorithm}) is not RSA or EC", reason="unsupported_key")


def verified_signature(certificate: x509.Certificate, data: bytes, signature: bytes, mechanism: str) -> bytes:
    """`signature` (ECDSA: DER, or the raw r‖s a PKCS#11 token returns, made DER) once it verifies
    over `data` with the certificate's key; SignatureRefused otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.x509 import load_der_x509_certificate

    key = load_der_x509_certificate(certificate.dump()).public_key()
    try:
        if mechanism == "rsassa_pkcs1v15":
            key.verify(signature, data, padding.PKCS1v15(), SHA256())
        else:
            if signature[:1] != b"\x30" and len(signature) % 2 == 0:
                half = len(signature) // 2
                signature = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                                 int.from_bytes(signature[half:], "big"))
            key.verify(signature, data, ec.ECDSA(SHA256()))
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise SignatureRefused(
            "the signature value does not verify over data_to_sign with the certificate given at prepare "
            f"({mechanism} with SHA-256): nothing was stored") from exc
    return signature


def _external_signer(chain: Sequence[x509.Certificate], signature: bytes | None = None) -> signers.ExternalSigner:
    size = (chain[0].public_key.bit_size + 7) // 8 if chain[0].public_key.algorithm == "rsa" else 72
    return signers.ExternalSigner(
        signing_cert=chain[0], cert_registry=SimpleCertificateStore.from_certs(list(chain[1:])),
        signature_value=signature if signature is not None else size)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
