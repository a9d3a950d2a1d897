"""PDF inputs: born-digital PDFs are read, not OCR'd; signed PDFs are never altered."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

import pytest
from pdf_samples import DECISION_TEXT, born_digital_pdf

from pipeline.stages.ingest import InputFile


def sign_pdf(data: bytes, tmp_path: Path) -> bytes:
    """Sign with a throw-away self-signed certificate, as a citizen's token would."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn Ký")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, None, serialization.BestAvailableEncryption(b"pass")
        )
    )
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=b"pass")
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer)
    return out.getvalue()


def words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def test_born_digital_pdf_is_read_not_ocred(tmp_path: Path, ingestor):
    """GIVEN a PDF with a real text layer (made by an office program)
    WHEN it is ingested
    THEN its text is read exactly, no page is OCR'd, and the stored PDF is the original"""
    source = tmp_path / "quyet-dinh.pdf"
    source.write_bytes(born_digital_pdf(DECISION_TEXT))

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    assert line.input_kind == "born_digital_pdf"
    assert "ocr" not in line.seconds
    row = ingestor.index.get(line.document_id)
    assert words(row.text) == words("\n".join(DECISION_TEXT))
    assert ingestor.store.get(row.searchable_key) == source.read_bytes()


def test_signed_pdf_is_kept_byte_identical(tmp_path: Path, ingestor):
    """GIVEN a PDF that arrives digitally signed
    WHEN it is ingested
    THEN the stored original and the stored PDF are the exact bytes received, its text is read
    without re-saving it, and its signature is validated and recorded: intact, but signed by a
    root nobody configured, so INDETERMINATE"""
    signed = sign_pdf(born_digital_pdf(DECISION_TEXT), tmp_path)
    source = tmp_path / "signed.pdf"
    source.write_bytes(signed)

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    assert line.input_kind == "signed_pdf"
    row = ingestor.index.get(line.document_id)
    assert ingestor.store.get(row.original_key) == signed
    assert ingestor.store.get(row.searchable_key) == signed
    assert source.read_bytes() == signed
    assert "Nguyễn Thị Lấp Lánh Ánh" in row.text
    assert "ocr" not in line.seconds
    [signature] = ingestor.index.signatures(line.document_id)
    assert (signature.version, signature.indication) == (1, "INDETERMINATE")
    assert "Nguyễn Văn Ký" in signature.signer
    assert signature.report["covers_whole_document"] is True
    assert ingestor.index.signature_status(line.document_id) == "indeterminate"


@pytest.mark.parametrize("dpi", [200, 300])
def test_scanned_pdf_is_rasterised_at_its_native_resolution(tmp_path: Path, ingestor, dpi: int):
    """GIVEN an image-only PDF from a scanner at 200 or 300 dpi
    WHEN it is ingested
    THEN its pages are OCR'd at the scan's own resolution"""
    from pipeline.samples import make_scan

    scan = make_scan(11, doc_type="quyet_dinh", skew=0.0, rotation=0, colour=False, dpi=dpi)
    source = tmp_path / "scan.pdf"
    scan.image.save(source, "PDF", resolution=dpi)

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    assert line.input_kind == "scanned_pdf"
    import json

    ocr = json.loads(ingestor.store.get(ingestor.index.get(line.document_id).ocr_key))
    assert ocr["pages"][0]["diagnostics"]["source_dpi"] == pytest.approx(dpi, abs=1)
    # A4 is 595 pt wide; cropping the scanner's dark borders may take a little off.
    assert 0.85 * 595 <= ocr["pages"][0]["width"] <= 596
