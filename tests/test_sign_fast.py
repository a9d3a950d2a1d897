"""The fast signing path (pipeline/stages/sign_fast.py): documents signed with what a signer
prepared once validate with pyHanko itself, carry their own digest, their stamp and QR code, and
`sohoa sign --jobs` signs many files in parallel processes."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from conftest import cli_env, run_cli
from pdfa import page_pdf
from pki import OFFICIAL_NAME, PASSPHRASE
from pipeline.stages import sign_fast
from pipeline.stages.sign import SignSpec, ValidationSettings, open_signer, sign_pdf, validate_pdf
from pipeline.stages.stamp import qr_box, qr_content_stream
from test_sign import official_spec, qr_payload


@pytest.fixture()
def official_signer(pki):
    with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
        yield signer


def pyhanko_status(pdf: bytes, pki):
    """pyHanko's own verdict on the only signature, trusting the test root (no fetching)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    [embedded] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[pki.cert("root")], allow_fetching=False,
                                revocation_mode="soft-fail")
    return embedded, validate_pdf_signature(embedded, signer_validation_context=context)


def signed_digest(pdf: bytes) -> tuple[bytes, bytes]:
    """(the messageDigest the CMS signs, SHA-256 of the bytes its /ByteRange covers)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        signature = document.Root.AcroForm.Fields[0].V
        start, first, second, length = (int(v) for v in signature.ByteRange)
        container = bytes(signature.Contents)
    covered = hashlib.sha256(pdf[start:start + first] + pdf[second:second + length]).digest()
    info = cms.ContentInfo.load(container.rstrip(b"\0"))["content"]["signer_infos"][0]
    [claimed] = [a["values"][0].native for a in info["signed_attrs"] if a["type"].native == "message_digest"]
    return claimed, covered


def widget_and_page(pdf: bytes, page_index: int = 0):
    document = pikepdf.open(io.BytesIO(pdf))
    return document, document.Root.AcroForm.Fields[0], document.pages[page_index]


def test_a_document_signed_by_the_prepared_signer_validates_with_its_stamp_and_qr(pki, official_signer):
    """GIVEN an issued result (PDF/A as the pipeline makes it) and the official's key
    WHEN the prepared (cached) signer signs it at B-B with the official stamp and the QR code
    THEN the output is the input plus one update; pyHanko finds the signature intact, valid,
    trusted with the test PKI and covering the whole file; the stamp's appearance is drawn in the
    embedded font and shows the official's name, and page 1's content carries the QR code"""
    pdf = page_pdf()
    signed = sign_fast.prepared(official_signer).sign(pdf, official_spec())

    assert signed.startswith(pdf)
    embedded, status = pyhanko_status(signed, pki)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    [result] = validate_pdf(signed, ValidationSettings.from_file(pki.root_pem)).signatures
    assert (result.indication, result.pades_level) == ("TOTAL_PASSED", "B-B")

    document, widget, page = widget_and_page(signed)
    with document:
        assert [float(v) for v in widget.Rect] != [0, 0, 0, 0]
        appearance = widget.AP.N
        assert appearance.Subtype == "/Form" and len(appearance.read_bytes()) > 100
        font = next(iter(appearance.Resources.Font.values()))
        assert font.Subtype == "/Type0"
        assert len(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()) > 1000
        assert widget.objgen in [annotation.objgen for annotation in page.Annots]
        contents = b"".join(stream.read_bytes() for stream in page.Contents)
        x1, y1, x2, y2 = (float(v) for v in page.MediaBox)
        assert qr_content_stream(qr_payload(), qr_box(x2 - x1, y2 - y1)) in contents
    text = subprocess.run(["pdftotext", "-", "-"], input=_flattened(signed), capture_output=True,
                          check=True).stdout.decode()
    assert f"Người ký: {OFFICIAL_NAME}" in text and "Cơ quan: UBND quận 1" in text


def _flattened(pdf: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.flatten_annotations("all")
        document.save(out)
    return out.getvalue()


def test_two_documents_signed_by_one_prepared_signer_each_carry_their_own_digest(pki, official_signer):
    """GIVEN two different results and one prepared signer (its CMS template and stamp cached)
    WHEN it signs both
    THEN each signature's messageDigest is the SHA-256 of its own file's signed bytes, the two
    differ, both validate, and the first document's CMS put into the second does not validate"""
    prepared = sign_fast.prepared(official_signer)
    first = prepared.sign(page_pdf(seed=1), official_spec())
    second = prepared.sign(page_pdf(seed=2), official_spec())

    claimed_first, covered_first = signed_digest(first)
    claimed_second, covered_second = signed_digest(second)
    assert claimed_first == covered_first and claimed_second == covered_second
    assert claimed_first != claimed_second
    assert pyhanko_status(first, pki)[1].intact and pyhanko_status(second, pki)[1].intact

    with pikepdf.open(io.BytesIO(first)) as document:
        container_first = bytes(document.Root.AcroForm.Fields[0].V.Contents).hex().encode()
    with pikepdf.open(io.BytesIO(second)) as document:
        container_second = bytes(document.Root.AcroForm.Fields[0].V.Contents).hex().encode()
    swapped = second.replace(container_second, container_first.ljust(len(container_second), b"0"))
    assert swapped != second
    assert not pyhanko_status(swapped, pki)[1].intact


@pytest.mark.parametrize("xref", ["stream", "table"])
def test_the_fast_path_writes_the_cross_reference_kind_the_file_uses(pki, official_signer, xref):
    """GIVEN a result whose cross-reference section is a stream (as the pipeline writes it) or a
    classic table (as other tools do)
    WHEN it is signed with sign_pdf (the fast path)
    THEN the update's cross-reference is of the same kind, qpdf finds no error, and the signature
    is TOTAL_PASSED"""
    pdf = page_pdf()
    if xref == "table":
        out = io.BytesIO()
        with pikepdf.open(io.BytesIO(pdf)) as document:
            document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
        pdf = out.getvalue()
        assert b"\nxref\n" in pdf
    signed = sign_pdf(pdf, official_spec(), official_signer)

    update = signed[len(pdf):]
    assert (b"/Type /XRef" in update) == (xref == "stream")
    assert (b"\nxref\n" in update) == (xref == "table")
    path = Path(pki.directory) / f"signed-{xref}.pdf"
    path.write_bytes(signed)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    [result] = validate_pdf(signed, ValidationSettings.from_file(pki.root_pem)).signatures
    assert result.indication == "TOTAL_PASSED"


def test_an_invisible_signature_has_no_stamp_and_validates(pki, official_signer):
    """GIVEN a scanned paper and the digitiser's signature asked for without a stamp
    WHEN it is signed (fast path)
    THEN the signature field has a zero rectangle and no appearance, and it is TOTAL_PASSED"""
    signed = sign_pdf(page_pdf(), SignSpec(kind="digitiser", visible=False), official_signer)

    document, widget, _ = widget_and_page(signed)
    with document:
        assert [float(v) for v in widget.Rect] == [0, 0, 0, 0]
        assert "/AP" not in widget
    [result] = validate_pdf(signed, ValidationSettings.from_file(pki.root_pem)).signatures
    assert result.indication == "TOTAL_PASSED"


def test_fast_and_full_paths_give_the_same_verdict_and_stamp(pki, official_signer):
    """GIVEN one result
    WHEN it is signed by the fast path and by pyHanko's full path (fast=False)
    THEN both are TOTAL_PASSED B-B in the same field and show the same stamp text"""
    pdf = page_pdf()
    fast = sign_pdf(pdf, official_spec(), official_signer)
    full = sign_pdf(pdf, official_spec(), official_signer, fast=False)

    trust = ValidationSettings.from_file(pki.root_pem)
    [fast_result] = validate_pdf(fast, trust).signatures
    [full_result] = validate_pdf(full, trust).signatures
    assert (fast_result.indication, fast_result.pades_level, fast_result.field_name) == (
        full_result.indication, full_result.pades_level, full_result.field_name)

    def stamp_lines(signed: bytes) -> list[str]:
        text = subprocess.run(["pdftotext", "-", "-"], input=_flattened(signed), capture_output=True,
                              check=True).stdout.decode()
        return [line for line in text.splitlines() if line.startswith(("Người ký", "Chức vụ", "Cơ quan"))]

    assert stamp_lines(fast) == stamp_lines(full) and len(stamp_lines(fast)) == 3


def test_cli_signs_many_files_in_parallel_processes_and_reports_a_bad_one(pki, tmp_path):
    """GIVEN six results and one file that is not a PDF
    WHEN `sohoa sign FILE... -o DIR --jobs 2` runs
    THEN the six are signed into DIR and each validates; the bad file is named with its reason,
    nothing is written for it, the sources are unchanged and the command exits 3"""
    sources = []
    for number in range(6):
        path = tmp_path / f"result-{number}.pdf"
        path.write_bytes(page_pdf(seed=number))
        sources.append(path)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really a PDF\n")
    out = tmp_path / "signed"
    out.mkdir()
    env = cli_env(tmp_path / "home", SOHOA_KEY_PASSPHRASE=PASSPHRASE)

    done = run_cli(env, "sign", *sources, broken, "--as", "official", "--key", pki.pkcs12("official"),
                   "--agency", "UBND quận 1", "--position", "Chủ tịch", "-o", out, "--jobs", "2")

    assert done.returncode == 3, done.stderr
    said = " ".join(done.stderr.split())  # the console wraps long lines
    assert "broken.pdf: not a readable PDF" in said
    assert not (out / "broken.signed.pdf").exists()
    trust = ValidationSettings.from_file(pki.root_pem)
    for number, source in enumerate(sources):
        assert source.read_bytes() == page_pdf(seed=number)
        signed = (out / f"result-{number}.signed.pdf").read_bytes()
        assert signed.startswith(source.read_bytes())
        assert validate_pdf(signed, trust).all_passed


def test_a_b_t_batch_keeps_several_timestamps_in_flight_and_each_file_is_b_t(pki, tmp_path):
    """GIVEN five results, the official's key file and the test PKI's timestamp authority
    WHEN sign_files signs them at B-T in one process (several files waiting for the TSA at once)
    THEN the results come back in the files' order, each output validates TOTAL_PASSED at B-T,
    and each carries its own timestamp over its own signature"""
    from pipeline.core.signing import TIMESTAMPS_IN_FLIGHT, sign_files

    assert TIMESTAMPS_IN_FLIGHT > 1
    pairs = []
    for number in range(5):
        source = tmp_path / f"result-{number}.pdf"
        source.write_bytes(page_pdf(seed=10 + number))
        pairs.append((source, tmp_path / f"result-{number}.signed.pdf"))
    spec = official_spec(level="B-T", tsa_url=pki.tsa_url)

    done = list(sign_files(pairs, spec, str(pki.pkcs12("official")), PASSPHRASE))

    assert [(result.source, result.output, result.error) for result in done] == [
        (source, output, None) for source, output in pairs]
    trust = ValidationSettings.from_file(pki.root_pem)
    digests = set()
    for _, output in pairs:
        signed = output.read_bytes()
        [result] = validate_pdf(signed, trust).signatures
        assert (result.indication, result.pades_level) == ("TOTAL_PASSED", "B-T")
        claimed, covered = signed_digest(signed)
        assert claimed == covered
        digests.add(claimed)
    assert len(digests) == 5


def test_prepared_pieces_go_when_their_signer_goes(pki):
    """GIVEN a key opened for one batch (as each sign-queue batch opens its official's key)
    WHEN it has signed and the batch is over
    THEN its prepared pieces (CMS template, stamps) are released with it, not kept for ever"""
    import gc
    import weakref

    with open_signer(str(pki.pkcs12("official")), PASSPHRASE) as signer:
        sign_pdf(page_pdf(), official_spec(), signer)
        assert signer in sign_fast._PREPARED
        gone = weakref.ref(signer)
        prepared = weakref.ref(sign_fast.prepared(signer))
    del signer
    gc.collect()

    assert gone() is None and prepared() is None
