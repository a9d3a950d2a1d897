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
from pipeline.core.signed_versions import record_validation, sign_stored_document
from pipeline.stages.stamp import (
    VIETNAM_TIME,
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
    the QR code top left and the stamp bottom right; pdfsig agrees the signature is valid"""
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
    shown_time = result.claimed_signing_time.astimezone(VIETNAM_TIME)
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
    """GIVEN signatures made with an expired, a revoked, an untrusted and a wrong-usage certificate
    WHEN validated with the test root trusted and revocation fetched from the test OCSP
    THEN each is INDETERMINATE with DSS's sub-indication, while the signed bytes are intact —
    and pdfsig agrees the signature is untampered (and, where it reports it, why the
    certificate fails)"""
    signed = sign_with(pki, label, unsigned_pdf, SignSpec(kind="digitiser"))
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
    agency_time = report.signatures[1].claimed_signing_time.astimezone(VIETNAM_TIME)
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
