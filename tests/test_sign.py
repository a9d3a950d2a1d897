"""PAdES signing and validation against a real test PKI (OCSP, CRL and TSA over HTTP on loopback),
cross-checked with poppler's pdfsig (NSS trusting the test root), with SoftHSM2 as a real token."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

import softhsm
from conftest import cli_env, run_cli
from index_rows import make_row
from pdfa import page_pdf
from readable import readable_by_a_person
from pipeline.stores.index import Index
from pipeline.stages.sign import (
    KeyUnavailable,
    SignSpec,
    SigningFailed,
    ValidationSettings,
    open_signer,
    sign_pdf,
    validate_pdf,
)
from pipeline.clock import OFFICE_TZ
from pipeline.core.signed_versions import record_validation, sign_stored_document
from pipeline.stages.stamp import (
    QrPayload,
    agency_box,
    copy_box,
    digitiser_box,
    official_box,
    qr_box,
)
from pipeline.stores.objects import document_key, open_store, original_key, sha256_hex
from pki import OFFICIAL_NAME, PASSPHRASE, TestPki
from postgres import create_database, drop_database

A4 = (595.0, 842.0)
RENDER_DPI = 100


# --- fixtures (the test PKI, `pki`, is in conftest.py) -----------------------------------------


@pytest.fixture(scope="session")
def nss_db(pki, tmp_path_factory) -> Path:
    return pki.nss_db(tmp_path_factory.mktemp("nss"))


@pytest.fixture(scope="session")
def trusted(pki) -> ValidationSettings:
    """Trusting the test root, fetching OCSP/CRL from the running test PKI."""
    return ValidationSettings.from_file(pki.root_pem, allow_fetching=True)


@pytest.fixture(scope="session")
def unsigned_pdf() -> bytes:
    return page_pdf()


def qr_payload() -> QrPayload:
    return QrPayload(
        dossier_code="000.00.24.H29-240515-0001", procedure_code="1.009972",
        document_name="Giấy phép xây dựng nhà ở riêng lẻ", issuing_system="Hệ thống một cửa sohoa",
        issued_at=datetime(2026, 11, 23, 8, 30, tzinfo=UTC),
    )


def official_spec(**changes) -> SignSpec:
    values = dict(kind="official", position="Chủ tịch", agency="UBND quận 1", qr=qr_payload())
    values.update(changes)
    return SignSpec(**values)


def sign_with(pki: TestPki, label: str, pdf: bytes, spec: SignSpec) -> bytes:
    with open_signer(str(pki.pkcs12(label)), PASSPHRASE) as signer:
        return sign_pdf(pdf, spec, signer)


def signed_elsewhere(pki: TestPki, label: str, pdf: bytes, field_name: str = "Signature1") -> bytes:
    """`pdf` signed (PAdES B-B) by another system with pyHanko alone, which signs with any
    certificate: how expired or wrong-usage signatures arrive at the counter."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12(label)), passphrase=PASSPHRASE.encode())
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer)
    return out.getvalue()


@dataclass(frozen=True)
class PdfsigVerdict:
    signature_valid: bool
    whole_document: bool
    certificate: str

    @property
    def untampered(self) -> bool:
        return self.signature_valid and self.whole_document


def pdfsig(pdf: bytes, nss: Path, tmp_path: Path) -> list[PdfsigVerdict]:
    path = tmp_path / "pdfsig-input.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)],
                         capture_output=True, text=True, timeout=60).stdout
    verdicts = []
    for block in out.split("Signature #")[1:]:
        certificate = next((line.split(":", 1)[1].strip() for line in block.splitlines()
                            if "Certificate Validation:" in line), "")
        verdicts.append(PdfsigVerdict(
            signature_valid="Signature Validation: Signature is Valid." in block,
            whole_document="- Total document signed" in block,
            certificate=certificate,
        ))
    return verdicts


def ours_untampered(result) -> bool:
    return result.intact and result.cryptographically_valid and result.covers_whole_document


def render_page(pdf: bytes, page: int, tmp_path: Path) -> np.ndarray:
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf)
    png = subprocess.run(["pdftoppm", "-r", str(RENDER_DPI), "-gray", "-png", "-f", str(page),
                          "-l", str(page), str(path)], capture_output=True, check=True, timeout=60)
    return np.array(Image.open(io.BytesIO(png.stdout)).convert("L"))


def ink_in(image: np.ndarray, box: tuple[float, float, float, float]) -> int:
    """Dark pixels inside a box given in PDF points (origin bottom left)."""
    scale = RENDER_DPI / 72
    x1, y1, x2, y2 = box
    height = image.shape[0]
    region = image[int(height - y2 * scale):int(height - y1 * scale), int(x1 * scale):int(x2 * scale)]
    return int(np.count_nonzero(region < 128))


def stamp_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of the signature appearances, as a reader shows them (annotations flattened)."""
    flat = tmp_path / "flat.pdf"
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.flatten_annotations("all")
        document.save(flat)
    return subprocess.run(["pdftotext", str(flat), "-"], capture_output=True, text=True,
                          check=True).stdout


# --- signing -------------------------------------------------------------------------------------


def test_issued_result_carries_qr_and_official_stamp_and_passes(pki, trusted, nss_db, unsigned_pdf,
                                                                tmp_path):
    """GIVEN an issued result and the official's PKCS#12 key
    WHEN it is signed at B-B with the QR code and the official stamp
    THEN the signature is TOTAL_PASSED, covers the whole file and is the only change; the stamp
    shows the Vietnamese name, position, agency and the signing time at +07:00; page 1 renders
    the QR code top left and the stamp bottom right; pdfsig agrees the signature is valid and,
    with an NSS db trusting the test root (and the test OCSP answering), the certificate trusted"""
    signed = sign_with(pki, "official", unsigned_pdf, official_spec())

    assert signed.startswith(unsigned_pdf)  # one incremental update: nothing before it changed
    report = validate_pdf(signed, trusted)
    [result] = report.signatures
    assert (result.indication, result.sub_indication) == ("TOTAL_PASSED", None)
    assert result.signer_common_name == OFFICIAL_NAME
    assert result.covers_whole_document and result.modifications_after_signing == "NONE"
    assert result.pades_level == "B-B"
    assert report.all_passed

    text = stamp_text(signed, tmp_path)
    shown_time = result.claimed_signing_time.astimezone(OFFICE_TZ)
    assert f"Người ký: {OFFICIAL_NAME}" in text
    assert "Chức vụ: Chủ tịch" in text and "Cơ quan: UBND quận 1" in text
    assert f"Thời gian ký: {shown_time.isoformat(timespec='seconds')}" in text
    assert "+07:00" in text

    before, after = render_page(unsigned_pdf, 1, tmp_path), render_page(signed, 1, tmp_path)
    for box in (qr_box(*A4), official_box(*A4)):
        assert ink_in(before, box) == 0
        assert ink_in(after, box) > 50

    [verdict] = pdfsig(signed, nss_db, tmp_path)
    assert verdict.untampered and ours_untampered(result)
    assert verdict.certificate == "Certificate is Trusted."


def test_qr_code_decodes_to_the_result_identifiers(pki, unsigned_pdf, tmp_path):
    """GIVEN a result signed with a QR payload
    WHEN the QR code's drawing is read back module by module
    THEN it is exactly the code segno makes for the payload (dossier, procedure, name, system,
    issue time at +07:00)"""
    import segno

    signed = sign_with(pki, "official", unsigned_pdf, official_spec())
    payload = qr_payload()
    assert '"thoi_gian_ban_hanh":"2026-11-23T15:30:00+07:00"' in payload.text()
    expected = [list(row) for row in segno.make(payload.text(), error="m").matrix_iter(border=0)]
    # Render the QR region at a resolution of exactly 8 pixels per module and sample centres.
    modules = len(expected) + 4  # 2-module quiet zone each side
    x1, y1, x2, y2 = qr_box(*A4)
    dpi = 8 * modules * 72 / (x2 - x1)
    path = tmp_path / "qr.pdf"
    path.write_bytes(signed)
    png = subprocess.run(
        ["pdftoppm", "-r", f"{dpi:.4f}", "-gray", "-png", "-f", "1", "-l", "1", "-x",
         str(round(x1 * dpi / 72)), "-y", str(round((A4[1] - y2) * dpi / 72)),
         "-W", str(8 * modules), "-H", str(8 * modules), str(path)],
        capture_output=True, check=True)
    image = np.array(Image.open(io.BytesIO(png.stdout)).convert("L"))
    read = [[bool(image[8 * (r + 2) + 4, 8 * (c + 2) + 4] < 128) for c in range(len(expected))]
            for r in range(len(expected))]
    assert read == [[bool(v) for v in row] for row in expected]


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_each_pades_level_is_reached(pki, trusted, nss_db, unsigned_pdf, tmp_path, level):
    """GIVEN the test TSA and OCSP responder
    WHEN a result is signed at B-T, B-LT or B-LTA
    THEN validation reports that level, a proven timestamp time, TOTAL_PASSED; later revisions
    hold only validation data (LTA_UPDATES); pdfsig finds the signature itself valid"""
    signed = sign_with(pki, "official", unsigned_pdf, official_spec(level=level, tsa_url=pki.tsa_url))
    report = validate_pdf(signed, trusted)
    result = report.signatures[0]
    assert result.indication == "TOTAL_PASSED", result.messages
    assert result.pades_level == level
    assert result.timestamp_time is not None
    assert result.claimed_signing_time <= result.timestamp_time
    if level == "B-T":
        assert result.covers_whole_document
    else:
        assert result.modifications_after_signing == "LTA_UPDATES"
    if level == "B-LTA":
        assert [s.kind for s in report.signatures] == ["signature", "document_timestamp"]
        assert report.signatures[1].indication == "TOTAL_PASSED"
    assert pdfsig(signed, nss_db, tmp_path)[0].signature_valid


def test_b_lt_validates_offline_after_the_ocsp_responder_stops(pki, unsigned_pdf):
    """GIVEN a B-LT signature (chain and OCSP response embedded in the DSS)
    WHEN the PKI's OCSP responder, CRLs and TSA are all stopped and it is validated offline
    THEN it is still TOTAL_PASSED at B-LT, while a B-B signature without embedded revocation data
    cannot be checked for revocation when fetching is on and the responder is down"""
    long_term = sign_with(pki, "official", unsigned_pdf, official_spec(level="B-LT", tsa_url=pki.tsa_url))
    basic = sign_with(pki, "official", unsigned_pdf, official_spec())
    offline = ValidationSettings.from_file(pki.root_pem, allow_fetching=False)
    online = ValidationSettings.from_file(pki.root_pem, allow_fetching=True)
    with pki.stopped():
        result = validate_pdf(long_term, offline).signatures[0]
        unreachable = validate_pdf(basic, online).signatures[0]
    assert (result.indication, result.pades_level) == ("TOTAL_PASSED", "B-LT"), result.messages
    assert unreachable.indication == "INDETERMINATE"


@pytest.mark.parametrize(
    ("label", "indication", "sub_indication", "pdfsig_certificate"),
    [
        ("expired", "INDETERMINATE", "OUT_OF_BOUNDS_NO_POE", "Certificate has Expired"),
        ("revoked", "INDETERMINATE", "REVOKED_NO_POE", None),
        ("stranger", "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND",
         "Certificate issuer isn't Trusted."),
        ("wrong-usage", "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE", None),
    ],
)
def test_certificate_problems_get_their_indication(pki, trusted, nss_db, unsigned_pdf, tmp_path,
                                                   label, indication, sub_indication,
                                                   pdfsig_certificate):
    """GIVEN PDFs signed elsewhere with an expired, a revoked, an untrusted and a wrong-usage
    certificate
    WHEN validated with the test root trusted and revocation fetched from the test OCSP
    THEN each is INDETERMINATE with DSS's sub-indication, while the signed bytes are intact —
    and pdfsig agrees the signature is untampered (and, where it reports it, why the
    certificate fails)"""
    signed = signed_elsewhere(pki, label, unsigned_pdf)
    result = validate_pdf(signed, trusted).signatures[0]
    assert (result.indication, result.sub_indication) == (indication, sub_indication), result.messages
    assert result.intact and result.cryptographically_valid and not result.trusted
    [verdict] = pdfsig(signed, nss_db, tmp_path)
    assert verdict.untampered == ours_untampered(result) is True
    if pdfsig_certificate:
        assert verdict.certificate == pdfsig_certificate


def test_one_byte_changed_after_signing_is_total_failed(pki, trusted, nss_db, unsigned_pdf, tmp_path):
    """GIVEN a signed result
    WHEN one byte inside the signed range is changed
    THEN it is TOTAL_FAILED / HASH_FAILURE, and pdfsig also finds the signature invalid"""
    signed = bytearray(sign_with(pki, "official", unsigned_pdf, official_spec()))
    position = signed.index(b"Giay phep") if b"Giay phep" in signed else 2000
    signed[position] ^= 0x01
    tampered = bytes(signed)
    result = validate_pdf(tampered, trusted).signatures[0]
    assert (result.indication, result.sub_indication) == ("TOTAL_FAILED", "HASH_FAILURE")
    [verdict] = pdfsig(tampered, nss_db, tmp_path)
    assert verdict.untampered == ours_untampered(result) is False
    assert not verdict.signature_valid


def test_an_incremental_edit_after_signing_is_total_failed(pki, trusted, nss_db, unsigned_pdf, tmp_path):
    """GIVEN a signed result
    WHEN someone appends an incremental update that draws over page 1
    THEN the signature stays intact over its revision but is TOTAL_FAILED / FORMAT_FAILURE with
    modifications OTHER, and pdfsig says the document is not wholly signed"""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = sign_with(pki, "official", unsigned_pdf, official_spec())
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    scribble = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 400 300 40 re f\n"))
    writer.add_stream_to_page(0, scribble)
    edited = io.BytesIO()
    writer.write(edited)
    result = validate_pdf(edited.getvalue(), trusted).signatures[0]
    assert result.intact and result.cryptographically_valid
    assert (result.indication, result.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert result.modifications_after_signing == "OTHER"
    [verdict] = pdfsig(edited.getvalue(), nss_db, tmp_path)
    assert verdict.untampered == ours_untampered(result) is False
    assert verdict.signature_valid and not verdict.whole_document


def test_digitised_sao_y_copy_has_digitiser_and_agency_marks(pki, trusted, unsigned_pdf, tmp_path):
    """GIVEN a digitised paper
    WHEN the digitiser signs it (B-T) and then the copying body signs it as a SAO Y copy,
    certifying it final
    THEN page 1 shows the digitiser's name and time top left and one line "SAO Y, body, time"
    top right with no border or image; both signatures are TOTAL_PASSED; the final file refuses
    another signature, and a QR code cannot be added once a file is signed"""
    with open_signer(str(pki.pkcs12("digitiser")), PASSPHRASE) as signer:
        digitised = sign_pdf(unsigned_pdf, SignSpec(kind="digitiser", level="B-T", tsa_url=pki.tsa_url),
                             signer)
    with open_signer(str(pki.pkcs12("agency")), PASSPHRASE) as signer:
        copy = sign_pdf(digitised, SignSpec(kind="agency", copy_type="SAO Y",
                                            agency="UBND phường Bến Nghé", certify=True), signer)
    report = validate_pdf(copy, trusted)
    assert [s.field_name for s in report.signatures] == ["digitiser-1", "agency-1"]
    assert all(s.indication == "TOTAL_PASSED" for s in report.signatures), report
    assert report.signatures[0].modifications_after_signing == "FORM_FILLING"

    text = stamp_text(copy, tmp_path)
    assert "Người số hóa: Trần Văn Số" in text
    agency_time = report.signatures[1].claimed_signing_time.astimezone(OFFICE_TZ)
    assert f"SAO Y, UBND phường Bến Nghé, {agency_time.isoformat(timespec='seconds')}" in text

    before, after = render_page(unsigned_pdf, 1, tmp_path), render_page(copy, 1, tmp_path)
    for box in (digitiser_box(*A4), copy_box(*A4)):
        assert ink_in(before, box) == 0 and ink_in(after, box) > 30
    with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
        with pytest.raises(SigningFailed, match="final"):
            sign_pdf(copy, official_spec(qr=None), signer)
        with pytest.raises(SigningFailed, match="QR code"):
            sign_pdf(digitised, official_spec(), signer)


def test_certifying_first_signature_forbids_later_changes(pki, trusted, unsigned_pdf, tmp_path):
    """GIVEN an agency's certifying signature (DocMDP: no changes) on a result
    WHEN validated and then signed again
    THEN it is reported as certified and TOTAL_PASSED with its mark top right of page 1, and a
    further signature is refused"""
    certified = sign_with(pki, "agency", unsigned_pdf,
                          SignSpec(kind="agency", agency="UBND quận 1", certify=True))
    result = validate_pdf(certified, trusted).signatures[0]
    assert result.certified and result.indication == "TOTAL_PASSED"
    assert ink_in(render_page(certified, 1, tmp_path), agency_box(*A4)) > 30
    with pytest.raises(SigningFailed):
        sign_with(pki, "official", certified, official_spec(qr=None))


# --- keys ----------------------------------------------------------------------------------------


def test_wrong_passphrase_or_missing_key_is_key_unavailable(pki, tmp_path):
    """GIVEN a PKCS#12 key
    WHEN it is opened with the wrong passphrase, or a key file that does not exist
    THEN KeyUnavailable (exit code 2) says so, without a traceback"""
    with pytest.raises(KeyUnavailable, match="wrong passphrase"):
        with open_signer(str(pki.pkcs12("official")), "not-the-passphrase"):
            pass
    with pytest.raises(KeyUnavailable, match="cannot read"):
        with open_signer(str(tmp_path / "missing.p12"), PASSPHRASE):
            pass


@pytest.fixture(scope="session")
def softhsm_token(pki, tmp_path_factory):
    reason = softhsm.available()
    if reason:
        pytest.skip(reason)
    token = softhsm.create_token(tmp_path_factory.mktemp("softhsm"))
    softhsm.import_key_and_cert(token, "official", pki.key_pem("official"),
                                pki.cert("official").dump(), b"\x01")
    # The token also holds the issuing CA, as USB tokens from public CAs do.
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    interm = pki.cert("interm")
    with pkcs11.lib(softhsm.MODULE).get_token(token_label=token.label).open(
            rw=True, user_pin=token.pin) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: "issuing-ca", Attribute.ID: b"\x02",
            Attribute.SUBJECT: interm.subject.dump(), Attribute.VALUE: interm.dump(),
        })
    return token


def test_pkcs11_token_signs_a_batch_with_one_login(pki, trusted, nss_db, softhsm_token, tmp_path):
    """GIVEN the official's key and certificate on a SoftHSM2 token
    WHEN two results are signed (B-T) and a digitised copy at B-LTA inside one open_signer
    block, and a wrong PIN is tried
    THEN every signature is TOTAL_PASSED by the token's certificate at its level and pdfsig finds
    them valid; the wrong PIN is KeyUnavailable"""
    uri = softhsm_token.uri("official")
    documents = [page_pdf(seed=1), page_pdf(pages=2, seed=2)]
    with open_signer(uri, softhsm_token.pin) as signer:
        signed = [sign_pdf(pdf, official_spec(level="B-T", tsa_url=pki.tsa_url), signer)
                  for pdf in documents]
        archived = sign_pdf(page_pdf(seed=3), SignSpec(kind="digitiser", level="B-LTA",
                                                       tsa_url=pki.tsa_url),
                            signer, trust_roots=[pki.cert("root")])
    [long_term] = [s for s in validate_pdf(archived, trusted).signatures if s.kind == "signature"]
    assert (long_term.indication, long_term.pades_level) == ("TOTAL_PASSED", "B-LTA")
    # the DSS and the document timestamp follow the signature, so it no longer ends the file
    assert pdfsig(archived, nss_db, tmp_path)[0].signature_valid
    for pdf in signed:
        result = validate_pdf(pdf, trusted).signatures[0]
        assert (result.indication, result.signer_common_name) == ("TOTAL_PASSED", OFFICIAL_NAME)
        assert result.pades_level == "B-T"
        assert pdfsig(pdf, nss_db, tmp_path)[0].untampered
    # The official stamp goes on the last page of a two-page result.
    assert ink_in(render_page(signed[1], 2, tmp_path), official_box(*A4)) > 50
    with pytest.raises(KeyUnavailable):
        with open_signer(uri, "000000"):
            pass


# --- validation is safe on anything ----------------------------------------------------------------


def test_validation_of_unsigned_or_damaged_files_never_raises(unsigned_pdf):
    """GIVEN an unsigned PDF, a truncated signed-looking PDF and random bytes
    WHEN validated (as ingest does for every PDF)
    THEN an unsigned PDF gives an empty report, a damaged one a report with an error, and the
    bytes passed in are not changed"""
    empty = validate_pdf(unsigned_pdf, ValidationSettings())
    assert empty.signatures == [] and empty.error is None and not empty.all_passed
    assert empty.sha256 == sha256_hex(unsigned_pdf)
    broken = unsigned_pdf[:500] + b"/ByteRange [0 10 20 30]" + unsigned_pdf[500:900]
    damaged = validate_pdf(broken, ValidationSettings())
    assert damaged.error is not None and not damaged.all_passed
    assert validate_pdf(b"\x00" * 100, ValidationSettings()).signatures == []


# --- stored documents, index and CLI ---------------------------------------------------------------


def store_document(home: Path, pdf: bytes) -> tuple[Index, object, str]:
    """An indexed document whose searchable PDF is `pdf` (as ingest leaves it)."""
    index = Index(f"sqlite:///{home / 'index.sqlite3'}")
    store = open_store((home / "objects").as_uri())
    row = make_row(7, searchable_sha256=sha256_hex(pdf), dossier_code="000.00.24.H29-240515-0001",
                   procedure_code="1.009972", title="Giấy phép xây dựng")
    store.put_immutable(original_key(row.sha256), pdf)
    store.put(row.searchable_key, pdf)
    store.put(row.ocr_key, b"{}")
    index.add(row)
    return index, store, row.id


def test_stored_document_is_signed_into_new_versions_and_indexed(pki, trusted, unsigned_pdf, tmp_path):
    """GIVEN an indexed document
    WHEN the official signs it (with QR) and then the agency adds its final signature
    THEN versions 2 and 3 are written once under documents/<id>/v<n>/signed.pdf, the current
    searchable PDF is the latest signed one, the index records every signature of each version
    and the document's signature status is "signed"; a stored copy with a broken signature
    is "invalid\""""
    index, store, document_id = store_document(tmp_path / "home", unsigned_pdf)
    assert index.signature_status(document_id) == "unsigned"
    with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
        first = sign_stored_document(index, store, document_id, official_spec(), signer,
                                     validation=trusted)
    with open_signer(str(pki.pkcs12("agency")), PASSPHRASE) as signer:
        second = sign_stored_document(index, store, document_id,
                                      SignSpec(kind="agency", agency="UBND quận 1", certify=True),
                                      signer, validation=trusted)
    assert (first.version, second.version) == (2, 3)
    assert second.key == document_key(document_id, 3, "signed.pdf")
    assert store.stat(second.key).immutable
    assert index.get(document_id).searchable_key == second.key
    assert store.get(second.key).startswith(store.get(first.key))
    assert [(s.version, s.field_name, s.indication) for s in index.signatures(document_id)] == [
        (2, "official-1", "TOTAL_PASSED"),
        (3, "official-1", "TOTAL_PASSED"),
        (3, "agency-1", "TOTAL_PASSED"),
    ]
    assert index.signature_status(document_id) == second.status == "signed"

    tampered = bytearray(store.get(second.key))
    tampered[3000] ^= 0x01
    record_validation(index, document_id, 3, validate_pdf(bytes(tampered), trusted))
    assert index.signature_status(document_id) == "invalid"


@pytest.mark.postgres
def test_signatures_are_recorded_on_postgresql(unsigned_pdf, pki, trusted):
    """GIVEN the PostgreSQL index migrated to head (0004 adds `signatures`)
    WHEN a validation report is recorded for a document version
    THEN it reads back with its indication, signer, time and level"""
    url = create_database("sohoa_sign")
    try:
        from pipeline.stores.index import upgrade

        upgrade(url)
        index = Index(url)
        row = make_row(3)
        index.add(row)
        report = validate_pdf(sign_with(pki, "official", unsigned_pdf, official_spec()), trusted)
        record_validation(index, row.id, 1, report)
        [record] = index.signatures(row.id)
        assert (record.indication, record.level) == ("TOTAL_PASSED", "B-B")
        assert record.signer and OFFICIAL_NAME in record.signer
        assert record.signed_at == report.signatures[0].claimed_signing_time
        assert index.signature_status(row.id) == "signed"
        assert index.signed_versions() == [(row.id, 1)]
        index.close()
    finally:
        drop_database(url)


def test_cli_signs_files_and_ids_and_verify_exit_codes(pki, unsigned_pdf, tmp_path):
    """GIVEN the sohoa command line, a PDF file and a stored document
    WHEN `sohoa sign FILE -o OUT` and `sohoa sign ID` run with the passphrase from the
    environment, then `sohoa verify-signature` runs on the results and on a tampered copy
    THEN signing succeeds, verification prints the JSON report and exits 0 for the signed files
    and 6 for the tampered and the unsigned ones"""
    home = tmp_path / "home"
    _, _, document_id = store_document(home, unsigned_pdf)
    source = tmp_path / "result.pdf"
    source.write_bytes(unsigned_pdf)
    env = cli_env(home, SOHOA_KEY_PASSPHRASE=PASSPHRASE, SOHOA_TRUST_ROOTS=str(pki.root_pem))
    key = str(pki.pkcs12("official"))
    out = tmp_path / "signed.pdf"
    done = run_cli(env, "sign", source, "--as", "official", "--key", key, "--position", "Chủ tịch",
                   "--agency", "UBND quận 1", "--qr", "--dossier", "HS-1", "--procedure", "1.0",
                   "--document-name", "Giấy phép", "--level", "B-T", "--tsa", pki.tsa_url, "-o", out)
    assert done.returncode == 0, done.stderr
    done = run_cli(env, "sign", document_id, "--as", "official", "--key", key,
                   "--agency", "UBND quận 1", "--position", "Chủ tịch")
    assert done.returncode == 0, done.stderr
    assert "version 2" in done.stderr and "signed" in done.stderr

    import json

    verified = run_cli(env, "verify-signature", out, "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["signatures"][0]["pades_level"] == "B-T"
    assert run_cli(env, "verify-signature", document_id).returncode == 0

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(out.read_bytes())
    data[2500] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert run_cli(env, "verify-signature", tampered).returncode == 6
    assert run_cli(env, "verify-signature", source).returncode == 6


def test_a_pdf_arriving_signed_is_validated_at_ingest_and_never_altered(pki, unsigned_pdf, tmp_path,
                                                                         classifier):
    """GIVEN an issued result signed by the official (trusted root) and a copy of it with one
    byte changed
    WHEN both are ingested with the test root configured
    THEN both are stored byte-identical; the first's signature is recorded TOTAL_PASSED (status
    signed), the second's TOTAL_FAILED (status invalid)."""
    from pipeline.stages.ingest import InputFile
    from pipeline.core.run import Ingestor, PipelineSettings

    signed = sign_with(pki, "official", unsigned_pdf, official_spec())
    tampered = bytearray(signed)
    tampered[len(unsigned_pdf) // 2] ^= 0x01
    (tmp_path / "good.pdf").write_bytes(signed)
    (tmp_path / "bad.pdf").write_bytes(bytes(tampered))
    home = tmp_path / "home"
    ingestor = Ingestor(open_store((home / "objects").as_uri()), Index(f"sqlite:///{home / 'i.db'}"),
                        PipelineSettings(signature_trust_roots=pki.root_pem, signature_fetching=True),
                        quarantine_dir=home / "quarantine", classifier=classifier)
    lines = {Path(line.source).name: line for line in ingestor.ingest(
        [InputFile(tmp_path / "good.pdf"), InputFile(tmp_path / "bad.pdf")])}
    assert {name: line.input_kind for name, line in lines.items()} == {
        "good.pdf": "signed_pdf", "bad.pdf": "signed_pdf"}
    good, bad = lines["good.pdf"].document_id, lines["bad.pdf"].document_id
    assert ingestor.store.get(ingestor.index.get(good).searchable_key) == signed
    assert ingestor.store.get(ingestor.index.get(bad).original_key) == bytes(tampered)
    assert [s.indication for s in ingestor.index.signatures(good)] == ["TOTAL_PASSED"]
    assert ingestor.index.signature_status(good) == "signed"
    assert [s.indication for s in ingestor.index.signatures(bad)] == ["TOTAL_FAILED"]
    assert ingestor.index.signature_status(bad) == "invalid"


# --- certificates that may not sign ------------------------------------------------------------------


def validity_of(pki: TestPki, label: str) -> tuple[str, str, str]:
    """(common name, first day, last day) of a test certificate, as people read them."""
    cert = pki.cert(label)
    validity = cert["tbs_certificate"]["validity"]
    return (cert.subject.native["common_name"], validity["not_before"].native.date().isoformat(),
            validity["not_after"].native.date().isoformat())


@pytest.mark.parametrize(("label", "code", "problem"), [
    ("expired", "certificate_expired", "expired"),
    ("not-yet-valid", "certificate_not_yet_valid", "not valid yet"),
    ("wrong-usage", "certificate_key_usage", "key usage"),
])
def test_signing_with_an_unusable_certificate_is_refused(pki, unsigned_pdf, tmp_path, label, code,
                                                         problem):
    """GIVEN a stored document, a PDF file, and a key whose certificate has expired, is not valid
    yet, or may not make signatures (key usage without digital signature or non-repudiation)
    WHEN `sohoa sign` is asked to sign each with it
    THEN it refuses with exit 2 and a message saying what is wrong, with the certificate's common
    name and validity dates, and no traceback; no version is added and no file written; the
    stage itself raises the error with its stable code"""
    home = tmp_path / "home"
    index, _, document_id = store_document(home, unsigned_pdf)
    source = tmp_path / "result.pdf"
    source.write_bytes(unsigned_pdf)
    env = cli_env(home, SOHOA_KEY_PASSPHRASE=PASSPHRASE)
    common_name, first_day, last_day = validity_of(pki, label)
    for target in (document_id, source):
        done = run_cli(env, "sign", target, "--as", "digitiser", "--key", pki.pkcs12(label))
        message = " ".join(done.stderr.split())
        assert done.returncode == 2, done.stderr
        assert problem in message and common_name in message, message
        assert first_day in message and last_day in message, message
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "result.signed.pdf").exists()
    assert index.get(document_id).version == 1
    assert index.signature_status(document_id) == "unsigned"
    from pipeline.stages.sign import CertificateNotUsable

    with open_signer(str(pki.pkcs12(label)), PASSPHRASE) as signer:
        with pytest.raises(CertificateNotUsable) as refused:
            sign_pdf(unsigned_pdf, SignSpec(kind="digitiser"), signer)
    assert (refused.value.code, refused.value.exit_code) == (code, 2)


def test_the_api_refuses_to_sign_with_an_expired_certificate(pki, unsigned_pdf, tmp_path):
    """GIVEN `sohoa serve` on loopback whose signing key (SOHOA_SIGN_KEY) has an expired
    certificate, and a stored document
    WHEN a client with documents:sign asks to sign the document
    THEN the answer is 422 problem+json with code certificate_expired and a detail naming the
    certificate and its validity; the document keeps version 1, unsigned"""
    import httpx
    from sohoa_serve import Server

    home = tmp_path / "home"
    index, _, document_id = store_document(home, unsigned_pdf)
    server = Server(home)
    server.env |= {"SOHOA_SIGN_KEY": str(pki.pkcs12("expired")), "SOHOA_KEY_PASSPHRASE": PASSPHRASE}
    key = server.key("mot-cua", "documents:sign")
    server.start()
    try:
        answer = httpx.post(f"{server.url}/v1/documents/{document_id}/sign",
                            json={"kind": "digitiser"}, headers={"X-API-Key": key}, timeout=60)
    finally:
        log = server.stop()
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    common_name, _, last_day = validity_of(pki, "expired")
    assert problem["code"] == "certificate_expired"
    assert common_name in problem["detail"] and last_day in problem["detail"], problem
    assert index.get(document_id).version == 1
    assert index.signature_status(document_id) == "unsigned"
    assert "Traceback" not in log


# --- structural traps in signed PDFs ------------------------------------------------------------------


def embed_signature(pdf: bytes, signer, *, certify_with_indirect_references: bool = False,
                    uncovered_tail: int = 0, encapsulated: bytes | None = None) -> bytes:
    """Sign `pdf` through pyHanko's low-level embedder, the way other software shapes signatures:
    a certification whose /Reference array and reference dictionaries are indirect objects, a
    /ByteRange that stops `uncovered_tail` bytes before the end of the file (the digest taken
    over that shortened range, so the signature itself verifies), or a CMS that encapsulates
    content instead of being detached."""
    import asyncio
    import hashlib
    import re

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers import cms_embedder
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    class IndirectReferences(cms_embedder.SigMDPSetup):
        def apply(self, sig_obj_ref, writer):
            super().apply(sig_obj_ref, writer)
            signature = sig_obj_ref.get_object()
            references = signature["/Reference"]
            for position in range(len(references)):
                reference = references[position]
                reference["/TransformParams"] = writer.add_object(reference["/TransformParams"])
                references[position] = writer.add_object(reference)
            signature["/Reference"] = writer.add_object(references)

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    embedder = cms_embedder.PdfCMSEmbedder().write_cms(field_name="Signature1", writer=writer)
    next(embedder)
    mdp = IndirectReferences(md_algorithm=DIGEST_NAME, certify=True,
                             docmdp_perms=fields.MDPPerm.NO_CHANGES) \
        if certify_with_indirect_references else None
    embedder.send(cms_embedder.SigObjSetup(
        sig_placeholder=signers.SignatureObject(bytes_reserved=16_384,
                                                subfilter=fields.SigSeedSubFilter.PADES),
        mdp_setup=mdp))
    prepared, output = embedder.send(cms_embedder.SigIOSetup(md_algorithm=DIGEST_NAME))
    digest = prepared.document_digest
    if uncovered_tail:
        data = bytearray(output.getvalue())
        found = re.search(rb"/ByteRange\s*\[0 (\d+) (\d+) (\d+)\]", bytes(data))
        first, second_start, second_length = map(int, found.groups())
        shortened = b"/ByteRange [0 %d %d %d]" % (first, second_start, second_length - uncovered_tail)
        data[found.start():found.end()] = shortened.ljust(found.end() - found.start())
        end = second_start + second_length - uncovered_tail
        digest = hashlib.sha256(bytes(data[:first]) + bytes(data[second_start:end])).digest()
        output.seek(0)
        output.write(bytes(data))
    cms = asyncio.run(signer.async_sign(
        digest, DIGEST_NAME, use_pades=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(UTC)),
        encap_content_info={"content_type": "data", "content": encapsulated}
        if encapsulated is not None else None))
    embedder.send(cms)
    return output.getvalue()


DIGEST_NAME = "sha256"


def test_certification_with_indirect_reference_dictionaries_is_recognised(
        pki, trusted, nss_db, unsigned_pdf, tmp_path, classifier):
    """GIVEN a PDF certified by the agency (DocMDP, no changes) whose signature's /Reference
    array and each signature reference dictionary are indirect objects
    WHEN it is validated, checked with pdfsig and ingested
    THEN it is a certified, TOTAL_PASSED signature (pdfsig also finds it valid), and ingest
    stores it byte-identical with the status signed — not unsigned"""
    from pipeline.core.run import Ingestor, PipelineSettings
    from pipeline.stages.ingest import InputFile

    with open_signer(str(pki.pkcs12("agency")), PASSPHRASE) as signer:
        certified = embed_signature(unsigned_pdf, signer, certify_with_indirect_references=True)
    assert b"/Reference" in certified and b"/Reference [" not in certified
    report = validate_pdf(certified, trusted)
    assert report.error is None, report.error
    [result] = report.signatures
    assert result.certified and result.indication == "TOTAL_PASSED", result.messages
    [verdict] = pdfsig(certified, nss_db, tmp_path)
    assert verdict.untampered

    (tmp_path / "certified.pdf").write_bytes(certified)
    home = tmp_path / "home"
    ingestor = Ingestor(open_store((home / "objects").as_uri()), Index(f"sqlite:///{home / 'i.db'}"),
                        PipelineSettings(signature_trust_roots=pki.root_pem, signature_fetching=True),
                        quarantine_dir=home / "quarantine", classifier=classifier)
    [line] = ingestor.ingest([InputFile(tmp_path / "certified.pdf")])
    assert line.input_kind == "signed_pdf", line
    assert ingestor.store.get(ingestor.index.get(line.document_id).original_key) == certified
    assert ingestor.index.signature_status(line.document_id) == "signed"


def test_signature_fields_are_found_through_references_past_junk():
    """GIVEN PDFs made with pikepdf whose form lists its fields through an indirect array and an
    indirect /Kids array (the filled signature field and its value indirect too), next to
    entries that are not fields (a number, a name), and a form whose fields loop back on
    themselves
    WHEN ingest asks whether each is signed
    THEN the one with a filled signature field is signed, the looping one is not, and neither
    raises"""
    from pipeline.stages.ingest import is_signed_pdf

    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        value = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Sig))
        field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, V=value))
        parent = pdf.make_indirect(pikepdf.Dictionary(Kids=pdf.make_indirect(pikepdf.Array([field]))))
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=pdf.make_indirect(
            pikepdf.Array([parent, 3, pikepdf.Name.Junk]))))
        assert is_signed_pdf(pdf)

        first = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Tx, Kids=7))
        second = pdf.make_indirect(pikepdf.Dictionary(Kids=pikepdf.Array([first])))
        first.Kids = pikepdf.Array([second, 5])
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([first]))
        assert not is_signed_pdf(pdf)
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=7)
        assert not is_signed_pdf(pdf)


def corrupt_cms(signed: bytes) -> bytes:
    """`signed` with its CMS's first DER tag made primitive: /Contents no longer parses."""
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    assert signed[start:start + 2] == b"30"
    return signed[:start] + b"04" + signed[start + 2:]


def test_a_signature_whose_cms_cannot_be_read_or_encapsulates_content_is_invalid(
        pki, trusted, unsigned_pdf, tmp_path):
    """GIVEN a signed PDF whose /Contents is not a readable CMS, and one whose CMS encapsulates
    content instead of being detached
    WHEN each is validated and the validation recorded for a stored document
    THEN each signature is TOTAL_FAILED / FORMAT_FAILURE with a reason a person can read, and
    the document's signature status is invalid — not unsigned"""
    signed = sign_with(pki, "official", unsigned_pdf, SignSpec(kind="digitiser"))
    with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
        encapsulating = embed_signature(unsigned_pdf, signer, encapsulated=b"Giay phep xay dung")
    index, _, document_id = store_document(tmp_path / "home", unsigned_pdf)
    for pdf, reason in ((corrupt_cms(signed), "cannot be read"), (encapsulating, "encapsulates")):
        report = validate_pdf(pdf, trusted)
        assert report.error is None, report.error
        [result] = report.signatures
        assert (result.indication, result.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE")
        assert any(reason in m for m in result.messages), result.messages
        assert all(readable_by_a_person(m) for m in result.messages), result.messages
        record_validation(index, document_id, 1, report)
        assert index.signature_status(document_id) == "invalid"


def test_a_pdf_that_cannot_be_examined_is_recorded_invalid_not_unsigned(unsigned_pdf, tmp_path):
    """GIVEN a stored PDF that looks signed but whose structure cannot be read
    WHEN its validation is recorded
    THEN the report says so in words (no exception text), and the status is invalid"""
    index, _, document_id = store_document(tmp_path / "home", unsigned_pdf)
    report = validate_pdf(unsigned_pdf[:500] + b"/ByteRange [0 10 20 30]" + unsigned_pdf[500:900],
                          ValidationSettings())
    assert report.error is not None and readable_by_a_person(report.error), report.error
    record_validation(index, document_id, 1, report)
    assert index.signature_status(document_id) == "invalid"


def test_coverage_and_self_signed_findings_say_what_is_wrong(pki, trusted, unsigned_pdf):
    """GIVEN a signature whose byte range stops 20 bytes before the end of the file (the
    signature itself verifies), and a signature by a self-signed certificate
    WHEN each is validated with the test root trusted
    THEN the first is TOTAL_FAILED saying the signature does not cover the whole file, not that
    the document was modified; the second is INDETERMINATE saying the certificate is
    self-signed and not trusted, not that the chain breaks a constraint"""
    with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
        short = embed_signature(unsigned_pdf, signer, uncovered_tail=20)
    [result] = validate_pdf(short, trusted).signatures
    assert result.intact and result.cryptographically_valid
    assert result.indication == "TOTAL_FAILED" and not result.covers_whole_document
    assert any("does not cover the whole file" in m for m in result.messages), result.messages
    assert not any("modified" in m for m in result.messages), result.messages

    self_signed = sign_with(pki, "self-signed", unsigned_pdf, SignSpec(kind="digitiser"))
    [result] = validate_pdf(self_signed, trusted).signatures
    assert result.indication == "INDETERMINATE"
    assert any("self-signed" in m and "not trusted" in m for m in result.messages), result.messages
    assert not any("constraint" in m for m in result.messages), result.messages


def test_an_untrusted_signature_is_one_log_line_not_a_traceback(pki, unsigned_pdf, tmp_path):
    """GIVEN a PDF signed by a certificate nobody here trusts
    WHEN `sohoa verify-signature` checks it quietly, with -v and with -vv
    THEN quietly and with -v no traceback reaches the person; -v logs one line naming the field
    and why it is not trusted; -vv keeps pyHanko's detail"""
    path = tmp_path / "stranger.pdf"
    path.write_bytes(sign_with(pki, "stranger", unsigned_pdf, SignSpec(kind="digitiser")))
    env = cli_env(tmp_path / "home", SOHOA_TRUST_ROOTS=str(pki.root_pem))
    quiet = run_cli(env, "verify-signature", path)
    assert quiet.returncode == 6 and "NO_CERTIFICATE_CHAIN_FOUND" in quiet.stdout
    assert "Traceback" not in quiet.stderr and "PathBuildingError" not in quiet.stderr, quiet.stderr
    verbose = run_cli(env, "-v", "verify-signature", path)
    assert "Traceback" not in verbose.stderr and "PathBuildingError" not in verbose.stderr
    lines = [line for line in verbose.stderr.splitlines() if "digitiser-1" in line]
    assert len(lines) == 1 and "no chain to a configured trust root" in lines[0], verbose.stderr
    detailed = run_cli(env, "-vv", "verify-signature", path)
    assert "PathBuildingError" in detailed.stderr


# --- stored statuses follow the trust roots ------------------------------------------------------------


def test_stored_signature_statuses_are_revalidated_when_trust_changes(pki, unsigned_pdf, tmp_path):
    """GIVEN two PDFs that arrived signed — by the official and by a stranger — ingested while no
    trust roots were configured, so both are stored indeterminate
    WHEN the test root is configured and `sohoa verify-signature --all` runs, then with --update,
    then --update again trusting the stranger's root as well
    THEN --all shows the official's version would become signed and records nothing; --update
    records it (`sohoa show` says signed), prints the change, keeps the stranger's indeterminate
    and exits 6; each recorded row keeps the fingerprint of the roots it was validated under, and
    the index remembers it as the roots its statuses follow;
    trusting both roots makes every version signed and exits 0"""
    import hashlib
    import json

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "official.pdf").write_bytes(sign_with(pki, "official", unsigned_pdf, official_spec()))
    (inbox / "stranger.pdf").write_bytes(sign_with(pki, "stranger", page_pdf(seed=5),
                                                   SignSpec(kind="digitiser")))
    home = tmp_path / "home"
    untrusting = cli_env(home)
    ingested = run_cli(untrusting, "ingest", inbox, "--report", tmp_path / "report.jsonl")
    assert ingested.returncode == 0, ingested.stderr
    ids = {Path(line["source"]).name: line["document_id"]
           for line in map(json.loads, (tmp_path / "report.jsonl").read_text().splitlines())}

    def status(name: str) -> str:
        """The recorded status, read from the index (what `sohoa show` prints, checked below)."""
        index = Index(f"sqlite:///{home / 'index.sqlite3'}")
        try:
            return index.signature_status(ids[name])
        finally:
            index.close()

    assert status("official.pdf") == status("stranger.pdf") == "indeterminate"

    trusting = cli_env(home, SOHOA_TRUST_ROOTS=str(pki.root_pem))
    preview = run_cli(trusting, "verify-signature", "--all")
    assert preview.returncode == 6, preview.stdout + preview.stderr
    assert f"{ids['official.pdf']} v1: indeterminate → signed" in preview.stdout, preview.stdout
    assert status("official.pdf") == "indeterminate"

    updated = run_cli(trusting, "verify-signature", "--all", "--update")
    assert updated.returncode == 6, updated.stdout + updated.stderr
    assert f"{ids['official.pdf']} v1: indeterminate → signed" in updated.stdout
    assert ids["stranger.pdf"] not in updated.stdout  # unchanged
    assert status("official.pdf") == "signed" and status("stranger.pdf") == "indeterminate"
    shown = run_cli(untrusting, "show", ids["official.pdf"], "--json")
    assert json.loads(shown.stdout)["signature_status"] == "signed", shown.stderr
    fingerprint = hashlib.sha256(pki.cert("root").dump()).hexdigest()
    index = Index(f"sqlite:///{home / 'index.sqlite3'}")
    for record in index.signatures(ids["official.pdf"]) + index.signatures(ids["stranger.pdf"]):
        assert record.report["trust_roots_sha256"] == fingerprint
    # the index now remembers these roots: a server started with them validates nothing again
    from pipeline.stores.index.trust import TrustRecords

    assert TrustRecords(index).state().trust_roots_sha256 == fingerprint

    both = tmp_path / "both-roots.pem"
    both.write_bytes(pki.pem("root") + pki.pem("stranger-root"))
    everyone = run_cli(untrusting, "verify-signature", "--all", "--update", "--trust", both)
    assert everyone.returncode == 0, everyone.stdout + everyone.stderr
    assert f"{ids['stranger.pdf']} v1: indeterminate → signed" in everyone.stdout
    assert status("stranger.pdf") == "signed"


def test_a_signed_arrival_recorded_without_signatures_is_found_and_revalidated(pki, trusted, unsigned_pdf,
                                                                               tmp_path):
    """GIVEN a document that arrived signed but has no signature recorded (as ingest left the
    certified PDFs with indirect references before they could be read)
    WHEN every stored signed version is validated again, first without recording, then with
    THEN it is found; the preview reports unsigned → signed and records nothing; the update
    records its signature with the roots' fingerprint, and the status is signed"""

    from pipeline.core.signed_versions import revalidate_stored_signatures

    signed = sign_with(pki, "official", unsigned_pdf, official_spec())
    home = tmp_path / "home"
    index = Index(f"sqlite:///{home / 'index.sqlite3'}")
    store = open_store((home / "objects").as_uri())
    row = make_row(11, input_kind="signed_pdf", sha256=sha256_hex(signed),
                   searchable_sha256=sha256_hex(signed))
    store.put_immutable(row.original_key, signed)
    store.put(row.searchable_key, signed)
    index.add(row)
    assert index.signature_status(row.id) == "unsigned"

    [preview] = revalidate_stored_signatures(index, store, trusted, update=False)
    assert (preview.document_id, preview.version, preview.before, preview.after) == (
        row.id, 1, "unsigned", "signed")
    assert index.signatures(row.id) == []
    [done] = revalidate_stored_signatures(index, store, trusted, update=True)
    assert done.changed and index.signature_status(row.id) == "signed"
    [record] = index.signatures(row.id)
    assert record.report["trust_roots_sha256"] == trusted.trust_roots_sha256
